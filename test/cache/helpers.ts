/** Helpers of the download cache tests: a driver that counts (and can hold) reads of version files. */
import { createHash } from "node:crypto";
import type { StorageDriver } from "../../src/storage/driver.js";

/** Reads of version files (`…/v<N>/…`) seen by a {@link countingDriver}. */
export interface ReadLog {
  keys: string[];
}

/**
 * `base` with every read of a version file logged; `beforeRead(key, count)` is awaited first (a test
 * holds a read there to interrupt a download at an exact file). Not a local folder: reads go through `read`.
 */
export function countingDriver(
  base: StorageDriver,
  beforeRead?: (key: string, count: number) => Promise<void> | void,
): StorageDriver & { reads: ReadLog } {
  const reads: ReadLog = { keys: [] };
  return {
    backend: base.backend,
    url: base.url,
    capabilities: base.capabilities,
    stat: (key, options) => base.stat(key, options),
    read: async (key, options) => {
      if (/\/v[0-9]+\//.test(key)) {
        reads.keys.push(key);
        await beforeRead?.(key, reads.keys.length);
      }
      return base.read(key, options);
    },
    write: (key, body, options) => base.write(key, body, options),
    list: (prefix, options) => base.list(prefix, options),
    delete: (key, options) => base.delete(key, options),
    ...(base.renamePrefix ? { renamePrefix: base.renamePrefix.bind(base) } : {}),
    reads,
  };
}

/** Hex sha256 of bytes. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}
