/**
 * sha256s of local files this process already read (by an upload or a reuse plan), so that a re-log
 * of a folder in the same process (a training loop logging every epoch) does not read its unchanged
 * files again just to find them unchanged. In memory only: a new process (each CLI run) hashes again.
 *
 * An entry is used only while the file's path, inode, size, mtime and ctime (nanoseconds) are what they
 * were when it was hashed; ctime cannot be set by a user (`touch -d`, `rsync -t` keep mtime but not
 * ctime). As git does for its index ("racy git"), a file whose mtime or ctime was less than
 * {@link RACY_WINDOW_MS} before its hashing started gets no entry: a second write within the same
 * timestamp tick (the kernel's coarse clock) could leave every stat field as it was.
 *
 * A new process starts from the entries hash-record.ts kept on disk for the folder it logs.
 */
import { type BigIntStats, stat } from "node:fs";
import { promisify } from "node:util";

/** A file changed this recently before its hashing is not remembered. */
export const RACY_WINDOW_MS = 1000;
/** Most files remembered (least recently used ones go first). */
const MAX_ENTRIES = 100_000;

interface Entry {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  sha256: string;
}

const memo = new Map<string, Entry>();
const statBig = promisify(stat) as (path: string, options: { bigint: true }) => Promise<BigIntStats>;

/** Remembers `sha256` for `source` when it did not change since `startedMs` − RACY_WINDOW_MS. */
export async function rememberHash(source: string, sha256: string, startedMs: number): Promise<void> {
  let now: BigIntStats;
  try {
    now = await statBig(source, { bigint: true });
  } catch {
    return;
  }
  const limit = BigInt(Math.floor(startedMs - RACY_WINDOW_MS)) * 1_000_000n;
  if (now.mtimeNs > limit || now.ctimeNs > limit) return;
  memo.delete(source);
  memo.set(source, { ino: now.ino, size: now.size, mtimeNs: now.mtimeNs, ctimeNs: now.ctimeNs, sha256 });
  if (memo.size > MAX_ENTRIES) memo.delete(memo.keys().next().value as string);
}

/** The remembered sha256 of `source` when the file is still exactly as it was hashed, else undefined. */
export async function knownHash(source: string): Promise<string | undefined> {
  const entry = memo.get(source);
  if (entry === undefined) return undefined;
  let now: BigIntStats;
  try {
    now = await statBig(source, { bigint: true });
  } catch {
    return undefined;
  }
  const same =
    now.ino === entry.ino &&
    now.size === entry.size &&
    now.mtimeNs === entry.mtimeNs &&
    now.ctimeNs === entry.ctimeNs;
  if (!same) {
    memo.delete(source);
    return undefined;
  }
  memo.delete(source);
  memo.set(source, entry);
  return entry.sha256;
}

/** An entry as kept on disk: inode, size, mtime and ctime (ns) as decimal strings, and the sha256. */
export type StoredHash = [ino: string, size: string, mtimeNs: string, ctimeNs: string, sha256: string];

/** The remembered entries of `sources` (those the memo holds). */
export function storedHashes(sources: Iterable<string>): Record<string, StoredHash> {
  const out: Record<string, StoredHash> = {};
  for (const source of sources) {
    const e = memo.get(source);
    if (e !== undefined)
      out[source] = [String(e.ino), String(e.size), String(e.mtimeNs), String(e.ctimeNs), e.sha256];
  }
  return out;
}

/**
 * Takes entries kept on disk for files the memo does not know yet (what this process hashed itself
 * wins). Malformed entries are skipped. knownHash still compares every field with the file before use.
 */
export function adoptHashes(entries: Record<string, unknown>, sources: Iterable<string>): void {
  for (const source of sources) {
    if (memo.has(source) || !Object.hasOwn(entries, source)) continue;
    const stored = entries[source];
    if (!Array.isArray(stored) || stored.length !== 5) continue;
    const [ino, size, mtimeNs, ctimeNs, sha256] = stored as unknown[];
    const numbers = [ino, size, mtimeNs, ctimeNs];
    if (!numbers.every((n) => typeof n === "string" && /^[0-9]{1,30}$/.test(n))) continue;
    if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) continue;
    const [i, sz, m, c] = numbers.map((n) => BigInt(n as string)) as [bigint, bigint, bigint, bigint];
    memo.set(source, { ino: i, size: sz, mtimeNs: m, ctimeNs: c, sha256 });
    if (memo.size > MAX_ENTRIES) memo.delete(memo.keys().next().value as string);
  }
}

/** Forgets every entry (tests). */
export function forgetHashes(): void {
  memo.clear();
}
