/** Bounded concurrency for transfers, honouring an AbortSignal. */

/** Transfers in flight at once when the caller does not say. */
export const DEFAULT_TRANSFER_CONCURRENCY = 8;

/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns the results in input order.
 * The first failure stops starting new calls and is thrown once the running ones settle.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        signal?.throwIfAborted();
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
