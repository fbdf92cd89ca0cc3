/**
 * Downloads: files are fetched into a hidden staging folder inside `to`, each checked against the
 * record, and moved into place only when all are verified, so `to` never holds a partial download.
 * Same-named files in `to` are overwritten; other files are left alone.
 */
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { mapConcurrent } from "../../core/map-concurrent.js";
import type { Artifact, ProgressListener, VersionSelector } from "../../core/types.js";
import { ArtifactError } from "../../errors.js";
import type { StorageDriver } from "../../storage/driver.js";
import { errnoOf } from "../../storage/fs-errors.js";
import { versionPrefix } from "./layout.js";
import { readVersionRecord } from "./read-version.js";
import { resolveVersion } from "./resolve.js";
import { downloadFiles } from "./transfer.js";

/** Everything one download needs. */
export interface DownloadInput {
  driver: StorageDriver;
  collection: string;
  name: string;
  to: string;
  version?: VersionSelector | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ProgressListener | undefined;
  concurrency: number;
}

/** Downloads a version into `to` and returns the resolved artifact. */
export async function downloadVersion(input: DownloadInput): Promise<Artifact> {
  const { driver, collection, name, signal } = input;
  const to = resolve(input.to);
  const created = await prepareTarget(to);
  const staging = join(to, `.artifact-download-${randomBytes(6).toString("hex")}`);
  try {
    const resolved = await resolveVersion(driver, collection, name, input.version, signal);
    const record = await readVersionRecord(driver, collection, name, resolved, signal);
    await mkdir(staging);
    await downloadFiles(driver, record.files, versionPrefix(collection, name, resolved.n), staging, input);
    await mergeInto(staging, to);
    return { name, collection, version: resolved.version };
  } catch (error) {
    if (created) await rm(to, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Checks that `to` is a folder (creating it when missing); returns whether it was created. */
async function prepareTarget(to: string): Promise<boolean> {
  const info = await stat(to).catch((error: unknown) => {
    if (errnoOf(error) === "ENOTDIR") throw notAFolder(to);
    if (errnoOf(error) === "ENOENT") return null;
    throw error;
  });
  if (info === null) {
    await mkdir(to, { recursive: true }).catch((error: unknown) => {
      if (errnoOf(error) === "ENOTDIR" || errnoOf(error) === "EEXIST") throw notAFolder(to);
      throw error;
    });
    return true;
  }
  if (!info.isDirectory()) throw notAFolder(to);
  return false;
}

function notAFolder(to: string): ArtifactError {
  return new ArtifactError(
    "INVALID_ARGUMENT",
    `download target \`to\` ${to} is a file (or is inside one); pass a folder path`,
  );
}

/**
 * Moves the verified staging tree into `to`: a file or folder that does not exist in `to` yet moves in
 * one rename; existing folders are merged; existing same-named files are replaced.
 */
async function mergeInto(staging: string, to: string): Promise<void> {
  const entries = await readdir(staging, { withFileTypes: true });
  await mapConcurrent(
    entries,
    async (entry) => {
      const source = join(staging, entry.name);
      const target = join(to, entry.name);
      const existing = await lstat(target).catch(() => null);
      if (entry.isDirectory() && existing?.isDirectory()) return mergeInto(source, target);
      if (existing?.isDirectory()) {
        throw new ArtifactError(
          "INVALID_ARGUMENT",
          `cannot download file over the folder ${target}; remove it or pick another \`to\``,
        );
      }
      if (entry.isDirectory() && existing) {
        throw new ArtifactError(
          "INVALID_ARGUMENT",
          `cannot download folder over the file ${target}; remove it or pick another \`to\``,
        );
      }
      await rename(source, target);
    },
    { concurrency: 32 },
  );
}
