/** Reading a version: its commit record, or a record computed by listing for legacy versions. */
import { parseRecord, sortFileEntries } from "../../core/record.js";
import type { FileEntry, VersionRecord } from "../../core/types.js";
import { readAll } from "../../storage/body.js";
import type { StorageDriver } from "../../storage/driver.js";
import { recordKey, versionPrefix } from "./layout.js";
import type { ResolvedVersion } from "./resolve.js";
import { hasRecord } from "./scan.js";

/** The record of a resolved version (legacy versions: listed files, sizes only, `legacy: true`). */
export async function readVersionRecord(
  driver: StorageDriver,
  collection: string,
  name: string,
  resolved: ResolvedVersion,
  signal?: AbortSignal,
): Promise<VersionRecord> {
  if (!hasRecord(resolved.state, resolved.n)) {
    const files = await listVersionFiles(driver, collection, name, resolved.n, signal);
    return { format: 1, name, collection, version: resolved.version, files, legacy: true };
  }
  const key = recordKey(collection, name, resolved.n);
  const text = (await readAll(await driver.read(key, signal ? { signal } : {}))).toString("utf8");
  const record = parseRecord(text, key);
  return { ...record, name, collection, version: resolved.version };
}

/** The files stored under `v<N>/`, sorted by path in code point order. */
export async function listVersionFiles(
  driver: StorageDriver,
  collection: string,
  name: string,
  n: number,
  signal?: AbortSignal,
): Promise<FileEntry[]> {
  const prefix = versionPrefix(collection, name, n);
  const files: FileEntry[] = [];
  for await (const entry of driver.list(prefix, signal ? { signal } : {})) {
    if (entry.type === "object") files.push({ path: entry.key.slice(prefix.length), size: entry.size });
  }
  return sortFileEntries(files);
}
