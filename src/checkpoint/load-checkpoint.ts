/** `loadCheckpoint`: reads a `torch.save` file (zip or legacy format) into a state tree. */
import type { ProgressListener } from "../core/types.js";
import { ArtifactError, throwIfAborted } from "../errors.js";
import { DTYPES, type DType } from "./dtype.js";
import { invalidCheckpoint } from "./invalid.js";
import { readLegacy } from "./legacy.js";
import { unpickle } from "./pickle/reader.js";
import { Storage } from "./tensor.js";
import { createTorchHooks, type StorageRef } from "./torch-globals.js";
import type { StateTree } from "./values.js";
import {
  DEFAULT_MAX_INFLATE_RATIO,
  INFLATE_ALLOWANCE,
  inflateBudget,
  openTorchArchive,
  type StoragePlace,
} from "./zip/open-torch-archive.js";
import { type ByteSource, openSource } from "./zip/source.js";

export { DEFAULT_MAX_INFLATE_RATIO, type StoragePlace };

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /**
   * Whether pickled class instances (a whole `nn.Module`) are read as inert {@link PickledObject}s.
   * With `false`, such a file is rejected as `torch.load(weights_only=True)` would. @default true
   */
  allowObjects?: boolean;
  /** Cancels the load between storages. */
  signal?: AbortSignal;
  /** Receives a `file` event (path `data/<key>`) as each storage has been read. */
  onProgress?: ProgressListener;
  /**
   * The most bytes the file's compressed (deflated) zip records may inflate to in all, as a multiple
   * of the file's size: a small hostile file cannot claim gigabytes. torch.save never compresses; a
   * zip rewritten with compression holds about 1.1× its size of weights. 1 MiB more is always allowed
   * (small deflated pickles). @default 16
   */
  maxInflateRatio?: number;
  /**
   * The most work the pickle's allow-listed calls may do, per byte of pickle: each call counts the
   * elements and bytes its arguments hold (what it may copy), plus 1 Mi in all. @default 64
   */
  maxPickleWorkRatio?: number;
  /**
   * The most bytes the file's strided views may allocate once materialised (read through `data`,
   * `bytes()` or `toArray()`, which copy a view's elements), in all, as a multiple of the file's size,
   * plus 1 MiB. An expanded view (stride 0, `x.expand(…)`) of a one-element storage can stand for
   * gigabytes; contiguous tensors cost nothing (their data is a view of the storage). @default 16
   */
  maxMaterializeRatio?: number;
}

/** Default of {@link LoadCheckpointOptions.maxMaterializeRatio}. */
export const DEFAULT_MAX_MATERIALIZE_RATIO = 16;

/** The limits of {@link createTorchHooks} from the options, for a file of `size` bytes. */
function limits(options: LoadCheckpointOptions, size: number): { workRatio?: number; maxCopyBytes: number } {
  const ratio = options.maxMaterializeRatio ?? DEFAULT_MAX_MATERIALIZE_RATIO;
  const maxCopyBytes = Math.floor(ratio * size) + INFLATE_ALLOWANCE;
  return options.maxPickleWorkRatio === undefined
    ? { maxCopyBytes }
    : { workRatio: options.maxPickleWorkRatio, maxCopyBytes };
}

/** Reads the storages a pickle referred to, checking each record's size. */
async function fillStorages(
  src: ByteSource,
  refs: Map<string, StorageRef>,
  locate: (ref: StorageRef) => Promise<StoragePlace>,
  options: LoadCheckpointOptions,
): Promise<void> {
  for (const ref of refs.values()) {
    throwIfAborted(options.signal);
    const need = ref.numel * DTYPES[ref.storage.dtype].size;
    const place = await locate(ref);
    const size = "bytes" in place ? place.bytes.byteLength : place.size;
    if (size < need) throw invalidCheckpoint(`storage '${ref.key}' has ${size} bytes, needs ${need}`);
    ref.storage.bytes = "bytes" in place ? place.bytes.subarray(0, need) : await src.read(place.offset, need);
    options.onProgress?.({ type: "file", path: `data/${ref.key}`, bytes: need, totalBytes: need });
  }
}

function storageRegistry(refs: Map<string, StorageRef>) {
  return (dtype: DType, key: string, location: string, numel: number): StorageRef => {
    const existing = refs.get(key);
    if (existing !== undefined) {
      if (existing.storage.dtype !== dtype)
        throw invalidCheckpoint(`storage '${key}' is used with two dtypes`);
      return existing;
    }
    const ref = { storage: new Storage(dtype, new Uint8Array(0), location), key, numel };
    refs.set(key, ref);
    return ref;
  };
}

async function readZipCheckpoint(src: ByteSource, options: LoadCheckpointOptions): Promise<StateTree> {
  const archive = await openTorchArchive(src, inflateBudget(src.size, options.maxInflateRatio));
  const refs = new Map<string, StorageRef>();
  const hooks = createTorchHooks({
    storage: storageRegistry(refs),
    allowObjects: options.allowObjects ?? true,
    ...limits(options, src.size),
  });
  const { value } = unpickle(archive.pickle, hooks);
  await fillStorages(src, refs, (ref) => archive.locate(ref.key), options);
  hooks.resolveViews();
  return value as StateTree;
}

/**
 * Reads a checkpoint written by `torch.save` (or {@link saveCheckpoint}) from a file path or bytes.
 * Nothing in the file is executed: tensors, containers and numbers are rebuilt from an allow-list, and
 * pickled objects (a whole `nn.Module`) become inert {@link PickledObject}s. A file is read by ranges,
 * one storage at a time. Malformed input → `ArtifactError("CHECKPOINT_INVALID")`.
 */
export async function loadCheckpoint(
  pathOrBytes: string | Uint8Array,
  options: LoadCheckpointOptions = {},
): Promise<StateTree> {
  throwIfAborted(options.signal);
  if (typeof pathOrBytes !== "string" && !(pathOrBytes instanceof Uint8Array)) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      "loadCheckpoint expects a file path or a Uint8Array of the file",
    );
  }
  if (options.allowObjects !== undefined && typeof options.allowObjects !== "boolean") {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`allowObjects\` option to be a boolean, got \`${String(options.allowObjects)}\``,
    );
  }
  for (const name of ["maxInflateRatio", "maxPickleWorkRatio", "maxMaterializeRatio"] as const) {
    const ratio = options[name];
    if (ratio !== undefined && (typeof ratio !== "number" || !(ratio >= 0))) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `Expected the \`${name}\` option to be a non-negative number, got \`${String(ratio)}\``,
      );
    }
  }
  const src = await openSource(pathOrBytes);
  try {
    const magic = await src.read(0, Math.min(4, src.size));
    if (magic[0] === 0x50 && magic[1] === 0x4b && magic[2] === 3 && magic[3] === 4) {
      return await readZipCheckpoint(src, options);
    }
    if (magic[0] === 0x80 && magic[1] === 0x02) {
      const refs = new Map<string, StorageRef>();
      const hooks = createTorchHooks({
        storage: storageRegistry(refs),
        allowObjects: options.allowObjects ?? true,
        ...limits(options, src.size),
      });
      const { value, locate } = await readLegacy(src, hooks, refs);
      await fillStorages(src, refs, locate, options);
      hooks.resolveViews();
      return value;
    }
    throw invalidCheckpoint("not a torch.save file (neither a zip nor a legacy pickle)");
  } catch (error) {
    if (error instanceof RangeError) throw invalidCheckpoint("the file nests values too deeply", error);
    throw error;
  } finally {
    await src.close();
  }
}
