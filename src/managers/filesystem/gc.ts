/**
 * Garbage collection of store format v1 (docs/store-format.md, "Garbage collection"). Race-free by
 * design: gc never deletes the files of a number it has not first made dead with a create-only
 * tombstone at the number's record key. A writer whose claim gc took over then fails its own
 * create-only commit (it reports CONFLICT); a writer that committed first makes gc's tombstone fail,
 * and gc leaves the version alone. What is collected:
 * - dead numbers (a tombstone): their writer's `v<N>/` files at any age (the claim lists them by path
 *   and size; objects not listed stay: a Python writer may have reused the number once its folder was
 *   gone); the tombstone and the claim stay;
 * - abandoned claims (no record, no tombstone) whose newest object (the claim or a file under
 *   `v<N>/`) is older than the grace period, measured on the store's clock: tombstone, then the files.
 *   When `v<N>/` holds files the claim does not list, the number is someone else's (Python scaffold
 *   takes no claims): only our files and our claim go, so their version shows;
 * - staging folders (local disk, memory) whose newest file is older than the grace period: moved
 *   aside in one atomic rename first, so a writer's own rename gets all of it or none.
 * `v<N>/` folders without a claim of ours (Python scaffold's versions) are never touched.
 */
import { randomBytes } from "node:crypto";
import { rmdir } from "node:fs/promises";
import { formatVersion, parseVersion } from "../../core/names.js";
import { readAll } from "../../storage/body.js";
import type { ObjectInfo, StorageDriver } from "../../storage/driver.js";
import { mapConcurrent } from "../../util/map-concurrent.js";
import { listAliasMap } from "./aliases.js";
import { aliasKey, claimKey, metaPrefix, recordKey, stagingRoot, versionPrefix } from "./layout.js";
import { type ArtifactState, scanArtifact } from "./scan.js";
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
   * `tombstone`: an abandoned number made dead (an empty record written; nothing is deleted by it);
   * `upload`: files under `v<N>/` of an abandoned or dead number; `claim`: our claim of a number
   * someone else's files hold (removed, so their version shows); `staging`: a staging folder;
   * `alias`: an alias pointing at a deleted version (a delete that stopped after hiding it).
   */
  kind: "tombstone" | "claim" | "upload" | "staging" | "alias";
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
    // Which objects our writer put there: the claim lists its files (path and size). Without a list
    // (a claim of an older version of this library), all of an abandoned claim's, and a dead
    // number's that predate its death.
    const listed =
      claimed === undefined || objects.length === 0
        ? undefined
        : await claimedFiles(driver, collection, name, n, signal);
    const ours = (object: ObjectInfo) =>
      listed !== undefined
        ? listed.get(object.key.slice(prefix.length)) === object.size
        : died === undefined || (died !== 0 && modifiedOf(object) <= died);
    const version = formatVersion(n);
    let doomed = objects.filter(ours);
    const newest = Math.max(claimed ?? 0, ...objects.map(modifiedOf));
    const ageMs = options.now() - Math.max(died ?? 0, newest);
    if (died === undefined) {
      // An abandoned claim: old enough when its newest object is (an unknown claim time never is).
      if (!claimed || options.now() - newest < options.olderThanMs) continue;
      if (doomed.length < objects.length) {
        // Someone else's files are there (Python scaffold takes no claims and picked this number):
        // their version. Our own files and our claim go, so it shows; no tombstone.
        items.push(
          ...(await removeUpload(driver, prefix, version, doomed, { collection, name, ageMs }, options)),
        );
        items.push({
          kind: "claim",
          collection,
          name,
          key: claimKey(collection, name, n),
          version,
          objects: 1,
          bytes: 0,
          ageMs,
        });
        if (!options.dryRun) await driver.delete(claimKey(collection, name, n), signal ? { signal } : {});
        continue;
      }
      if (!options.dryRun && !(await takeOver(driver, collection, name, n, signal))) continue;
      items.push({
        kind: "tombstone",
        collection,
        name,
        key: recordKey(collection, name, n),
        version,
        objects: 0,
        bytes: 0,
        ageMs,
      });
      doomed = objects; // all ours, listed before our tombstone
    }
    // A dead number keeps its tombstone and its claim (whose list matches our late uploads, e.g. a
    // request that landed after its writer's cleanup); objects not ours stay (a Python writer may
    // have reused the number once its folder was gone).
    for (const item of await removeUpload(
      driver,
      prefix,
      version,
      doomed,
      { collection, name, ageMs },
      options,
    ))
      items.push(item);
    // Local disk: a crash between `mkdir v<N>/` and the rename leaves an empty folder Python would list.
    if (!options.dryRun && driver.localPath && state.folders.has(n))
      await removeIfEmpty(driver.localPath(prefix.slice(0, -1)));
  }
  // One push per item: a spread of a long list (every staging folder of years of crashed logs) could
  // pass V8's argument limit.
  for (const item of await collectStaging(driver, collection, name, options)) items.push(item);
  for (const item of await collectDeadAliases(driver, collection, name, state, options)) items.push(item);
  return items;
}

/**
 * Aliases that point at a dead number: only a delete makes a number an alias pointed at dead (setAlias
 * needs a visible version), and it removes them right after; one that stopped in between left them.
 */
async function collectDeadAliases(
  driver: StorageDriver,
  collection: string,
  name: string,
  state: ArtifactState,
  options: GarbageSettings,
): Promise<GarbageItem[]> {
  if (state.tombstones.size === 0) return [];
  const { signal } = options;
  const items: GarbageItem[] = [];
  for (const [alias, version] of Object.entries(await listAliasMap(driver, collection, name, signal))) {
    const n = parseVersion(version);
    if (n === undefined || !state.tombstones.has(n)) continue;
    const key = aliasKey(collection, name, alias);
    items.push({ kind: "alias", collection, name, key, version, objects: 1, bytes: 0, ageMs: 0 });
    if (!options.dryRun) await driver.delete(key, signal ? { signal } : {});
  }
  return items;
}

async function removeUpload(
  driver: StorageDriver,
  prefix: string,
  version: string,
  doomed: ObjectInfo[],
  where: { collection: string; name: string; ageMs: number },
  options: GarbageSettings,
): Promise<GarbageItem[]> {
  if (doomed.length === 0) return [];
  const bytes = doomed.reduce((sum, object) => sum + object.size, 0);
  if (!options.dryRun) {
    const signal = options.signal;
    await mapConcurrent(doomed, (object) => driver.delete(object.key, signal ? { signal } : {}), {
      concurrency: 16,
      signal,
    });
  }
  return [{ kind: "upload", ...where, key: prefix, version, objects: doomed.length, bytes }];
}

/** The files a claim says its writer uploads (path → size), or undefined for a claim without a list. */
async function claimedFiles(
  driver: StorageDriver,
  collection: string,
  name: string,
  n: number,
  signal: AbortSignal | undefined,
): Promise<Map<string, number> | undefined> {
  let claim: unknown;
  try {
    claim = JSON.parse(
      (await readAll(await driver.read(claimKey(collection, name, n), signal ? { signal } : {}))).toString(
        "utf8",
      ),
    );
  } catch {
    return undefined; // gone since the listing, or not ours to parse: the fallback rule applies
  }
  const files = (claim as { files?: unknown } | null)?.files;
  if (!Array.isArray(files)) return undefined;
  const listed = new Map<string, number>();
  for (const file of files)
    if (typeof file?.path === "string" && typeof file.size === "number") listed.set(file.path, file.size);
  return listed;
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
