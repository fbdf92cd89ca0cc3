/**
 * Downloads: files are fetched into a hidden staging folder (next to `to`, or inside it when it already
 * has files), each checked against the record, and moved into place only when all are verified, so
 * `to` never holds a partial download.
 * Same-named files in `to` are overwritten; other files are left alone. With `paths`, only those files
 * of the version are read, checked and moved.
 */
import { randomBytes } from "node:crypto";
import { lstatSync, readdirSync, renameSync, type Stats } from "node:fs";
import { lstat, mkdir, readdir, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { pickDownloadFiles } from "../../core/download-paths.js";
import type { Artifact, ProgressListener, VersionSelector } from "../../core/types.js";
import { ArtifactError } from "../../errors.js";
import type { StorageDriver } from "../../storage/driver.js";
import { errnoOf } from "../../storage/fs-errors.js";
import { checkDownloadTarget, notAFolder } from "../download-target.js";
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
  /** Only these files (validated, normalised paths); every file when undefined. */
  paths?: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ProgressListener | undefined;
  concurrency: number;
}

/** Downloads a version into `to` and returns the resolved artifact. */
export async function downloadVersion(input: DownloadInput): Promise<Artifact> {
  const { driver, collection, name, signal } = input;
  const to = resolve(input.to);
  const empty = await targetIsEmpty(to);
  // Resolve before writing anything: a missing artifact or version leaves the disk untouched.
  const resolved = await resolveVersion(driver, collection, name, input.version, signal);
  const record = await readVersionRecord(driver, collection, name, resolved, signal);
  const files = pickDownloadFiles(record.files, input.paths, (file) => file.path, record);
  const staging = await createStaging(to, empty);
  try {
    await downloadFiles(driver, files, versionPrefix(collection, name, resolved.n), staging, input);
    await publish(staging, to);
    return { name, collection, version: resolved.version };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Throws INVALID_ARGUMENT when `to` is a file; true when `to` is missing or an empty folder. */
async function targetIsEmpty(to: string): Promise<boolean> {
  if ((await checkDownloadTarget(to)) === null) return true;
  // A symlinked target is filled through the link (a rename would replace the link itself).
  if ((await lstat(to)).isSymbolicLink()) return false;
  return (await readdir(to)).length === 0;
}

/**
 * Creates the staging folder: next to `to` when `to` is missing or empty (the finished download then
 * appears in one rename), inside `to` when it already holds files (they are merged at the end).
 */
async function createStaging(to: string, empty: boolean): Promise<string> {
  const id = `artifact-download-${randomBytes(6).toString("hex")}`;
  if (empty) {
    const sibling = join(dirname(to), `.${basename(to)}.${id}`);
    await mkdir(dirname(to), { recursive: true }).catch((error: unknown) => {
      if (errnoOf(error) === "ENOTDIR" || errnoOf(error) === "EEXIST") throw notAFolder(to);
      throw error;
    });
    const made = await mkdir(sibling).then(
      () => true,
      () => false,
    );
    if (made) return sibling;
    await mkdir(to, { recursive: true });
  }
  const inside = join(to, `.${id}`);
  await mkdir(inside);
  return inside;
}

/** Moves the verified staging folder into place: one rename onto a missing or empty `to`, else a merge. */
async function publish(staging: string, to: string): Promise<void> {
  if (dirname(staging) !== to) {
    try {
      renameSync(staging, to);
      return;
    } catch (error) {
      if (errnoOf(error) !== "ENOTEMPTY" && errnoOf(error) !== "EEXIST") throw error;
    }
  }
  mergeInto(staging, to);
}

/**
 * Moves the verified staging tree into `to`: a file or folder that does not exist in `to` yet moves in
 * one rename; existing folders are merged; existing same-named files are replaced. Synchronous: these
 * are metadata operations of microseconds each, cheaper than thread-pool round trips.
 */
function mergeInto(staging: string, to: string): void {
  checkNoClash(staging, to);
  for (const entry of readdirSync(staging, { withFileTypes: true })) {
    const source = join(staging, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory() && lstatOrNull(target)?.isDirectory()) mergeInto(source, target);
    else renameSync(source, target);
  }
}

/** Checked before the first rename, so a clash never leaves `to` half merged. */
function checkNoClash(staging: string, to: string): void {
  for (const entry of readdirSync(staging, { withFileTypes: true })) {
    const target = join(to, entry.name);
    const existing = lstatOrNull(target);
    if (entry.isDirectory() && existing?.isDirectory()) {
      checkNoClash(join(staging, entry.name), target);
    } else if (existing?.isDirectory() || (entry.isDirectory() && existing)) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `cannot download '${entry.name}' over ${target} (one is a folder, the other a file); remove it or pick another \`to\``,
      );
    }
  }
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
