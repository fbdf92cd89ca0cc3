/**
 * Streams hashed on the way: a pass-through that hashes and counts (uploads, verify) and a sink that
 * writes a download into a new local file, checking the record's size as bytes arrive.
 */
import { createHash, type Hash } from "node:crypto";
import { open } from "node:fs/promises";
import { finished, Readable } from "node:stream";
import { throwIfAborted } from "../../errors.js";
import { abortable } from "../../storage/body.js";
import { returnBuffers, takeBuffer, takeOver } from "../../storage/buffer-pool.js";
import { checkByteLimit } from "../../storage/byte-limit.js";
import { type HashedBytes, type HashedCopyOptions, writeFully } from "./hashed-copy.js";

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
