/**
 * The staging folder every backend downloads into, and moving it into `to` only when every file is
 * verified. When `to` exists, the staging folder is made inside it and its entries are moved in, so
 * `to` itself (inode, mode, owner, a mount point, a symlink) is never replaced; file/folder clashes are
 * checked before the first rename, so `to` is never left half filled. When `to` does not exist, the
 * staging folder is made beside it and renamed into place in one step.
 *
 * Staging folders of downloads that were killed (`kill -9`, OOM, power cut) are removed by the next
 * download into the same target, but only when provably dead: each staging folder is named after its
 * writer's host and pid (`.artifact-download-<host>-<pid>-<random>`), and a folder is removed when its
 * host is this one (same host name, boot and pid namespace) and that pid no longer exists, or, for any
 * other folder (another host or container, pid reused, older releases' names), when nothing in it has
 * changed for {@link STALE_STAGING_AGE_MS}. A live download's staging folder is never removed.
 */
import { createHash, randomBytes } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync, renameSync, type Stats } from "node:fs";
import { lstat, mkdir, readdir, rm, rmdir } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { ArtifactError } from "../errors.js";
import { checkDownloadTarget, notAFolder } from "./download-target.js";
import { errnoOf } from "./fs-errors.js";

/**
 * A staging folder whose writer cannot be proven dead (another host or container, a reused pid, a name
 * without host and pid) is removed once nothing in it changed for this long: 24 h, as gc's default grace.
 */
export const STALE_STAGING_AGE_MS = 24 * 60 * 60 * 1000;

const STAGING_PREFIX = "artifact-download-";
/** `<host id>-<pid>-<random>`: the names this release gives. */
const STAGING_ID = /^([0-9a-f]{12})-([1-9][0-9]*)-[0-9a-f]{12}$/;
/** `<random>`: the names of releases before the host and pid were recorded (only the age rule applies). */
const LEGACY_STAGING_ID = /^[0-9a-f]{12}$/;
/** A rename that failed because something is already at the target. */
const OCCUPIED = new Set(["ENOTEMPTY", "EEXIST"]);

let hostIdCache: string | undefined;

/**
 * This process's "host" for pid checks, hashed: host name, boot id and pid namespace (Linux). Two
 * processes with the same id see the same pids, so `process.kill(pid, 0)` answers for the other.
 */
export function stagingHostId(): string {
  hostIdCache ??= createHash("sha256")
    .update([hostname(), readOr("/proc/sys/kernel/random/boot_id"), linkOr("/proc/self/ns/pid")].join("\0"))
    .digest("hex")
    .slice(0, 12);
  return hostIdCache;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}

function linkOr(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "";
  }
}

/**
 * Removes stale staging folders of earlier downloads into `to` (see the file comment), inside `to` and
 * beside it, and creates this download's staging folder: inside `to` when it exists, else beside it.
 * `INVALID_ARGUMENT` when `to` is a file.
 */
export async function createStaging(to: string): Promise<string> {
  const exists = (await checkDownloadTarget(to)) !== null;
  await removeStaleStaging(to);
  const id = `${STAGING_PREFIX}${stagingHostId()}-${process.pid}-${randomBytes(6).toString("hex")}`;
  if (!exists) {
    await mkdir(dirname(to), { recursive: true }).catch((error: unknown) => {
      if (errnoOf(error) === "ENOTDIR" || errnoOf(error) === "EEXIST") throw notAFolder(to);
      throw error;
    });
    const sibling = join(dirname(to), `.${basename(to)}.${id}`);
    const made = await mkdir(sibling).then(
      () => true,
      () => false, // e.g. a name too long for the parent's file system: stage inside `to` instead
    );
    if (made) return sibling;
    await mkdir(to, { recursive: true });
  }
  const inside = join(to, `.${id}`);
  await mkdir(inside);
  return inside;
}

/**
 * Moves the verified staging folder into place. A staging folder beside `to` becomes `to` in one rename
 * when `to` is still missing; otherwise (staged inside `to`, or `to` appeared meanwhile) its entries are
 * merged into `to`, which stays the same folder.
 */
export async function publish(staging: string, to: string): Promise<void> {
  if (dirname(staging) !== to && (await claimTarget(to))) {
    try {
      renameSync(staging, to); // onto the empty folder made just above, never onto someone else's
      return;
    } catch (error) {
      // A concurrent download already staging inside our fresh `to`: merge instead.
      if (!OCCUPIED.has(errnoOf(error) ?? "")) {
        await rmdir(to).catch(() => undefined);
        throw error;
      }
    }
  }
  mergeInto(staging, to);
}

/**
 * Creates `to` and returns true; false when it exists (a folder: merge into it). Renaming only onto a
 * folder we just made means an empty folder someone else made is never replaced.
 */
async function claimTarget(to: string): Promise<boolean> {
  try {
    await mkdir(to);
    return true;
  } catch (error) {
    if (errnoOf(error) !== "EEXIST") throw error;
    await checkDownloadTarget(to);
    return false;
  }
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
    if (entry.isDirectory() && lstatOrNull(target)?.isDirectory()) {
      mergeInto(source, target);
      continue;
    }
    try {
      renameSync(source, target);
    } catch (error) {
      // A concurrent download moved the same folder in since we looked: merge into it.
      if (!entry.isDirectory() || !OCCUPIED.has(errnoOf(error) ?? "")) throw error;
      mergeInto(source, target);
    }
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

/**
 * Removes the dead staging folders of earlier downloads into `to`: `.<to>.artifact-download-…` beside
 * it and `.artifact-download-…` inside it. Best effort: a folder that cannot be read or removed is left.
 */
async function removeStaleStaging(to: string): Promise<void> {
  const parent = dirname(to);
  const beside = `.${basename(to)}.${STAGING_PREFIX}`;
  const inside = `.${STAGING_PREFIX}`;
  const found = [
    ...(await namesIn(parent))
      .filter((n) => n.startsWith(beside))
      .map((n) => ({ folder: parent, name: n, id: n.slice(beside.length) })),
    ...(await namesIn(to))
      .filter((n) => n.startsWith(inside))
      .map((n) => ({ folder: to, name: n, id: n.slice(inside.length) })),
  ];
  await Promise.all(
    found.map(async ({ folder, name, id }) => {
      const path = join(folder, name);
      if (await isStale(path, id)) await rm(path, { recursive: true, force: true }).catch(() => undefined);
    }),
  );
}

async function namesIn(folder: string): Promise<string[]> {
  return readdir(folder).catch(() => []);
}

/** The rule of the file comment: a dead writer on this host, or no change for {@link STALE_STAGING_AGE_MS}. */
async function isStale(path: string, id: string): Promise<boolean> {
  const match = STAGING_ID.exec(id);
  if (match === null && !LEGACY_STAGING_ID.test(id)) return false; // not a name we give: not ours to remove
  if (match?.[1] === stagingHostId()) {
    const pid = Number(match[2]);
    if (pid === process.pid) return false; // a download running in this process
    if (!processExists(pid)) return true;
  }
  const changed = await newestChange(path);
  return changed !== null && Date.now() - changed > STALE_STAGING_AGE_MS;
}

/** Whether a process with this pid exists on this host (EPERM: it does, under another user). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) !== "ESRCH";
  }
}

/** The newest modification time in the tree at `path`, in ms; null when it cannot be read. */
async function newestChange(path: string): Promise<number | null> {
  try {
    let newest = (await lstat(path)).mtimeMs;
    for (const entry of await readdir(path, { recursive: true, withFileTypes: true })) {
      const info = await lstat(join(entry.parentPath, entry.name)).catch(() => null);
      if (info !== null) newest = Math.max(newest, info.mtimeMs);
    }
    return newest;
  } catch {
    return null;
  }
}
