/**
 * Cuts a byte stream into fixed-size chunks without copying, for uploads that send one chunk per request
 * (GCS resumable uploads, src/drivers/gcs-resumable.ts).
 */
import type { Readable } from "node:stream";
import { finished } from "node:stream";
import { takeOver } from "../storage/buffer-pool.js";

/** Bytes of the source taken as one chunk: its buffers as they came (no copy), and whether it ended. */
export interface Chunk {
  buffers: Buffer[];
  length: number;
  last: boolean;
  /**
   * Pool buffers the source handed over (buffer-pool.ts) whose last byte is in this chunk: the caller
   * owns them and returns them to the pool once the chunk is sent for good, or drops them.
   */
  owned: Buffer[];
}

/**
 * Cuts a stream into chunks of `size` bytes without copying: its buffers are kept as they come and the
 * one that crosses a chunk's end is split into two views. The source is paused once more than a chunk
 * waits, so a reader holds at most one chunk beside the one being sent. Pool buffers the source hands
 * over are taken over, and given to the caller with the chunk that holds their last byte.
 */
export class ChunkReader {
  /** Waiting bytes; `owner` is the pool buffer a view belongs to, given away with its last byte. */
  readonly #queue: { view: Buffer; owner?: Buffer }[] = [];
  #queued = 0;
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;
  readonly #stopWatching: () => void;

  constructor(
    readonly source: Readable,
    readonly size: number,
  ) {
    source.on("data", this.#onData);
    this.#stopWatching = finished(source, { writable: false }, (error) => {
      if (error) this.#error = error;
      else this.#ended = true;
      this.#wake?.();
    });
  }

  /** The next chunk: `size` bytes, fewer only at the end; `last` when nothing follows it. */
  async take(): Promise<Chunk> {
    // One byte more than a chunk, or the end: only then is it known whether this chunk is the last.
    while (this.#error === undefined && !this.#ended && this.#queued <= this.size) {
      if (this.source.isPaused()) this.source.resume();
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
    if (this.#error !== undefined) throw this.#error;
    const buffers: Buffer[] = [];
    const owned: Buffer[] = [];
    let length = 0;
    while (length < this.size && this.#queue.length > 0) {
      const entry = this.#queue.shift() as { view: Buffer; owner?: Buffer };
      const room = this.size - length;
      if (entry.view.length > room) {
        buffers.push(entry.view.subarray(0, room));
        this.#queue.unshift({ ...entry, view: entry.view.subarray(room) });
        length += room;
      } else {
        buffers.push(entry.view);
        if (entry.owner) owned.push(entry.owner);
        length += entry.view.length;
      }
    }
    this.#queued -= length;
    if (this.#queued <= this.size && !this.#ended && this.source.isPaused()) this.source.resume();
    return { buffers, length, last: this.#ended && this.#queued === 0, owned };
  }

  /** Stops reading (after a failure): the source is destroyed. */
  stop(): void {
    this.source.off("data", this.#onData);
    this.#stopWatching();
    this.source.destroy();
  }

  readonly #onData = (chunk: Buffer) => {
    this.#queue.push(takeOver(chunk) ? { view: chunk, owner: chunk } : { view: chunk });
    this.#queued += chunk.length;
    if (this.#queued > this.size) this.source.pause();
    this.#wake?.();
  };
}
