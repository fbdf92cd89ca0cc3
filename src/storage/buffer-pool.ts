/**
 * One pool of 1 MiB buffers for the byte paths: local copies, download sinks, and the zero-copy reads
 * that the kernel fills directly (drivers/zero-copy-get.ts). Fresh memory costs page faults (glibc gives
 * freed heap back to the kernel, so every new buffer faults in zeroed pages); reuse keeps RSS flat.
 *
 * A producer may hand a full pool buffer to a stream as a chunk ({@link handOver}); the one consumer that
 * then writes it somewhere may keep it instead of copying it ({@link takeOver}) and returns it to the pool
 * once written. A consumer that does not take it over just drops it like any other chunk.
 */

/** Size of every pooled buffer. */
export const POOL_BUFFER_BYTES = 1024 * 1024;

/** Most buffers kept for reuse (48 MiB). */
const MAX_POOLED_BUFFERS = 48;
const POOL: Buffer[] = [];
/** Buffers emitted as stream chunks whose bytes the producer will never touch again. */
const HANDED_OVER = new WeakSet<Buffer>();

/** A 1 MiB buffer from the pool, or a new one. Its contents are arbitrary. */
export function takeBuffer(): Buffer {
  return POOL.pop() ?? Buffer.allocUnsafeSlow(POOL_BUFFER_BYTES);
}

/** Returns buffers to the pool; the caller must not use them afterwards. */
export function returnBuffers(buffers: Iterable<Buffer>): void {
  for (const buffer of buffers) {
    if (POOL.length < MAX_POOLED_BUFFERS && buffer.length === POOL_BUFFER_BYTES) POOL.push(buffer);
  }
}

/** Marks a full pool buffer that is about to be emitted as a chunk: its consumer may keep it. */
export function handOver(buffer: Buffer): Buffer {
  HANDED_OVER.add(buffer);
  return buffer;
}

/**
 * True when `chunk` is a whole pool buffer handed over by its producer: the caller now owns it (and
 * returns it with {@link returnBuffers} when done). False for any other chunk, which must be copied.
 */
export function takeOver(chunk: Buffer): boolean {
  return HANDED_OVER.delete(chunk);
}
