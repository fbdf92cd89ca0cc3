/** Sorted directory walks for the local driver: keys in UTF-8 byte order, internal temp files hidden. */
import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { throwIfAborted } from "../errors.js";
import { compareCodePoints } from "../util/compare.js";
import { mapConcurrent } from "../util/map-concurrent.js";
import type { ListEntry } from "./driver.js";
import { errnoOf } from "./fs-errors.js";
import { resolvesInside } from "./local-contain.js";

/** Names the local driver uses for its own temporary files and locks start with this. */
export const INTERNAL_PREFIX = ".am-";
/** Exactly the driver's temporary files (`.am-tmp-<16 hex>`) and lock folders; never listed. */
const INTERNAL_NAME = /^\.am-(tmp-[0-9a-f]{16}$|lock-)/;

interface Item {
  name: string;
  directory: boolean;
}

/**
 * Yields the entries under `root/folderKey` whose names start with `namePrefix`: objects, and either
 * the contents of sub-folders (`recursive`) or one `prefix` entry per sub-folder.
 */
export async function* walkFolder(
  root: string,
  folderKey: string,
  namePrefix: string,
  recursive: boolean,
  signal: AbortSignal | undefined,
): AsyncGenerator<ListEntry> {
  throwIfAborted(signal);
  const items = await readItems(root, join(root, folderKey), namePrefix);
  const files = items.filter((item) => !item.directory);
  const stats = await mapConcurrent(files, (item) => statOrNull(join(root, folderKey, item.name)), {
    concurrency: 32,
  });
  const sizes = new Map(files.map((item, i) => [item.name, stats[i]]));
  for (const item of items) {
    throwIfAborted(signal);
    const key = folderKey + item.name;
    if (item.directory) {
      if (recursive) yield* walkFolder(root, `${key}/`, "", true, signal);
      else yield { type: "prefix", key: `${key}/` };
      continue;
    }
    const info = sizes.get(item.name);
    if (info) yield { type: "object", key, size: info.size, lastModified: info.mtime, etag: info.etag };
  }
}

async function readItems(root: string, path: string, namePrefix: string): Promise<Item[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch (error) {
    if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return [];
    throw error;
  }
  const items: Item[] = [];
  for (const entry of entries) {
    if (!entry.name.startsWith(namePrefix) || INTERNAL_NAME.test(entry.name)) continue;
    let directory = entry.isDirectory();
    if (entry.isSymbolicLink()) {
      // A link that leads out of the store (a file or a whole folder) is not part of it: not listed.
      if (!(await resolvesInside(root, join(path, entry.name)))) continue;
      directory = (await stat(join(path, entry.name)).catch(() => null))?.isDirectory() ?? false;
    }
    items.push({ name: entry.name, directory });
  }
  // A folder "a" sorts as "a/" so that recursion yields keys in byte order ("a-b" < "a/c").
  const sortKey = (item: Item) => (item.directory ? `${item.name}/` : item.name);
  return items.sort((x, y) => compareCodePoints(sortKey(x), sortKey(y)));
}

/** Size, mtime and etag of a regular file, or null (missing, or not a file). */
export async function statOrNull(path: string): Promise<{ size: number; mtime: Date; etag: string } | null> {
  try {
    const info = await stat(path, { bigint: true });
    if (!info.isFile()) return null;
    const etag = `${info.ino.toString(36)}-${info.mtimeNs.toString(36)}-${info.size.toString(36)}`;
    return { size: Number(info.size), mtime: new Date(Number(info.mtimeMs)), etag };
  } catch (error) {
    if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return null;
    throw error;
  }
}
