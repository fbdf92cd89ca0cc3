/**
 * The staging folder every backend downloads into, and moving it into `to` only when every file is
 * verified: one rename onto a missing or empty `to`, else a merge that checks for file/folder clashes
 * before the first rename, so `to` is never left half filled.
 */
import { randomBytes } from "node:crypto";
import { lstatSync, readdirSync, renameSync, type Stats } from "node:fs";
import { lstat, mkdir, readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ArtifactError } from "../errors.js";
import { errnoOf } from "../storage/fs-errors.js";
import { checkDownloadTarget, notAFolder } from "./download-target.js";

/** Throws INVALID_ARGUMENT when `to` is a file; true when `to` is missing or an empty folder. */
export async function targetIsEmpty(to: string): Promise<boolean> {
  if ((await checkDownloadTarget(to)) === null) return true;
  // A symlinked target is filled through the link (a rename would replace the link itself).
  if ((await lstat(to)).isSymbolicLink()) return false;
  return (await readdir(to)).length === 0;
}

/**
 * Creates the staging folder: next to `to` when `to` is missing or empty (the finished download then
 * appears in one rename), inside `to` when it already holds files (they are merged at the end).
 */
export async function createStaging(to: string, empty: boolean): Promise<string> {
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
export async function publish(staging: string, to: string): Promise<void> {
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
