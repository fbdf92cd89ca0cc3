/** `saveCheckpoint`: writes a state tree as a `torch.save` zip file that `torch.load` reads. */
import { basename } from "node:path";
import type { ProgressListener } from "../core/types.js";
import { ArtifactError, throwIfAborted } from "../errors.js";
import { pickleCheckpoint } from "./torch-pickler.js";
import type { StateTree } from "./values.js";
import { writeFileAtomically } from "./write-file-atomically.js";
import { type ByteSink, ZipWriter, type ZipWriterOptions } from "./zip/writer.js";

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /**
   * The zip's top-level folder. @default the file name without its extension (`state` for
   * `state.pt`), as torch.save names it; `archive` for {@link encodeCheckpoint}
   */
  archiveName?: string;
  /** Cancels the write between storages and within big ones (every 256 MiB); the partial file is removed. */
  signal?: AbortSignal;
  /** Receives `file` events (path `data/<key>`) as each storage is written: every 256 MiB and at its end. */
  onProgress?: ProgressListener;
}

const VERSION_RECORD = new TextEncoder().encode("3\n");

/** torch.save's archive name: the base name minus everything from its last dot. */
export function archiveNameOf(path: string): string {
  const base = basename(path);
  const dot = base.lastIndexOf(".");
  const name = dot < 0 ? base : base.slice(0, dot);
  return name === "" ? "archive" : name;
}

/** Streams the checkpoint of `tree` to `sink`. */
export async function writeCheckpoint(
  sink: ByteSink,
  tree: StateTree,
  options: SaveCheckpointOptions & ZipWriterOptions = {},
): Promise<void> {
  const archive = options.archiveName ?? "archive";
  if (archive === "" || /[/\\]/.test(archive) || archive === "." || archive === "..") {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`archiveName\` option to be a folder name without slashes, got \`${archive}\``,
    );
  }
  const { pickle, storages } = pickleCheckpoint(tree);
  const zip = new ZipWriter(sink, options);
  await zip.addRecord(`${archive}/data.pkl`, pickle);
  for (const [key, storage] of storages.entries()) {
    throwIfAborted(options.signal);
    const path = `data/${key}`;
    const totalBytes = storage.bytes.byteLength;
    await zip.addRecord(`${archive}/${path}`, storage.bytes, (bytes) => {
      options.onProgress?.({ type: "file", path, bytes, totalBytes });
      if (bytes < totalBytes) throwIfAborted(options.signal);
    });
  }
  await zip.addRecord(`${archive}/version`, VERSION_RECORD);
  await zip.finish();
}

/**
 * Writes `tree` to `path` in torch.save's zip format: protocol-2 pickle, 64-byte aligned stored
 * records, zip64 when needed. Tensors' bytes go straight from their storages to the file, one write per
 * storage. The file is written under a temporary name, flushed to disk (fsync) and renamed into place,
 * so a failed save or a crash leaves no partial file.
 * Values torch 2.13's default `torch.load` (weights_only) rejects (frozensets, NumPy arrays and scalars,
 * pickled objects, tensor subclasses; torch 1.13's also sets and bytes) are still written.
 */
export async function saveCheckpoint(
  path: string,
  tree: StateTree,
  options: SaveCheckpointOptions & ZipWriterOptions = {},
): Promise<void> {
  throwIfAborted(options.signal);
  await writeFileAtomically(path, (write) =>
    writeCheckpoint({ write }, tree, { ...options, archiveName: options.archiveName ?? archiveNameOf(path) }),
  );
}

/** The checkpoint of `tree` as bytes in memory (for small trees; use {@link saveCheckpoint} for files). */
export async function encodeCheckpoint(
  tree: StateTree,
  options: SaveCheckpointOptions = {},
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  await writeCheckpoint({ write: async (c) => void chunks.push(c.slice()) }, tree, options);
  return Buffer.concat(chunks);
}
