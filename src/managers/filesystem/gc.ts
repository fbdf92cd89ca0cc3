/**
 * Garbage collection of store format v1 (docs/store-format.md, "Garbage collection"). Race-free by
 * design: gc never deletes the files of a number it has not first made dead with a create-only
 * tombstone at the number's record key. A writer whose claim gc took over then fails its own
 * create-only commit (it reports CONFLICT); a writer that committed first makes gc's tombstone fail,
 * and gc leaves the version alone. What is collected:
 * - dead numbers (a tombstone): their claim and the `v<N>/` files that predate the tombstone, at any
 *   age (newer files are left alone: a Python writer may have reused the number);
 * - abandoned claims (no record, no tombstone) whose newest object (the claim or a file under
 *   `v<N>/`) is older than the grace period, measured on the store's clock: tombstone, files, claim;
 * - staging folders (local disk, memory) whose newest file is older than the grace period: moved
 *   aside in one atomic rename first, so a writer's own rename gets all of it or none.
 * `v<N>/` folders without a claim of ours (Python scaffold's versions) are never touched.
 */
import { randomBytes } from "node:crypto";
import { rmdir } from "node:fs/promises";
import { mapConcurrent } from "../../core/map-concurrent.js";
import { formatVersion } from "../../core/names.js";
import type { ObjectInfo, StorageDriver } from "../../storage/driver.js";
import { claimKey, metaPrefix, recordKey, stagingRoot, versionPrefix } from "./layout.js";
import { scanArtifact } from "./scan.js";
import { writeTombstone } from "./tombstone.js";
import { deletePrefix } from "./transfer.js";

/** Default grace period: a claim or staging folder younger than this may belong to a live writer. */
export const DEFAULT_GC_GRACE_MS = 24 * 60 * 60 * 1000;

/** Options of `collectGarbage`. */
export interface CollectGarbageOptions {
  /** Only this collection. @default every collection */
  collection?: string;
  /**
   * Only remove what is older than this many milliseconds (the age of an item's newest object, on
   * the store's clock). Dead numbers' leftovers go at any age. @default DEFAULT_GC_GRACE_MS (24 h)
   */
  olderThanMs?: number;
  /** Report what would be removed without removing it. @default false */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** One thing garbage collection removed (or would remove, in a dry run). */
export interface GarbageItem {
  /**
   * `claim`: an abandoned or dead number's claim object; `upload`: files under `v<N>/` of an abandoned
   * or dead number; `staging`: a staging folder.
   */
  kind: "claim" | "upload" | "staging";
  collection: string;
  name: string;
  /** The object key (`claim`) or the folder prefix (`upload`, `staging`). */
  key: string;
  /** The abandoned version (`claim`, `upload`). */
  version?: string;
  objects: number;
  bytes: number;
  /** Age in milliseconds of the newest object of the item (on the store's clock). */
  ageMs: number;
}

/** What `collectGarbage` did. */
export interface CollectGarbageResult {
  dryRun: boolean;
  items: GarbageItem[];
  objects: number;
  bytes: number;
}

/** Settings of one garbage collection run. */
export interface GarbageSettings {
  olderThanMs: number;
  dryRun: boolean;
  /** The store's current time in ms. */
  now: () => number;
  signal?: AbortSignal | undefined;
}

/**
 * A clock that follows the store's: writes a scratch object under `meta/` of one artifact, reads its
 * last-modified time and keeps the offset from this machine's clock (the objects gc ages were dated
 * by the store, not by us). Without a last-modified time, this machine's clock.
 */
export async function storeClock(
  driver: StorageDriver,
  collection: string,
  name: string,
  signal?: AbortSignal,
): Promise<() => number> {
  const key = `${metaPrefix(collection, name)}clock-${randomBytes(8).toString("hex")}`;
  const before = Date.now();
  await driver.write(key, "", signal ? { signal } : {});
  try {
    const info = await driver.stat(key, signal ? { signal } : {});
    const after = Date.now();
    const stamped = info?.lastModified?.getTime();
    // Stores stamp whole seconds (S3): the mid-point is at most 1 s off, far below any grace period.
    const offset = stamped === undefined ? 0 : stamped - (before + after) / 2;
    return () => Date.now() + offset;
  } finally {
    await driver.delete(key).catch(() => {});
  }
}

/** Collects the garbage of one artifact. */
export async function collectArtifactGarbage(
  driver: StorageDriver,
  collection: string,
  name: string,
  options: GarbageSettings,
): Promise<GarbageItem[]> {
  const items: GarbageItem[] = [];
  const { signal } = options;
  const state = await scanArtifact(driver, collection, name, signal);
  const numbers = new Set([...state.claims.keys(), ...state.tombstones.keys()]);
  for (const n of [...numbers].sort((x, y) => x - y)) {
    if (state.records.has(n)) continue;
    const claimed = state.claims.get(n);
    const prefix = versionPrefix(collection, name, n);
    const objects = state.folders.has(n) ? await listObjects(driver, prefix, signal) : [];
    const died = state.tombstones.get(n);
    let doomed: ObjectInfo[];
    let ageMs: number;
    if (died === undefined) {
      // An abandoned claim: old enough when its newest object is (an unknown claim time never is).
      const newest = Math.max(claimed ?? 0, ...objects.map(modifiedOf));
      ageMs = options.now() - newest;
      if (!claimed || ageMs < options.olderThanMs) continue;
      if (!options.dryRun && !(await takeOver(driver, collection, name, n, signal))) continue;
      doomed = objects; // all listed before our tombstone: the abandoned writer's
    } else {
      // A dead number: what predates its death is the failed writer's, at any age. Newer objects are
      // left alone: a Python writer (no claims) may have reused the number once its folder was gone.
      doomed = died === 0 ? [] : objects.filter((object) => modifiedOf(object) <= died);
      ageMs = options.now() - Math.max(died, ...doomed.map(modifiedOf));
    }
    const version = formatVersion(n);
    if (doomed.length > 0) {
      const bytes = doomed.reduce((sum, object) => sum + object.size, 0);
      items.push({
        kind: "upload",
        collection,
        name,
        key: prefix,
        version,
        objects: doomed.length,
        bytes,
        ageMs,
      });
      if (!options.dryRun)
        await mapConcurrent(doomed, (object) => driver.delete(object.key), { concurrency: 16, signal });
    }
    // Local disk: a crash between `mkdir v<N>/` and the rename leaves an empty folder Python would list.
    if (!options.dryRun && driver.localPath && state.folders.has(n))
      await removeIfEmpty(driver.localPath(prefix.slice(0, -1)));
    if (claimed !== undefined) {
      const claim = claimKey(collection, name, n);
      items.push({ kind: "claim", collection, name, key: claim, version, objects: 1, bytes: 0, ageMs });
      if (!options.dryRun) await driver.delete(claim, signal ? { signal } : {});
    }
  }
  items.push(...(await collectStaging(driver, collection, name, options)));
  return items;
}

async function removeIfEmpty(path: string): Promise<void> {
  await rmdir(path).catch(() => {}); // ENOTEMPTY: someone's files are there; ENOENT: already gone
}

function modifiedOf(object: ObjectInfo): number {
  return object.lastModified?.getTime() ?? 0;
}

async function listObjects(
  driver: StorageDriver,
  prefix: string,
  signal?: AbortSignal,
): Promise<ObjectInfo[]> {
  const objects: ObjectInfo[] = [];
  for await (const entry of driver.list(prefix, signal ? { signal } : {}))
    if (entry.type === "object") objects.push(entry);
  return objects;
}

/**
 * Makes N dead with a create-only tombstone at its record key: true when N is dead now (ours, or an
 * earlier tombstone), false when a writer committed N first (its version is left alone).
 */
async function takeOver(
  driver: StorageDriver,
  collection: string,
  name: string,
  n: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const key = recordKey(collection, name, n);
  if (await writeTombstone(driver, key, signal)) return true;
  return (await driver.stat(key, signal ? { signal } : {}))?.size === 0;
}

async function collectStaging(
  driver: StorageDriver,
  collection: string,
  name: string,
  options: GarbageSettings,
): Promise<GarbageItem[]> {
  const root = stagingRoot(collection, name);
  const { signal } = options;
  const folders = new Map<string, { objects: number; bytes: number; newest: number }>();
  for await (const entry of driver.list(root, signal ? { signal } : {})) {
    if (entry.type !== "object") continue;
    const id = entry.key.slice(root.length).split("/")[0] ?? "";
    const folder = folders.get(id) ?? { objects: 0, bytes: 0, newest: 0 };
    folder.objects += 1;
    folder.bytes += entry.size;
    folder.newest = Math.max(folder.newest, entry.lastModified?.getTime() ?? options.now());
    folders.set(id, folder);
  }
  const items: GarbageItem[] = [];
  for (const [id, folder] of folders) {
    const ageMs = options.now() - folder.newest;
    if (ageMs < options.olderThanMs) continue;
    const key = `${root}${id}/`;
    if (!options.dryRun && !(await moveAside(driver, collection, name, key, signal))) continue;
    items.push({
      kind: "staging",
      collection,
      name,
      key,
      objects: folder.objects,
      bytes: folder.bytes,
      ageMs,
    });
  }
  // Folders an interrupted gc moved aside.
  if (!options.dryRun && driver.renamePrefix) await deletePrefix(driver, trashRoot(collection, name), signal);
  return items;
}

/**
 * Takes a staging folder away from its writer in one atomic rename, then deletes it: the writer's own
 * rename to `v<N>/` then finds nothing (it reports CONFLICT) instead of moving a half-deleted folder
 * into a version. False when the writer renamed it first.
 */
async function moveAside(
  driver: StorageDriver,
  collection: string,
  name: string,
  staging: string,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (!driver.renamePrefix) {
    await deletePrefix(driver, staging, signal);
    return true;
  }
  const trash = `${trashRoot(collection, name)}${randomBytes(8).toString("hex")}/`;
  try {
    await driver.renamePrefix(staging, trash, signal ? { signal } : {});
  } catch (error) {
    if ((error as { code?: unknown }).code === "NOT_FOUND") return false;
    throw error;
  }
  await deletePrefix(driver, trash, signal);
  return true;
}

/** `c/n/meta/trash/`: staging folders gc took away, deleted right after. */
function trashRoot(collection: string, name: string): string {
  return `${metaPrefix(collection, name)}trash/`;
}
