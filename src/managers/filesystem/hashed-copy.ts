/**
 * Copying with sha256 computed on the way, so no file is ever read twice. Local copies use two
 * alternating buffers (read the next chunk while the previous one is written); small files are read
 * in one call. Streams are hashed by a pass-through generator.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { Readable } from "node:stream";
import { throwIfAborted } from "../../errors.js";
import { handOver, POOL_BUFFER_BYTES, returnBuffers, takeBuffer } from "../../storage/buffer-pool.js";
import { type ByteLimit, checkByteLimit } from "../../storage/byte-limit.js";
import { openStoreFile, readStoreFileSync } from "../../storage/local-contain.js";
import { syncFile } from "../../storage/local-sync.js";

/** Files up to this size are read and written in one call. */
export const SMALL_FILE_BYTES = 1024 * 1024;
/**
 * Files up to this size are copied with synchronous calls: a few microseconds each on a local disk,
 * far less than six thread-pool round trips, and short enough not to stall the event loop.
 */
export const TINY_FILE_BYTES = 64 * 1024;
/** Chunk size of large local copies (the pool's buffer size). */
export const COPY_CHUNK_BYTES = POOL_BUFFER_BYTES;

/** Size and hex sha256 of copied bytes. */
export interface HashedBytes {
  size: number;
  sha256: string;
}

/** Options of the hashed copies. */
export interface HashedCopyOptions {
  signal?: AbortSignal | undefined;
  /** Called with the bytes copied so far. */
  onBytes?: ((bytes: number) => void) | undefined;
  /**
   * `copyFileHashed` only: fdatasync the new file before resolving, so that it survives a power cut
   * (a file staged for a commit). Each copy syncs its own file, so syncs run in the copies' concurrency.
   * @default true
   */
  durable?: boolean | undefined;
  /** Downloads and verify: fail with `CHECKSUM_MISMATCH` once more bytes than the record's size arrive. */
  limit?: ByteLimit | undefined;
}

/**
 * Copies `source` to a new file `target` (fails if it exists) and returns its size and sha256. With
 * `durable` (the default) the bytes are on disk when it resolves; the caller syncs the folder.
 */
export async function copyFileHashed(
  source: string,
  target: string,
  options: HashedCopyOptions = {},
  sizeHint?: number,
): Promise<HashedBytes> {
  throwIfAborted(options.signal);
  const durable = options.durable ?? true;
  if (sizeHint !== undefined && sizeHint <= TINY_FILE_BYTES) {
    const tiny = copyTinyFile(source, target);
    if (tiny) {
      // The sync runs on the thread pool: a synchronous one would serialize every tiny file's sync.
      if (durable) await syncFile(target);
      options.onBytes?.(tiny.size);
      return tiny;
    }
  }
  const input = await open(source, "r");
  try {
    const { size } = await input.stat();
    return await copyOpenedHashed(input, size, target, options, durable);
  } finally {
    await input.close();
  }
}

/**
 * Copies the store file `path` (of `key`, in the local store `root`) to a new file `target`, without
 * syncing it (a download): only a regular file inside the store is read (local-contain.ts), and at
 * most `options.limit.maxBytes` bytes of it. Tiny files (by their record's `size`) are read in one call.
 */
export async function copyStoreFileHashed(
  store: { root: string; path: string; key: string },
  target: string,
  options: HashedCopyOptions,
  size: number,
): Promise<HashedBytes> {
  throwIfAborted(options.signal);
  if (size <= TINY_FILE_BYTES) {
    const data = readStoreFileSync(store.root, store.path, store.key, options.limit?.maxBytes ?? size);
    checkByteLimit(data.length, options.limit);
    writeFileSync(target, data, { flag: "wx" });
    options.onBytes?.(data.length);
    return { size: data.length, sha256: createHash("sha256").update(data).digest("hex") };
  }
  const { handle, size: actual } = await openStoreFile(store.root, store.path, store.key);
  try {
    return await copyOpenedHashed(handle, actual, target, options, false);
  } finally {
    await handle.close();
  }
}

/** Copies an open file of `size` bytes (by its fstat) to a new file `target`. */
async function copyOpenedHashed(
  input: FileHandle,
  size: number,
  target: string,
  options: HashedCopyOptions,
  durable: boolean,
): Promise<HashedBytes> {
  // A file already longer than its record is not read at all.
  checkByteLimit(size, options.limit);
  if (size > SMALL_FILE_BYTES) return await copyLarge(input, target, options, durable);
  const data = await input.readFile();
  checkByteLimit(data.length, options.limit);
  const output = await open(target, "wx");
  try {
    await writeFully(output, data, data.length, 0);
    if (durable) await output.datasync();
  } finally {
    await output.close();
  }
  options.onBytes?.(data.length);
  return { size: data.length, sha256: createHash("sha256").update(data).digest("hex") };
}

/** Copies a file that is still tiny with synchronous calls; null when it grew past the limit. */
function copyTinyFile(source: string, target: string): HashedBytes | null {
  const data = readFileSync(source);
  if (data.length > TINY_FILE_BYTES) return null;
  writeFileSync(target, data, { flag: "wx" });
  return { size: data.length, sha256: createHash("sha256").update(data).digest("hex") };
}

/**
 * Large files: three rotating buffers so that reading chunk i+1, hashing chunk i and writing chunk i-1
 * overlap (reads and writes run on the thread pool while the main thread hashes).
 */
async function copyLarge(
  input: FileHandle,
  target: string,
  options: HashedCopyOptions,
  durable: boolean,
): Promise<HashedBytes> {
  const output = await open(target, "wx");
  const hash = createHash("sha256");
  const buffers = [takeBuffer(), takeBuffer(), takeBuffer()];
  let pendingWrite: Promise<void> = Promise.resolve();
  let nextRead = input.read(buffers[0] as Buffer, 0, COPY_CHUNK_BYTES, 0);
  let position = 0;
  try {
    for (let i = 0; ; i++) {
      const { bytesRead } = await nextRead;
      if (bytesRead === 0) break;
      throwIfAborted(options.signal);
      checkByteLimit(position + bytesRead, options.limit);
      const chunk = (buffers[i % 3] as Buffer).subarray(0, bytesRead);
      const chunkPosition = position;
      position += bytesRead;
      // The buffer read next was last written two chunks ago; that write finished before the previous one started.
      nextRead = input.read(buffers[(i + 1) % 3] as Buffer, 0, COPY_CHUNK_BYTES, position);
      hash.update(chunk);
      await pendingWrite;
      pendingWrite = writeFully(output, chunk, bytesRead, chunkPosition);
      options.onBytes?.(position);
    }
    await pendingWrite;
    if (durable) await output.datasync();
  } finally {
    await Promise.allSettled([pendingWrite, nextRead]);
    await output.close();
    // Only now is no read or write using the buffers.
    returnBuffers(buffers);
  }
  return { size: position, sha256: hash.digest("hex") };
}

/** Writes `length` bytes of `buffer` at `position`, however many calls that takes. */
export async function writeFully(
  output: FileHandle,
  buffer: Buffer,
  length: number,
  position: number,
): Promise<void> {
  let written = 0;
  while (written < length) {
    const result = await output.write(buffer, written, length - written, position + written);
    written += result.bytesWritten;
  }
}

/**
 * A read stream of a local file in pooled 1 MiB buffers. Each full one is handed over (buffer-pool.ts):
 * a consumer that sends it somewhere may keep it instead of copying it and return it to the pool (GCS
 * uploads do, src/drivers/chunk-reader.ts), so a big upload does not allocate and fault in a fresh
 * buffer per read; any other consumer just drops it. One buffer is read at a time. `openFile` opens it
 * (a store file: with the local store's checks, openStoreFile).
 */
export function readLocalFile(
  path: string,
  openFile: () => Promise<FileHandle> = () => open(path, "r"),
): Readable {
  let handle: FileHandle | undefined;
  let position = 0;
  return new Readable({
    highWaterMark: COPY_CHUNK_BYTES,
    construct(callback) {
      openFile().then(
        (opened) => {
          handle = opened;
          callback();
        },
        (error: Error) => callback(error),
      );
    },
    read() {
      const buffer = takeBuffer();
      (handle as FileHandle).read(buffer, 0, buffer.length, position).then(
        ({ bytesRead }) => {
          position += bytesRead;
          if (bytesRead === 0) {
            returnBuffers([buffer]);
            this.push(null);
          } else if (bytesRead === buffer.length) this.push(handOver(buffer));
          // A short read (the end, or a file still being written): a view, never back in the pool.
          else this.push(buffer.subarray(0, bytesRead));
        },
        (error: Error) => {
          returnBuffers([buffer]);
          this.destroy(error);
        },
      );
    },
    destroy(error, callback) {
      const opened = handle;
      handle = undefined;
      if (opened === undefined) callback(error);
      else
        opened.close().then(
          () => callback(error),
          () => callback(error),
        );
    },
  });
}
