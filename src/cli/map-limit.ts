/** Runs an async function over items with at most `limit` calls in flight, keeping the order of results. */

/** How many metadata reads the listing commands run at once. */
export const LISTING_CONCURRENCY = 8;

/** Maps `items` through `fn` with bounded concurrency; rejects with the first error (after the others settle). */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      signal?.throwIfAborted();
      const index = next++;
      try {
        results[index] = await fn(items[index] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const workers = Array.from({ length: Math.min(limit, items.length) }, worker);
  const settled = await Promise.allSettled(workers);
  const rejection = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (rejection !== undefined) throw rejection.reason;
  return results;
}
