/** Comparing two versions' records file by file (what the CLI's `diff` prints). Pure, no I/O. */
import { compareCodePoints } from "../util/compare.js";
import type { FileEntry, VersionRecord } from "./types.js";

/** One file that differs between two versions. */
export interface FileChange {
  path: string;
  before: FileEntry;
  after: FileEntry;
}

/** What changed from record `a` to record `b`. Paths are sorted in code point order. */
export interface RecordDiff {
  /** In `b` only. */
  added: FileEntry[];
  /** In `a` only. */
  removed: FileEntry[];
  /** In both, with a different size, digest (sha256, else the backend's md5) or reference. */
  changed: FileChange[];
  /** Number of files in both with the same size and digest (or same size when a digest is unknown). */
  unchanged: number;
  /** True when both records have artifact digests and they are equal. */
  sameDigest: boolean;
}

/**
 * Compares two version records: by sha256 where both files have one, else by the backend's md5 (W&B),
 * else (legacy files) by size only; W&B references also by where they point.
 */
export function diffRecords(a: VersionRecord, b: VersionRecord): RecordDiff {
  const before = new Map(a.files.map((file) => [file.path, file]));
  const after = new Map(b.files.map((file) => [file.path, file]));
  const added = b.files.filter((file) => !before.has(file.path));
  const removed = a.files.filter((file) => !after.has(file.path));
  const changed: FileChange[] = [];
  let unchanged = 0;
  for (const file of a.files) {
    const other = after.get(file.path);
    if (other === undefined) continue;
    if (contentDiffers(file, other)) changed.push({ path: file.path, before: file, after: other });
    else unchanged += 1;
  }
  const byPath = (x: { path: string }, y: { path: string }) => compareCodePoints(x.path, y.path);
  return {
    added: added.sort(byPath),
    removed: removed.sort(byPath),
    changed: changed.sort(byPath),
    unchanged,
    sameDigest: a.digest !== undefined && a.digest === b.digest,
  };
}

/** Whether two records of one path hold different bytes, as far as the records tell. */
function contentDiffers(a: FileEntry, b: FileEntry): boolean {
  if (a.size !== b.size || a.ref !== b.ref) return true;
  if (a.sha256 !== undefined && b.sha256 !== undefined) return a.sha256 !== b.sha256;
  return a.md5 !== undefined && b.md5 !== undefined && a.md5 !== b.md5;
}
