/**
 * Garbage collection of store format v1: abandoned claims (no record after the grace period), the
 * files uploaded under them, and staging folders left by crashed writers. The claim of an artifact's
 * highest number is kept (its files still go), so that number is never handed out again.
 */
import { formatVersion } from "../../core/names.js";
import type { StorageDriver } from "../../storage/driver.js";
import { claimKey, stagingRoot, versionPrefix } from "./layout.js";
import { nextVersionNumber, scanArtifact } from "./scan.js";
import { deletePrefix } from "./transfer.js";

/** Default grace period: a claim or staging folder younger than this may belong to a live writer. */
export const DEFAULT_GC_GRACE_MS = 24 * 60 * 60 * 1000;

/** Options of `collectGarbage`. */
export interface CollectGarbageOptions {
  /** Only this collection. @default every collection */
  collection?: string;
  /** Only remove what is older than this many milliseconds. @default DEFAULT_GC_GRACE_MS (24 h) */
  olderThanMs?: number;
  /** Report what would be removed without removing it. @default false */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** One thing garbage collection removed (or would remove, in a dry run). */
export interface GarbageItem {
  /** `claim`: an abandoned claim object; `upload`: files under `v<N>/` of an abandoned claim; `staging`: a staging folder. */
  kind: "claim" | "upload" | "staging";
  collection: string;
  name: string;
  /** The object key (`claim`) or the folder prefix (`upload`, `staging`). */
  key: string;
  /** The abandoned version (`claim`, `upload`). */
  version?: string;
  objects: number;
  bytes: number;
  /** Age in milliseconds of the newest object of the item. */
  ageMs: number;
}

/** What `collectGarbage` did. */
export interface CollectGarbageResult {
  dryRun: boolean;
  items: GarbageItem[];
  objects: number;
  bytes: number;
}

/** Collects the garbage of one artifact. */
export async function collectArtifactGarbage(
  driver: StorageDriver,
  collection: string,
  name: string,
  options: { olderThanMs: number; dryRun: boolean; now: number; signal?: AbortSignal | undefined },
): Promise<GarbageItem[]> {
  const items: GarbageItem[] = [];
  const state = await scanArtifact(driver, collection, name, options.signal);
  const highest = nextVersionNumber(state) - 1;
  for (const [n, modified] of state.claims) {
    if (state.records.has(n) || modified === 0 || options.now - modified < options.olderThanMs) continue;
    const base = { collection, name, version: formatVersion(n), ageMs: options.now - modified };
    if (state.folders.has(n)) {
      const prefix = versionPrefix(collection, name, n);
      const usage = await measure(driver, prefix, options.signal);
      items.push({ ...base, kind: "upload", key: prefix, ...usage });
      if (!options.dryRun) await deletePrefix(driver, prefix, options.signal);
    }
    if (n === highest) continue;
    items.push({ ...base, kind: "claim", key: claimKey(collection, name, n), objects: 1, bytes: 0 });
    if (!options.dryRun) await driver.delete(claimKey(collection, name, n));
  }
  items.push(...(await collectStaging(driver, collection, name, options)));
  return items;
}

async function collectStaging(
  driver: StorageDriver,
  collection: string,
  name: string,
  options: { olderThanMs: number; dryRun: boolean; now: number; signal?: AbortSignal | undefined },
): Promise<GarbageItem[]> {
  const root = stagingRoot(collection, name);
  const folders = new Map<string, { objects: number; bytes: number; newest: number }>();
  for await (const entry of driver.list(root, options.signal ? { signal: options.signal } : {})) {
    if (entry.type !== "object") continue;
    const id = entry.key.slice(root.length).split("/")[0] ?? "";
    const folder = folders.get(id) ?? { objects: 0, bytes: 0, newest: 0 };
    folder.objects += 1;
    folder.bytes += entry.size;
    folder.newest = Math.max(folder.newest, entry.lastModified?.getTime() ?? options.now);
    folders.set(id, folder);
  }
  const items: GarbageItem[] = [];
  for (const [id, folder] of folders) {
    const ageMs = options.now - folder.newest;
    if (ageMs < options.olderThanMs) continue;
    const key = `${root}${id}/`;
    items.push({
      kind: "staging",
      collection,
      name,
      key,
      objects: folder.objects,
      bytes: folder.bytes,
      ageMs,
    });
    if (!options.dryRun) await deletePrefix(driver, key, options.signal);
  }
  return items;
}

async function measure(
  driver: StorageDriver,
  prefix: string,
  signal?: AbortSignal,
): Promise<{ objects: number; bytes: number }> {
  let objects = 0;
  let bytes = 0;
  for await (const entry of driver.list(prefix, signal ? { signal } : {})) {
    if (entry.type !== "object") continue;
    objects += 1;
    bytes += entry.size;
  }
  return { objects, bytes };
}
