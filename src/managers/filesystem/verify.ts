/** verify: re-reads a version and compares it with its record. A mismatch is data, never an error. */
import type { FileEntry, ProgressListener, VerifyResult, VersionSelector } from "../../core/types.js";
import { isArtifactError } from "../../errors.js";
import type { StorageDriver } from "../../storage/driver.js";
import { openStoreFile } from "../../storage/local-contain.js";
import { type HashedBytes, readLocalFile } from "./hashed-copy.js";
import { hashStream } from "./hashed-stream.js";
import { versionPrefix } from "./layout.js";
import { type FileConcurrency, mapFiles } from "./map-files.js";
import { listVersionFiles, readVersionRecord } from "./read-version.js";
import { resolveVersion } from "./resolve.js";

/** Everything one verify needs. */
export interface VerifyInput extends FileConcurrency {
  driver: StorageDriver;
  collection: string;
  name: string;
  version?: VersionSelector | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ProgressListener | undefined;
}

/** Compares the stored files of a version with its record (legacy versions: hashed, reported readable). */
export async function verifyVersion(input: VerifyInput): Promise<VerifyResult> {
  const { driver, collection, name, signal, onProgress } = input;
  const resolved = await resolveVersion(driver, collection, name, input.version, signal);
  const record = await readVersionRecord(driver, collection, name, resolved, signal);
  const stored = record.legacy
    ? record.files
    : await listVersionFiles(driver, collection, name, resolved.n, signal);
  const storedSizes = new Map(stored.map((file) => [file.path, file.size]));
  const expected = new Set(record.files.map((file) => file.path));
  const missing = record.files.filter((file) => !storedSizes.has(file.path)).map((file) => file.path);
  const extra = stored.filter((file) => !expected.has(file.path)).map((file) => file.path);
  const present = record.files.filter((file) => storedSizes.has(file.path));
  const totalBytes = present.reduce((sum, file) => sum + file.size, 0);
  onProgress?.({ type: "start", operation: "verify", files: present.length, totalBytes });
  const prefix = versionPrefix(collection, name, resolved.n);
  const changed = await mapFiles(
    driver,
    present,
    (file) => file.size,
    async (file) =>
      (await fileChanged(driver, prefix, file, storedSizes.get(file.path), input)) ? file.path : null,
    input,
  );
  onProgress?.({ type: "done", operation: "verify", files: present.length, bytes: totalBytes });
  const changedPaths = changed.filter((path): path is string => path !== null);
  return {
    ok: missing.length + extra.length + changedPaths.length === 0,
    missing,
    extra,
    changed: changedPaths,
  };
}

async function fileChanged(
  driver: StorageDriver,
  prefix: string,
  file: FileEntry,
  storedSize: number | undefined,
  input: VerifyInput,
): Promise<boolean> {
  const { signal, onProgress } = input;
  const key = prefix + file.path;
  const path = driver.localPath?.(key);
  // A local store file is opened with the store's checks (inside the root, a regular file).
  const stream =
    path !== undefined
      ? readLocalFile(path, async () => (await openStoreFile(driver.url, path, key)).handle)
      : await driver.read(key, signal ? { signal } : {});
  const onBytes =
    onProgress &&
    ((bytes: number) => onProgress({ type: "file", path: file.path, bytes, totalBytes: file.size }));
  // Stops at the record's size: a longer file is changed, and is not read to its end.
  const limit = file.sha256 === undefined ? undefined : { maxBytes: file.size, key, backend: driver.backend };
  let got: HashedBytes;
  try {
    got = await hashStream(stream, { signal, onBytes, limit });
  } catch (error) {
    if (!limit || !isArtifactError(error, "CHECKSUM_MISMATCH")) throw error;
    onProgress?.({ type: "file-done", path: file.path, size: file.size });
    return true;
  }
  onProgress?.({ type: "file-done", path: file.path, size: got.size });
  if (file.sha256 === undefined) return false;
  return got.size !== file.size || storedSize !== file.size || got.sha256 !== file.sha256;
}
