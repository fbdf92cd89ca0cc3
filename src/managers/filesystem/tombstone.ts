/**
 * Tombstones (docs/store-format.md): an EMPTY object at a number's record key `meta/versions/v<N>.json`.
 * Written create-only, it makes N dead: no writer can commit N afterwards (their create-only record
 * write fails), readers never show N, and its leftover files may be deleted at any time.
 */
import { isArtifactError } from "../../errors.js";
import type { StorageDriver } from "../../storage/driver.js";

/**
 * Writes a tombstone (an empty record) at `key`, create-only: true when this call made N dead, false
 * when the key already existed (the caller reads it back to learn what it holds).
 */
export async function writeTombstone(
  driver: StorageDriver,
  key: string,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await driver.write(key, "", {
      ifNotExists: true,
      contentType: "application/json",
      ...(signal ? { signal } : {}),
    });
    return true;
  } catch (error) {
    if (isArtifactError(error, "ALREADY_EXISTS")) return false;
    throw error;
  }
}
