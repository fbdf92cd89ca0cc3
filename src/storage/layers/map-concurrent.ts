/**
 * Bounded concurrency: the one utility every transfer goes through (many small files at once, parts of
 * a big file), so that a store of 10^5 files never opens 10^5 sockets.
 */
import { throwIfAborted } from "../../errors.js";

/** Files (or parts) transferred at the same time by default. */
export const DEFAULT_TRANSFER_CONCURRENCY = 16;

/** Options of {@link mapConcurrent}. */
export interface MapConcurrentOptions {
  /** Maximum number of `fn` calls in flight. @default DEFAULT_TRANSFER_CONCURRENCY */
  concurrency?: number;
  /** Stops starting new items when aborted; the call rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Calls `fn` on every item with at most `concurrency` calls in flight and returns the results in input
 * order. On the first failure no new item starts, the calls already running are awaited, and the first
 * error is thrown. `items` may be any (async) iterable; it is consumed lazily.
 */
export async function mapConcurrent<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  fn: (item: T, index: number) => Promise<R>,
  options: MapConcurrentOptions = {},
): Promise<R[]> {
  const concurrency = options.concurrency ?? DEFAULT_TRANSFER_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(
      `Expected the \`concurrency\` option to be a positive integer, got \`${concurrency}\``,
    );
  }
  const { signal } = options;
  throwIfAborted(signal);
  const iterator = toAsyncIterator(items);
  const results: R[] = [];
  let failed = false;
  let firstError: unknown;
  let next = 0;
  const fail = (error: unknown): void => {
    if (!failed) firstError = error;
    failed = true;
  };
  const worker = async (): Promise<void> => {
    while (!failed) {
      if (signal?.aborted) return fail(signal.reason);
      const step = await iterator.next();
      if (step.done || failed) return;
      const index = next++;
      try {
        results[index] = await fn(step.value, index);
      } catch (error) {
        fail(error);
      }
    }
  };
  const workers = Array.from({ length: concurrency }, () => worker().catch(fail));
  await Promise.all(workers);
  if (failed) throw firstError;
  return results;
}

/** A shared iterator; concurrent `next()` calls are serialised so async sources are never re-entered. */
function toAsyncIterator<T>(items: Iterable<T> | AsyncIterable<T>): { next(): Promise<IteratorResult<T>> } {
  if (Symbol.asyncIterator in items) {
    const it = items[Symbol.asyncIterator]();
    let chain: Promise<unknown> = Promise.resolve();
    return {
      next() {
        const result = chain.then(() => it.next());
        chain = result.catch(() => undefined);
        return result;
      },
    };
  }
  const it = items[Symbol.iterator]();
  return { next: async () => it.next() };
}
