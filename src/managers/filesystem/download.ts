/**
 * Downloads: files are fetched into a hidden staging folder (inside `to` when it exists, else beside
 * it; download-staging.ts), each checked against the record, and moved into place only when all are
 * verified, so `to` never holds a partial download.
 * Same-named files in `to` are overwritten; other files are left alone. With `paths`, only those files
 * of the version are read, checked and moved. With a `cache`, files come from the download cache, or
 * enter it as each is verified (src/cache/download-cache.ts); it is trimmed to its cap at the end.
 */
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import type { DownloadCache } from "../../cache/download-cache.js";
import { pickDownloadFiles } from "../../core/download-paths.js";
import type { Artifact, ProgressListener, VersionSelector } from "../../core/types.js";
import { createStaging, publish } from "../../storage/download-staging.js";
import { checkDownloadTarget } from "../../storage/download-target.js";
import type { StorageDriver } from "../../storage/driver.js";
import { versionPrefix } from "./layout.js";
import type { FileConcurrency } from "./map-files.js";
import { readVersionRecord } from "./read-version.js";
import { resolveVersion } from "./resolve.js";
import { downloadFiles } from "./transfer.js";

/** Everything one download needs. */
export interface DownloadInput extends FileConcurrency {
  driver: StorageDriver;
  collection: string;
  name: string;
  to: string;
  version?: VersionSelector | undefined;
  /** Only these files (validated, normalised paths); every file when undefined. */
  paths?: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ProgressListener | undefined;
  /** The download cache to take files from and fill; none = straight from the store. */
  cache?: DownloadCache | undefined;
}

/** Downloads a version into `to` and returns the resolved artifact. */
export async function downloadVersion(input: DownloadInput): Promise<Artifact> {
  const { driver, collection, name, signal } = input;
  const to = resolve(input.to);
  await checkDownloadTarget(to); // a file as `to` fails before anything is read
  // Resolve before writing anything: a missing artifact or version leaves the disk untouched.
  const resolved = await resolveVersion(driver, collection, name, input.version, signal);
  const record = await readVersionRecord(driver, collection, name, resolved, signal);
  const files = pickDownloadFiles(record.files, input.paths, (file) => file.path, record);
  const staging = await createStaging(to);
  try {
    await downloadFiles(driver, files, versionPrefix(collection, name, resolved.n), staging, input);
    await publish(staging, to);
    return { name, collection, version: resolved.version };
  } finally {
    await rm(staging, { recursive: true, force: true });
    await input.cache?.trim();
  }
}
