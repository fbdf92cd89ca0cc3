/** The one concurrency utility: run `fn` over items with at most `concurrency` calls in flight. */
import { getMaxListeners, setMaxListeners } from "node:events";
import { ArtifactError, throwIfAborted } from "../errors.js";

/** Default number of files transferred at once by the managers. */
export const DEFAULT_TRANSFER_CONCURRENCY = 16;

/**
 * Default number of small files (64 KiB or less) transferred at once to or from an object store: their
 * time is mostly round trips, not bytes, so more of them in flight keep the store busy.
 */
export const DEFAULT_SMALL_FILE_CONCURRENCY = 64;

/** Default number of metadata reads (records, listings) run at once by listing commands. */
export const DEFAULT_LISTING_CONCURRENCY = 8;

/**
 * Abort listeners one call in flight may hold on the shared signal at once (the retry layer, the
 * download sink, a socket's exchange, an SDK's request…). Node warns about a leak past 10 listeners.
 */
const LISTENERS_PER_CALL = 8;

/** Options of {@link mapConcurrent}. */
export interface MapConcurrentOptions {
  /** Most calls in flight at once (a positive integer). @default DEFAULT_TRANSFER_CONCURRENCY */
  concurrency?: number;
  /** Stops starting new calls and rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
}

/**
 * Calls `fn(item, index)` for every item with bounded concurrency and returns the results in input
 * order. The first failure stops new calls; it is rethrown once the calls in flight have settled.
 * A `concurrency` that is not a positive integer is `INVALID_ARGUMENT`.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => Promise<R>,
  options: MapConcurrentOptions = {},
): Promise<R[]> {
  const { signal, concurrency = DEFAULT_TRANSFER_CONCURRENCY } = options;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`concurrency\` option to be a positive integer, got \`${concurrency}\``,
    );
  }
  const workers = Math.max(1, Math.min(concurrency, items.length));
  // Every call in flight listens to the one signal: that many listeners are expected, not a leak.
  if (signal !== undefined && getMaxListeners(signal) < workers * LISTENERS_PER_CALL) {
    setMaxListeners(workers * LISTENERS_PER_CALL, signal);
  }
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        throwIfAborted(signal);
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
