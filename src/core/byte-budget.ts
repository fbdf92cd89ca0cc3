/**
 * A cap on bytes in flight (STYLE.md section 3): transfers take their byte count from a shared budget
 * before starting and give it back when done, so many parallel requests never hold more than `limit`
 * bytes between them. First come, first served: a large request waiting at the head is not starved by
 * smaller ones behind it. A request larger than the whole budget takes all of it and runs alone.
 */
import { ArtifactError } from "../errors.js";

interface Waiter {
  bytes: number;
  start: () => void;
}

/** A byte budget shared by the transfers of one operation. */
export class ByteBudget {
  /** Most bytes in flight at once. */
  readonly limit: number;
  #available: number;
  readonly #queue: Waiter[] = [];

  /** `limit` must be a positive integer (`INVALID_ARGUMENT` otherwise). */
  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new ArtifactError("INVALID_ARGUMENT", `a byte budget must be a positive integer, got ${limit}`);
    }
    this.limit = limit;
    this.#available = limit;
  }

  /**
   * Runs `fn` once `bytes` (at most the whole limit) are free, and frees them when it settles.
   * Rejects with `signal.reason` when the signal aborts while waiting.
   */
  async use<T>(bytes: number, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const amount = Math.min(this.limit, Math.max(0, bytes));
    await this.#acquire(amount, signal);
    try {
      return await fn();
    } finally {
      this.#available += amount;
      this.#drain();
    }
  }

  #acquire(bytes: number, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.#queue.length === 0 && bytes <= this.#available) {
      this.#available -= bytes;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#queue.splice(this.#queue.indexOf(waiter), 1);
        this.#drain(); // a large waiter leaving the head may unblock smaller ones behind it
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        bytes,
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.#queue.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #drain(): void {
    for (let head = this.#queue[0]; head && head.bytes <= this.#available; head = this.#queue[0]) {
      this.#queue.shift();
      this.#available -= head.bytes;
      head.start();
    }
  }
}
