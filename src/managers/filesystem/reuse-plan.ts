/**
 * What a new log can take from the latest version instead of uploading it (issue 20, "never move the
 * same bytes twice"): the whole version when its content is identical (`ifUnchanged: "reuse"`), else
 * each file whose sha256 equals that of a file of the latest version (any path), copied inside the
 * store (`StorageDriver.copy`). Local files are hashed first only where a match is possible: a file
 * whose size no file of the latest version has is never read twice.
 */

import { formatVersion } from "../../core/names.js";
import { computeArtifactDigest, sortFileEntries } from "../../core/record.js";
import type { FileEntry, VersionRecord } from "../../core/types.js";
import { isArtifactError } from "../../errors.js";
import type { StorageDriver } from "../../storage/driver.js";
import { mapLocalFileError } from "../../storage/fs-errors.js";
import { mapConcurrent } from "../../util/map-concurrent.js";
import { knownHash, rememberHash } from "./hash-memo.js";
import { readLocalFile } from "./hashed-copy.js";
import { hashStream } from "./hashed-stream.js";
import { versionPrefix } from "./layout.js";
import { checkFileUnchanged, type LocalFile } from "./local-files.js";
import { readVersionRecord } from "./read-version.js";
import { scanArtifact, visibleVersions } from "./scan.js";

/** Local files hashed at once while planning (reads from local disk). */
const HASH_CONCURRENCY = 4;

/** One file of the new version that is copied inside the store from the latest version. */
export interface StoreCopy {
  /** Key of the latest version's file with the same content. */
  from: string;
  /** Its etag when it was listed: the copy is of that object (`ifSourceMatch`). */
  etag?: string | undefined;
  /** sha256 of the local file (equal to the source's, by the latest record). */
  sha256: string;
  size: number;
}

/** What {@link planReuse} found. */
export interface ReusePlan {
  /** The latest version, when the new content is identical to it and reuse was asked for. */
  unchanged?: { n: number; version: string } | undefined;
  /** Files to copy inside the store, by their path in the new version. */
  copies: Map<string, StoreCopy>;
}

/** What {@link planReuse} needs. */
export interface ReuseInput {
  driver: StorageDriver;
  collection: string;
  name: string;
  files: readonly LocalFile[];
  /** Whether an identical version is reused (`ifUnchanged: "reuse"`). */
  reuseUnchanged: boolean;
  signal?: AbortSignal | undefined;
}

/** Reads the latest version's record and hashes the local files that may match one of its files. */
export async function planReuse(input: ReuseInput): Promise<ReusePlan> {
  const plan: ReusePlan = { copies: new Map() };
  if (!input.driver.copy && !input.reuseUnchanged) return plan;
  const latest = await latestRecord(input);
  if (latest === null) return plan;
  const byHash = new Map<string, FileEntry>();
  for (const file of latest.record.files)
    if (file.sha256 !== undefined && file.ref === undefined) byHash.set(file.sha256, file);
  const sizes = new Set([...byHash.values()].map((file) => file.size));
  const identical = input.reuseUnchanged && sameShape(input.files, latest.record);
  const candidates = identical ? input.files : input.files.filter((f) => f.size > 0 && sizes.has(f.size));
  if (candidates.length === 0) return plan;
  const hashes = await hashFiles(candidates, input.driver.backend, input.signal);
  if (identical && latest.record.digest !== undefined) {
    const entries: FileEntry[] = candidates.map((f) => ({
      path: f.path,
      size: f.size,
      sha256: hashes.get(f.path) as string,
    }));
    if (computeArtifactDigest(sortFileEntries(entries)) === latest.record.digest) {
      return { ...plan, unchanged: { n: latest.n, version: formatVersion(latest.n) } };
    }
  }
  if (!input.driver.copy) return plan;
  const prefix = versionPrefix(input.collection, input.name, latest.n);
  const stored = await listSources(input.driver, prefix, input.signal);
  for (const file of candidates) {
    const sha256 = hashes.get(file.path) as string;
    const match = byHash.get(sha256);
    if (match === undefined || match.size !== file.size || file.size === 0) continue;
    // The source as listed must have the record's size (else it is damaged or gone: upload instead).
    const source = stored.get(match.path);
    if (source === undefined || source.size !== match.size) continue;
    plan.copies.set(file.path, { from: prefix + match.path, etag: source.etag, sha256, size: file.size });
  }
  return plan;
}

/** The latest visible version's record, or null when there is none (or it vanished meanwhile). */
async function latestRecord(input: ReuseInput): Promise<{ n: number; record: VersionRecord } | null> {
  const { driver, collection, name, signal } = input;
  const state = await scanArtifact(driver, collection, name, signal);
  const n = visibleVersions(state).at(-1);
  if (n === undefined) return null;
  try {
    const resolved = { n, version: formatVersion(n), state };
    return { n, record: await readVersionRecord(driver, collection, name, resolved, signal) };
  } catch (error) {
    // Deleted or taken over since the listing: nothing to reuse, the log goes on as a plain upload.
    if (isArtifactError(error, "NOT_FOUND")) return null;
    throw error;
  }
}

/** Same paths and sizes as the record (a digest match is then possible). */
function sameShape(files: readonly LocalFile[], record: VersionRecord): boolean {
  if (files.length !== record.files.length) return false;
  const sizes = new Map(record.files.map((file) => [file.path, file.size]));
  return files.every((file) => sizes.get(file.path) === file.size);
}

/** sha256 of each file, by path; CONFLICT when a file changed since it was collected (checkFileUnchanged). */
async function hashFiles(
  files: readonly LocalFile[],
  backend: string,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const hashes = await mapConcurrent(
    files,
    async (file) => {
      const known = await knownHash(file.source);
      // The memo's entry matches the file's inode, size, mtime and ctime now: its collected size and
      // mtime must still be those of the log (else the file changed since it was collected).
      if (known !== undefined) {
        await checkFileUnchanged(file, file.size, backend);
        return [file.path, known] as const;
      }
      const started = Date.now();
      const hashed = await hashStream(readLocalFile(file.source), signal ? { signal } : {}).catch(
        (error: unknown) => {
          throw mapLocalFileError(error, "reading", file.source);
        },
      );
      await checkFileUnchanged(file, hashed.size, backend);
      await rememberHash(file.source, hashed.sha256, started);
      return [file.path, hashed.sha256] as const;
    },
    { concurrency: HASH_CONCURRENCY, signal },
  );
  return new Map(hashes);
}

/** Size and etag of each object under `prefix`, by its path below it. */
async function listSources(
  driver: StorageDriver,
  prefix: string,
  signal?: AbortSignal,
): Promise<Map<string, { size: number; etag?: string | undefined }>> {
  const found = new Map<string, { size: number; etag?: string | undefined }>();
  for await (const entry of driver.list(prefix, signal ? { signal } : {}))
    if (entry.type === "object")
      found.set(entry.key.slice(prefix.length), { size: entry.size, etag: entry.etag });
  return found;
}
