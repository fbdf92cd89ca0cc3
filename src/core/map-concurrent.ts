/** The one concurrency utility: run `fn` over items with at most `concurrency` calls in flight. */
import { ArtifactError, throwIfAborted } from "../errors.js";

/** Default number of files transferred at once by the managers. */
export const DEFAULT_TRANSFER_CONCURRENCY = 16;

/** Default number of metadata reads (records, listings) run at once by listing commands. */
export const DEFAULT_LISTING_CONCURRENCY = 8;

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
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
