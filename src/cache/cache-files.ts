/**
 * The cache folder's layout and listing: verified files at `files/<algorithm>/<2 hex>/<hex digest>`,
 * downloads in progress at `tmp/<host>-<pid>-<random>`, and a `CACHEDIR.TAG` so backup tools skip it.
 */
import { lstat, readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { processExists, STALE_STAGING_AGE_MS, stagingHostId } from "../storage/download-staging.js";
import type { CacheKey } from "./cache-key.js";

/** One file in the cache: its path, size and when it was last used (its mtime, in ms). */
export interface CachedFile {
  path: string;
  size: number;
  usedAt: number;
}

/** The folder of verified files. */
export function filesDir(dir: string): string {
  return join(dir, "files");
}

/** The folder of downloads in progress. */
export function tmpDir(dir: string): string {
  return join(dir, "tmp");
}

/** The hash records of logged folders (src/managers/filesystem/hash-record.ts). */
export function hashesDir(dir: string): string {
  return join(dir, "hashes");
}

/** Where the file with this digest is kept. */
export function cachedPath(dir: string, key: CacheKey): string {
  return join(filesDir(dir), key.algorithm, key.hex.slice(0, 2), key.hex);
}

/** `<host>-<pid>-<random>`: the temporary file name of a download by this process. */
export function tmpName(random: string): string {
  return `${stagingHostId()}-${process.pid}-${random}`;
}

/** The cache's files (under `files/`), in no order; files that vanish while listed are left out. */
export async function listCachedFiles(dir: string): Promise<CachedFile[]> {
  return listFiles(filesDir(dir));
}

/** The temporary files of downloads in progress or killed, with `stale` set for those whose writer is gone. */
export async function listTmpFiles(
  dir: string,
  now = Date.now(),
): Promise<(CachedFile & { stale: boolean })[]> {
  const files = await listFiles(tmpDir(dir));
  return files.map((file) => ({ ...file, stale: isStaleTmp(file, now) }));
}

/**
 * A temporary file is stale when its writer is a process of this host that no longer exists, or when
 * it has not changed for 24 h (another host's, a reused pid's). A live download's file is never stale.
 */
function isStaleTmp(file: CachedFile, now: number): boolean {
  const match = /^([0-9a-f]{12})-([1-9][0-9]*)-/.exec(basename(file.path));
  if (match?.[1] === stagingHostId()) {
    const pid = Number(match[2]);
    if (pid !== process.pid && !processExists(pid)) return true;
    if (pid === process.pid) return false;
  }
  return now - file.usedAt > STALE_STAGING_AGE_MS;
}

async function listFiles(root: string): Promise<CachedFile[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = await Promise.all(
    entries
      .filter((entry) => entry.isFile())
      .map(async (entry) => {
        const path = join(entry.parentPath, entry.name);
        const info = await lstat(path).catch(() => null);
        return info?.isFile() ? { path, size: info.size, usedAt: info.mtimeMs } : null;
      }),
  );
  return files.filter((file) => file !== null);
}
