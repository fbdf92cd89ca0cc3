/** Reading a version: its commit record, or a record computed by listing for legacy versions. */
import { validateArtifactPath } from "../../core/names.js";
import { parseRecord, sortFileEntries } from "../../core/record.js";
import type { FileEntry, VersionRecord } from "../../core/types.js";
import { ArtifactError, isArtifactError } from "../../errors.js";
import { readAll } from "../../storage/body.js";
import type { StorageDriver } from "../../storage/driver.js";
import { readmeKey, recordKey, versionPrefix } from "./layout.js";
import type { ResolvedVersion } from "./resolve.js";
import { hasRecord, nextVersionNumber } from "./scan.js";

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
    checkLegacyPaths(files, versionPrefix(collection, name, resolved.n));
    const description = await legacyDescription(driver, collection, name, resolved);
    return {
      format: 1,
      name,
      collection,
      version: resolved.version,
      ...(description ? { description } : {}),
      files,
      legacy: true,
    };
  }
  const key = recordKey(collection, name, resolved.n);
  const text = (await readAll(await driver.read(key, signal ? { signal } : {}))).toString("utf8");
  // A tombstone written since the listing: the number is dead (a failed log taken over by gc).
  if (text === "") {
    throw new ArtifactError(
      "NOT_FOUND",
      `artifact '${name}' has no version ${resolved.version} in collection '${collection}' (it was never committed and has just been removed)`,
      { context: { operation: "read-version", name, collection, version: resolved.version, key } },
    );
  }
  const record = parseRecord(text, key);
  return { ...record, name, collection, version: resolved.version };
}

/**
 * Scaffold's `meta/readme.txt` describes the latest log: use it for a legacy version only when no higher
 * number was ever used (a deleted or failed version, or a log still running, wrote the file after it).
 */
async function legacyDescription(
  driver: StorageDriver,
  collection: string,
  name: string,
  resolved: ResolvedVersion,
): Promise<string | undefined> {
  if (nextVersionNumber(resolved.state) !== resolved.n + 1) return undefined;
  try {
    return (await readAll(await driver.read(readmeKey(collection, name)))).toString("utf8") || undefined;
  } catch (error) {
    if (isArtifactError(error, "NOT_FOUND")) return undefined;
    throw error;
  }
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

/**
 * A legacy version's files are its listed object keys. Object stores accept keys such as
 * `c/n/v0/../../x`, which would escape a download target: refuse the whole version with `UNEXPECTED`
 * naming the object rather than skip it silently.
 */
function checkLegacyPaths(files: readonly FileEntry[], prefix: string): void {
  for (const file of files) {
    let clean: string | undefined;
    try {
      clean = validateArtifactPath(file.path, "path");
    } catch {
      clean = undefined;
    }
    if (clean === file.path) continue;
    throw new ArtifactError(
      "UNEXPECTED",
      `object '${prefix}${file.path}' of legacy version ${prefix} has an unsafe key (a '..', '.' or empty segment); nothing was downloaded: rename or delete that object in the store`,
      { context: { operation: "read-version", key: prefix + file.path } },
    );
  }
}
