/**
 * Copying with sha256 computed on the way, so no file is ever read twice. Local copies use two
 * alternating buffers (read the next chunk while the previous one is written); small files are read
 * in one call. Streams are hashed by a pass-through generator.
 */
import { createHash, type Hash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { finished, Readable } from "node:stream";
import { throwIfAborted } from "../../errors.js";
import { abortable } from "../../storage/body.js";
import {
  handOver,
  POOL_BUFFER_BYTES,
  returnBuffers,
  takeBuffer,
  takeOver,
} from "../../storage/buffer-pool.js";
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

async function writeFully(
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

/** A pass-through that hashes and counts every chunk; read `result()` once the stream is consumed. */
export function hashingStream(
  source: Readable,
  options: HashedCopyOptions = {},
): { stream: Readable; result: () => HashedBytes } {
  const hash: Hash = createHash("sha256");
  let size = 0;
  async function* pass(): AsyncGenerator<Buffer> {
    for await (const chunk of abortable(source, options.signal)) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      checkByteLimit(size, options.limit);
      hash.update(buffer);
      options.onBytes?.(size);
      yield buffer;
    }
  }
  let digest: string | undefined;
  const result = () => {
    digest ??= hash.digest("hex");
    return { size, sha256: digest };
  };
  return { stream: Readable.from(pass(), { objectMode: false }), result };
}

/** Chunk buffers a download may fill before it pauses its source (8 MiB). */
const DOWNLOAD_QUEUE_BUFFERS = 8;

/**
 * Streams `source` into a new local file `target` (fails if it exists), hashing on the way.
 *
 * A direct sink rather than a generator, `pipeline` and write stream (bench/README: 1 GiB from azurite
 * 2.3-6.7 s before, 2.4-3.0 s after): each network chunk is hashed in its `data` event and copied into
 * a pooled 1 MiB buffer, so the chunk is dropped at once (a pool buffer handed over by a zero-copy read
 * is written as it is); full buffers are written one per call while
 * the next chunks arrive, then return to the pool. The source is paused while
 * {@link DOWNLOAD_QUEUE_BUFFERS} full buffers wait, so memory stays flat when the disk is slower.
 */
export async function writeStreamHashed(
  source: Readable,
  target: string,
  options: HashedCopyOptions = {},
): Promise<HashedBytes> {
  const { signal, onBytes, limit } = options;
  throwIfAborted(signal);
  const output = await open(target, "wx");
  const hash = createHash("sha256");
  let size = 0;
  const owned: Buffer[] = [];
  const take = () => {
    const buffer = takeBuffer();
    owned.push(buffer);
    return buffer;
  };
  let writing: Promise<void> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      // Buffers waiting for the disk, each with the bytes it holds (only the last one is partial).
      const queue: Array<{ buffer: Buffer; length: number }> = [];
      let current = take();
      let used = 0;
      let position = 0;
      let ended = false;
      let settled = false;
      const settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        source.off("data", onData);
        signal?.removeEventListener("abort", onAbort);
        stopWatching();
        if (error === undefined) resolve();
        else {
          source.destroy();
          reject(error);
        }
      };
      const flush = () => {
        if (writing !== undefined || settled) return;
        if (ended && used > 0) {
          queue.push({ buffer: current, length: used });
          used = 0;
        }
        if (queue.length === 0) {
          if (ended) settle();
          return;
        }
        // One buffer per call: on this VM's ext4, writes of 2 MiB and more per call (also as writev)
        // were erratic, 0.2 to 2.7 s per GiB, where 1 MiB writes took 0.2 s every time (bench/README).
        const { buffer, length } = queue.shift() as { buffer: Buffer; length: number };
        writing = writeFully(output, buffer, length, position).then(() => {
          position += length;
          writing = undefined;
          owned.splice(owned.indexOf(buffer), 1);
          returnBuffers([buffer]);
          if (!ended && source.isPaused()) source.resume();
          flush();
        }, settle);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        try {
          // A store that sends more than the record's size stops here, before the bytes reach the disk.
          checkByteLimit(size, limit);
        } catch (error) {
          settle(error);
          return;
        }
        hash.update(chunk);
        onBytes?.(size);
        if (takeOver(chunk)) {
          // A pool buffer the network read filled (zero-copy GET): written as it is, no copy.
          if (used > 0) {
            queue.push({ buffer: current, length: used });
            current = take();
            used = 0;
          }
          owned.push(chunk);
          queue.push({ buffer: chunk, length: chunk.length });
        } else {
          for (let offset = 0; offset < chunk.length; ) {
            const copied = chunk.copy(current, used, offset);
            used += copied;
            offset += copied;
            if (used === current.length) {
              queue.push({ buffer: current, length: used });
              current = take();
              used = 0;
            }
          }
        }
        if (writing === undefined) flush();
        else if (queue.length >= DOWNLOAD_QUEUE_BUFFERS) source.pause();
      };
      const onAbort = () => settle(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      const stopWatching = finished(source, { writable: false }, (error) => {
        if (error) settle(error);
        else {
          ended = true;
          flush();
        }
      });
      source.on("data", onData);
    });
  } finally {
    // A write still running after a failure finishes before the file closes and its buffers return.
    await writing?.catch(() => undefined);
    await output.close();
    returnBuffers(owned);
  }
  return { size, sha256: hash.digest("hex") };
}

/** The sha256 of a stream (verify), without writing it anywhere. */
export async function hashStream(source: Readable, options: HashedCopyOptions = {}): Promise<HashedBytes> {
  const hashing = hashingStream(source, options);
  for await (const _ of hashing.stream) {
    // consumed for the hash
  }
  return hashing.result();
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
