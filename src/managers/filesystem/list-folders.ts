/** One-level folder listing (collections under the root, artifacts under a collection). */

import type { StorageDriver } from "../../storage/driver.js";
import { compareCodePoints } from "../../util/compare.js";

/** Names of the folders directly under `prefix` ("" or "collection/"), sorted. */
export async function listFolders(
  driver: StorageDriver,
  prefix: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of driver.list(prefix, signal ? { delimiter: true, signal } : { delimiter: true })) {
    if (entry.type === "prefix") names.push(entry.key.slice(prefix.length, -1));
  }
  return names.sort(compareCodePoints);
}
