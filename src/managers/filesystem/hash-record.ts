/**
 * The hashes of logged files, kept between processes (as DVC's state database and git's index do), so
 * that `artifacts log` of a folder that did not change reads none of its files again. One JSON file per
 * logged folder under the cache folder: `hashes/<sha256 of the folder's path>.json`, holding for each
 * file its inode, size, mtime and ctime (nanoseconds) when it was hashed, and its sha256.
 *
 * An entry is used only while every one of those fields is what the file shows now (hash-memo.ts), so
 * a file written since, even with its mtime put back, is hashed again. The file is a cache: unreadable,
 * malformed or oversized, it is ignored; it is replaced whole (temporary file + rename), so two logs of
 * one folder at once leave one of their records, never a mix.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { hashesDir } from "../../cache/cache-files.js";
import { adoptHashes, storedHashes } from "./hash-memo.js";
import type { LocalFile } from "./local-files.js";

/** What the record file says it is. */
const FORMAT = "artifact-manager.hashes/1";
/** A record larger than this is ignored (about 150 bytes per file: ~400,000 files). */
const MAX_RECORD_BYTES = 64 << 20;

/** The record of one logged folder (or file). */
export class HashRecord {
  readonly path: string;

  /** `dir`: the cache folder; `root`: the logged path, absolute. */
  constructor(
    dir: string,
    readonly root: string,
  ) {
    const id = createHash("sha256").update(root).digest("hex").slice(0, 32);
    this.path = join(hashesDir(dir), `${id}.json`);
  }

  /** Lets the memo use the kept hashes of `files`. Never throws. */
  async load(files: readonly LocalFile[]): Promise<void> {
    try {
      if ((await stat(this.path)).size > MAX_RECORD_BYTES) return;
      const parsed = JSON.parse(await readFile(this.path, "utf8")) as unknown;
      if (typeof parsed !== "object" || parsed === null) return;
      const { format, root, entries } = parsed as { format?: unknown; root?: unknown; entries?: unknown };
      if (format !== FORMAT || root !== this.root || typeof entries !== "object" || entries === null) return;
      adoptHashes(
        entries as Record<string, unknown>,
        files.map((file) => file.source),
      );
    } catch {
      // No record yet, or one that cannot be read: the files are hashed.
    }
  }

  /** Keeps the hashes the memo holds for `files` (a log's files, hashed or read by it). Never throws. */
  async save(files: readonly LocalFile[]): Promise<void> {
    const entries = storedHashes(files.map((file) => file.source));
    if (Object.keys(entries).length === 0) return;
    const tmp = `${this.path}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(tmp, JSON.stringify({ format: FORMAT, root: this.root, entries }));
      await rename(tmp, this.path);
    } catch {
      await rm(tmp, { force: true }).catch(() => undefined);
    }
  }
}
