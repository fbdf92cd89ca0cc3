/**
 * One file of a new version copied inside the store from the latest version (`StorageDriver.copy`)
 * instead of uploaded. What is checked, in order:
 * - planning (reuse-plan.ts): the local file's sha256 equals the latest record's entry for the source,
 *   and the source as listed has the record's size; the local file did not change while it was hashed;
 * - here: the copy is of the listed source object (`ifSourceMatch`: its etag), the driver checks the
 *   new object against the source with what its store reports (sizes, md5/crc hashes: see each
 *   driver's `copy`), the size it reports is the record's, and the local file is still unchanged;
 * - before the commit (log-version.ts `checkUploaded`): one listing of `v<N>/` shows every file, copied
 *   ones included, with its record size.
 * Any failure of the copy other than cancellation falls back to uploading the file: a source deleted
 * or rewritten meanwhile, a store that refuses copies, a mismatch. The upload then fails typed, if the
 * store is really unusable.
 */
import type { StorageDriver } from "../../storage/driver.js";
import type { HashedBytes } from "./hashed-copy.js";
import { checkFileUnchanged, type LocalFile } from "./local-files.js";
import type { StoreCopy } from "./reuse-plan.js";

/** Copies `copy.from` to `prefix + file.path`; null when the copy failed and the file must be uploaded. */
export async function copyInStore(
  driver: StorageDriver,
  file: LocalFile,
  copy: StoreCopy,
  prefix: string,
  signal: AbortSignal | undefined,
): Promise<HashedBytes | null> {
  if (!driver.copy) return null;
  let size: number;
  try {
    const result = await driver.copy(copy.from, prefix + file.path, {
      size: copy.size,
      ...(copy.etag === undefined ? {} : { ifSourceMatch: copy.etag }),
      ...(signal ? { signal } : {}),
    });
    size = result.size;
  } catch {
    if (signal?.aborted) throw signal.reason;
    return null;
  }
  if (size !== copy.size) return null;
  // The sha256 recorded is the local file's: it must still be the file that was hashed.
  await checkFileUnchanged(file, copy.size, driver.backend);
  return { size, sha256: copy.sha256 };
}
