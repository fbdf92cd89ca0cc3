/** The file loop of uploads, downloads and verifies: small files of an object store go more at once. */

import type { StorageDriver } from "../../storage/driver.js";
import { mapConcurrent } from "../../util/map-concurrent.js";
import { TINY_FILE_BYTES } from "./hashed-copy.js";

/** How many files one transfer runs at once. */
export interface FileConcurrency {
  /** Files in flight at once (on an object store: files above 64 KiB). */
  concurrency: number;
  /**
   * Files of at most {@link TINY_FILE_BYTES} (64 KiB) in flight at once when the store is not a local
   * folder, next to the `concurrency` larger ones. A small file's transfer is mostly waiting for the
   * store's answer. When undefined, all files share the one `concurrency` limit.
   */
  smallFileConcurrency?: number | undefined;
}

/**
 * `mapConcurrent` over files. On an object store with a `smallFileConcurrency`, the files of 64 KiB or
 * less and the larger ones run as two queues side by side, `smallFileConcurrency` and `concurrency` at a
 * time, so that neither kind waits behind the other. Results come in input order; the first failure
 * stops new calls in both queues and is rethrown once the calls in flight have settled.
 */
export async function mapFiles<T, R>(
  driver: StorageDriver,
  items: readonly T[],
  sizeOf: (item: T) => number,
  fn: (item: T) => Promise<R>,
  options: FileConcurrency & { signal?: AbortSignal | undefined },
): Promise<R[]> {
  const { concurrency, smallFileConcurrency, signal } = options;
  if (driver.localPath || smallFileConcurrency === undefined) {
    return mapConcurrent(items, (item) => fn(item), { concurrency, signal });
  }
  const small: number[] = [];
  const large: number[] = [];
  items.forEach((item, index) => {
    (sizeOf(item) <= TINY_FILE_BYTES ? small : large).push(index);
  });
  const results = new Array<R>(items.length);
  let failure: { error: unknown } | undefined;
  const run = (indices: number[], limit: number) =>
    mapConcurrent(
      indices,
      async (index) => {
        // The other queue failed: fail this call too, which stops this queue's new calls.
        if (failure !== undefined) throw failure.error;
        try {
          results[index] = await fn(items[index] as T);
        } catch (error) {
          failure ??= { error };
          throw error;
        }
      },
      { concurrency: limit, signal },
    );
  const settled = await Promise.allSettled([run(small, smallFileConcurrency), run(large, concurrency)]);
  for (const outcome of settled) if (outcome.status === "rejected") failure ??= { error: outcome.reason };
  if (failure !== undefined) throw failure.error;
  return results;
}
