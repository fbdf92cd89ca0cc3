/**
 * A checkpoint opened for looking at, not loaded: the pickle (or safetensors header) is read, the
 * tensors' bytes are not. Each tensor's elements are read on demand, in chunks, by ranges of the file,
 * so statistics and diffs of a checkpoint larger than memory hold one chunk per file at a time.
 */
import { DTYPES, type DType, dtypeOfSafetensors } from "../../checkpoint/dtype.js";
import { invalidCheckpoint } from "../../checkpoint/invalid.js";
import { readLegacy } from "../../checkpoint/legacy.js";
import { unpickle } from "../../checkpoint/pickle/reader.js";
import { applyViewBits } from "../../checkpoint/rebuild-tensor.js";
import { numelOf, Storage, Tensor } from "../../checkpoint/tensor.js";
import { createTorchHooks, type StorageRef, type TorchHooks } from "../../checkpoint/torch-globals.js";
import type { StateTree } from "../../checkpoint/values.js";
import {
  inflateBudget,
  openTorchArchive,
  type StoragePlace,
} from "../../checkpoint/zip/open-torch-archive.js";
import type { ByteSource } from "../../checkpoint/zip/source.js";

/** Default bytes read per chunk of a tensor. */
export const DEFAULT_CHUNK_BYTES = 8 << 20;

/** A tensor of an opened checkpoint: what it is, and its elements on demand. */
export interface TensorSlot {
  /** Dotted path in the tree: `model.fc.weight`, `optimizer_state_dicts[0].state.0.exp_avg`. */
  key: string;
  dtype: DType;
  shape: readonly number[];
  numel: number;
  /** numel × element size. */
  nbytes: number;
  /**
   * The elements in row-major order as little-endian bytes, in chunks of about `chunkBytes` (whole
   * elements). Contiguous tensors are read chunk by chunk; a strided view reads its storage once.
   */
  chunks(chunkBytes?: number): AsyncIterable<Uint8Array>;
}

/** An opened checkpoint. `tree` holds the values, with tensors whose storages are left empty. */
export interface OpenedCheckpoint {
  format: "torch-zip" | "torch-legacy" | "safetensors";
  tree: StateTree;
  /** Every tensor, in tree order (by key). */
  tensors: Map<string, TensorSlot>;
  /** safetensors `__metadata__`. */
  metadata?: Record<string, string>;
}

/** Whether a file name looks like a checkpoint this view reads. */
export function isCheckpointPath(path: string): boolean {
  return /\.(pt|pth|ckpt|bin|safetensors)$/i.test(path);
}

/** Opens a torch.save file (zip or legacy) or a safetensors file from a byte source. */
export async function openCheckpoint(src: ByteSource, path: string): Promise<OpenedCheckpoint> {
  if (/\.safetensors$/i.test(path)) return openSafetensors(src);
  const magic = await src.read(0, Math.min(4, src.size));
  if (magic[0] === 0x50 && magic[1] === 0x4b && magic[2] === 3 && magic[3] === 4) return openTorchZip(src);
  if (magic[0] === 0x80 && magic[1] === 0x02) return openTorchLegacy(src);
  throw invalidCheckpoint(`'${path}' is not a torch.save file (neither a zip nor a legacy pickle)`);
}

type Locate = (ref: StorageRef) => Promise<StoragePlace>;

function registry(refs: Map<string, StorageRef>, byStorage: Map<Storage, StorageRef>) {
  return (dtype: DType, key: string, location: string, numel: number): StorageRef => {
    const existing = refs.get(key);
    if (existing !== undefined) {
      if (existing.storage.dtype !== dtype)
        throw invalidCheckpoint(`storage '${key}' is used with two dtypes`);
      return existing;
    }
    const ref = { storage: new Storage(dtype, new Uint8Array(0), location), key, numel };
    refs.set(key, ref);
    byStorage.set(ref.storage, ref);
    return ref;
  };
}

async function openTorchZip(src: ByteSource): Promise<OpenedCheckpoint> {
  const archive = await openTorchArchive(src, inflateBudget(src.size));
  const refs = new Map<string, StorageRef>();
  const byStorage = new Map<Storage, StorageRef>();
  const hooks = createTorchHooks({ storage: registry(refs, byStorage), allowObjects: true });
  const { value } = unpickle(archive.pickle, hooks);
  const locate: Locate = (ref) => archive.locate(ref.key);
  return {
    format: "torch-zip",
    tree: value as StateTree,
    tensors: collectSlots(value as StateTree, src, byStorage, locate, viewBits(hooks)),
  };
}

async function openTorchLegacy(src: ByteSource): Promise<OpenedCheckpoint> {
  const refs = new Map<string, StorageRef>();
  const byStorage = new Map<Storage, StorageRef>();
  const hooks = createTorchHooks({ storage: registry(refs, byStorage), allowObjects: true });
  const { value, locate } = await readLegacy(src, hooks, refs);
  return {
    format: "torch-legacy",
    tree: value,
    tensors: collectSlots(value, src, byStorage, locate, viewBits(hooks)),
  };
}

type ViewBits = { conj: boolean; neg: boolean };

/** The conj/neg bits of views (`x.conj()`, negative views), applied to their bytes as they are read. */
function viewBits(hooks: TorchHooks): Map<Tensor, ViewBits> {
  return new Map(hooks.pendingViews().map(({ tensor, conj, neg }) => [tensor, { conj, neg }]));
}

/** Walks the tree for tensors, naming each by its path. */
function collectSlots(
  tree: StateTree,
  src: ByteSource,
  byStorage: Map<Storage, StorageRef>,
  locate: Locate,
  bits: Map<Tensor, ViewBits>,
): Map<string, TensorSlot> {
  const slots = new Map<string, TensorSlot>();
  walkTree(tree, "", (key, value) => {
    if (!(value instanceof Tensor)) return;
    const ref = byStorage.get(value.storage);
    if (ref === undefined) return;
    const slot = torchSlot(key, value, ref, src, locate);
    const view = bits.get(value);
    slots.set(key, view === undefined ? slot : withViewBits(slot, view));
  });
  return slots;
}

/** Calls `visit` for every leaf of a state tree (tensors included) with its dotted key. */
export function walkTree(value: unknown, key: string, visit: (key: string, value: unknown) => void): void {
  const join = (k: string) => (key === "" ? k : `${key}.${k}`);
  const leaf =
    value instanceof Tensor ||
    isTensorSlot(value) ||
    value === null ||
    typeof value !== "object" ||
    value instanceof Uint8Array;
  if (leaf) {
    visit(key, value);
  } else if (Array.isArray(value)) {
    if (value.length === 0) visit(key, value);
    for (const [i, item] of value.entries()) walkTree(item, `${key}[${i}]`, visit);
  } else if (value instanceof Map) {
    if (value.size === 0) visit(key, value);
    for (const [k, v] of value) walkTree(v, join(String(k)), visit);
  } else if (value.constructor === Object || Object.getPrototypeOf(value) === null) {
    const entries = Object.entries(value);
    if (entries.length === 0) visit(key, value);
    for (const [k, v] of entries) walkTree(v, join(k), visit);
  } else if ("state" in value && "className" in value) {
    walkTree((value as { state: unknown }).state, key, visit);
  } else {
    visit(key, value);
  }
}

function torchSlot(
  key: string,
  tensor: Tensor,
  ref: StorageRef,
  src: ByteSource,
  locate: Locate,
): TensorSlot {
  const size = DTYPES[tensor.dtype].size;
  const numel = numelOf(tensor.shape);
  return {
    key,
    dtype: tensor.dtype,
    shape: tensor.shape,
    numel,
    nbytes: numel * size,
    async *chunks(chunkBytes = DEFAULT_CHUNK_BYTES) {
      if (numel === 0) return;
      const place = await locate(ref);
      const storageBytes = ref.numel * size;
      const have = "bytes" in place ? place.bytes.byteLength : place.size;
      if (have < storageBytes)
        throw invalidCheckpoint(`storage '${ref.key}' has ${have} bytes, needs ${storageBytes}`);
      if (tensor.isContiguous && !("bytes" in place)) {
        yield* rangeChunks(src, place.offset + tensor.storageOffset * size, numel * size, size, chunkBytes);
        return;
      }
      // A strided view (or an inflated record): gather it from its whole storage, then hand it out.
      const bytes =
        "bytes" in place ? place.bytes.subarray(0, storageBytes) : await src.read(place.offset, storageBytes);
      const view = Tensor.view(
        new Storage(tensor.dtype, bytes),
        tensor.storageOffset,
        tensor.shape,
        tensor.stride,
      );
      const all = view.bytes();
      for (let at = 0; at < all.byteLength; at += alignedChunk(chunkBytes, size)) {
        yield all.subarray(at, Math.min(all.byteLength, at + alignedChunk(chunkBytes, size)));
      }
    },
  };
}

/** The slot's chunks with the view's conj/neg bits applied (on copies: the bytes may be shared). */
function withViewBits(slot: TensorSlot, bits: ViewBits): TensorSlot {
  return {
    ...slot,
    async *chunks(chunkBytes) {
      for await (const chunk of slot.chunks(chunkBytes)) {
        const copy = chunk.slice();
        applyViewBits(copy, slot.dtype, bits);
        yield copy;
      }
    },
  };
}

function alignedChunk(chunkBytes: number, elementSize: number): number {
  return Math.max(elementSize, Math.floor(chunkBytes / elementSize) * elementSize);
}

async function* rangeChunks(
  src: ByteSource,
  offset: number,
  length: number,
  elementSize: number,
  chunkBytes: number,
): AsyncIterable<Uint8Array> {
  const step = alignedChunk(chunkBytes, elementSize);
  for (let at = 0; at < length; at += step) yield await src.read(offset + at, Math.min(step, length - at));
}

async function openSafetensors(src: ByteSource): Promise<OpenedCheckpoint> {
  if (src.size < 8) throw invalidCheckpoint("safetensors file is shorter than its 8-byte header length");
  const len = Number(new DataView((await src.read(0, 8)).buffer).getBigUint64(0, true));
  if (len > Math.min(100_000_000, src.size - 8))
    throw invalidCheckpoint(`safetensors header length ${len} is too large`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(await src.read(8, len)));
  } catch (error) {
    throw invalidCheckpoint("safetensors header is not valid JSON", error);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw invalidCheckpoint("safetensors header is not a JSON object");
  }
  const dataStart = 8 + len;
  const tensors = new Map<string, TensorSlot>();
  const tree: Record<string, unknown> = {};
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = Object.fromEntries(Object.entries((raw ?? {}) as object).map(([k, v]) => [k, String(v)]));
      continue;
    }
    const slot = safetensorsSlot(name, raw, src, dataStart);
    tensors.set(name, slot);
    Object.defineProperty(tree, name, { value: slot, enumerable: true, configurable: true, writable: true });
  }
  return { format: "safetensors", tree: tree as StateTree, tensors, metadata };
}

function safetensorsSlot(name: string, raw: unknown, src: ByteSource, dataStart: number): TensorSlot {
  const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  const dtype = typeof e?.dtype === "string" ? dtypeOfSafetensors(e.dtype) : undefined;
  const ints = (a: unknown): a is number[] =>
    Array.isArray(a) && a.every((x) => Number.isSafeInteger(x) && x >= 0);
  if (dtype === undefined || !ints(e?.shape) || !ints(e?.data_offsets) || e.data_offsets.length !== 2) {
    throw invalidCheckpoint(
      `safetensors '${name}' has an unknown dtype or a malformed shape or data_offsets`,
    );
  }
  const [begin, end] = e.data_offsets as [number, number];
  const shape = dtype === "float4_e2m1fn_x2" ? [...e.shape.slice(0, -1), (e.shape.at(-1) ?? 0) / 2] : e.shape;
  const size = DTYPES[dtype].size;
  const numel = numelOf(shape);
  if (numel * size !== end - begin || dataStart + end > src.size) {
    throw invalidCheckpoint(
      `safetensors '${name}': shape [${e.shape}] does not match offsets ${begin}..${end}`,
    );
  }
  return {
    key: name,
    dtype,
    shape,
    numel,
    nbytes: end - begin,
    chunks: (chunkBytes = DEFAULT_CHUNK_BYTES) =>
      rangeChunks(src, dataStart + begin, end - begin, size, chunkBytes),
  };
}

/** Whether a value of an opened tree is a tensor slot (safetensors trees hold slots, not tensors). */
export function isTensorSlot(value: unknown): value is TensorSlot {
  return (
    typeof value === "object" && value !== null && "chunks" in value && "nbytes" in value && "dtype" in value
  );
}
