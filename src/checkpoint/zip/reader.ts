/**
 * A zip reader for checkpoints: end records (zip64 too), the central directory, and one entry's bytes
 * at a time. Every offset and size is checked against the file before anything is allocated.
 */
import { inflateRawSync } from "node:zlib";
import { invalidCheckpoint } from "../invalid.js";
import type { ByteSource } from "./source.js";

/** One entry of the central directory. */
export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  headerOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_EOCD_SEARCH = 22 + 0xffff;
const MAX_ENTRIES = 1_000_000;
/** Deflated records (torch never compresses) may inflate to at most this: a small file cannot claim gigabytes. */
const MAX_INFLATED = 64 << 20;
const UTF8 = new TextDecoder();

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidCheckpoint("zip field is too large");
  return Number(v);
}

interface Directory {
  entries: number;
  size: number;
  offset: number;
}

async function findDirectory(src: ByteSource): Promise<Directory> {
  if (src.size < 22) throw invalidCheckpoint("file is too short to be a zip");
  const tailLen = Math.min(src.size, MAX_EOCD_SEARCH);
  const tailStart = src.size - tailLen;
  const tail = await src.read(tailStart, tailLen);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let at = tailLen - 22;
  while (at >= 0 && view.getUint32(at, true) !== EOCD) at--;
  if (at < 0) throw invalidCheckpoint("zip end of central directory not found (truncated file?)");
  const dir = {
    entries: view.getUint16(at + 10, true),
    size: view.getUint32(at + 12, true),
    offset: view.getUint32(at + 16, true),
  };
  const locAt = at - 20;
  if (locAt >= 0 && view.getUint32(locAt, true) === ZIP64_LOCATOR) {
    const recordOffset = u64(view, locAt + 8);
    const rec = await src.read(recordOffset, 56);
    const rv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    if (rv.getUint32(0, true) !== ZIP64_EOCD) throw invalidCheckpoint("zip64 end record is corrupt");
    return { entries: u64(rv, 32), size: u64(rv, 40), offset: u64(rv, 48) };
  }
  return dir;
}

function zip64Extra(view: DataView, at: number, end: number, e: ZipEntry): void {
  while (at + 4 <= end) {
    const id = view.getUint16(at, true);
    const len = view.getUint16(at + 2, true);
    let p = at + 4;
    if (id === 1) {
      const next = (): number => {
        if (p + 8 > at + 4 + len) throw invalidCheckpoint(`zip64 field of '${e.name}' is missing`);
        const v = u64(view, p);
        p += 8;
        return v;
      };
      if (e.size === 0xffffffff) e.size = next();
      if (e.compressedSize === 0xffffffff) e.compressedSize = next();
      if (e.headerOffset === 0xffffffff) e.headerOffset = next();
      return;
    }
    at += 4 + len;
  }
}

/** Reads the central directory of the zip in `src`. */
export async function readZipEntries(src: ByteSource): Promise<ZipEntry[]> {
  const dir = await findDirectory(src);
  if (dir.entries > MAX_ENTRIES || dir.entries * 46 > dir.size)
    throw invalidCheckpoint("zip directory is corrupt");
  const cd = await src.read(dir.offset, dir.size);
  const view = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: ZipEntry[] = [];
  const spans: { entry: ZipEntry; start: number; end: number }[] = [];
  let at = 0;
  for (let i = 0; i < dir.entries; i++) {
    if (at + 46 > cd.byteLength || view.getUint32(at, true) !== CENTRAL) {
      throw invalidCheckpoint(`zip central directory entry ${i} is corrupt`);
    }
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    if (at + 46 + nameLen + extraLen + commentLen > cd.byteLength)
      throw invalidCheckpoint("zip directory is truncated");
    const entry: ZipEntry = {
      name: UTF8.decode(cd.subarray(at + 46, at + 46 + nameLen)),
      method: view.getUint16(at + 10, true),
      crc32: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      headerOffset: view.getUint32(at + 42, true),
    };
    zip64Extra(view, at + 46 + nameLen, at + 46 + nameLen + extraLen, entry);
    entries.push(entry);
    spans.push({
      entry,
      start: entry.headerOffset,
      end: entry.headerOffset + 30 + nameLen + entry.compressedSize,
    });
    at += 46 + nameLen + extraLen + commentLen;
  }
  checkNoOverlap(spans, dir.offset);
  return entries;
}

/**
 * Each entry's local header, name and data must lie apart from every other's and before the central
 * directory: entries sharing compressed bytes would let a small file inflate the same data many times.
 * (The local extra field may differ from the central one; the span checked is a lower bound.)
 */
function checkNoOverlap(
  spans: { entry: ZipEntry; start: number; end: number }[],
  directoryOffset: number,
): void {
  spans.sort((a, b) => a.start - b.start);
  let end = 0;
  let previous: ZipEntry | undefined;
  for (const span of spans) {
    if (span.start < end) {
      throw invalidCheckpoint(
        `zip entries '${previous?.name}' and '${span.entry.name}' overlap (entries must not share bytes)`,
      );
    }
    end = span.end;
    previous = span.entry;
  }
  if (end > directoryOffset) {
    throw invalidCheckpoint(`zip entry '${previous?.name}' overlaps the central directory`);
  }
}

/**
 * What a file may inflate to in all (its deflated records together): `limit` bytes, `left` of them
 * not yet used. Shared by every {@link readEntry} of one file.
 */
export interface InflateBudget {
  left: number;
  readonly limit: number;
  /** The option that raises the limit, named in the error. */
  readonly option: string;
}

/** Offset of the entry's data, from its local header. */
export async function entryDataOffset(src: ByteSource, entry: ZipEntry): Promise<number> {
  const header = await src.read(entry.headerOffset, 30);
  const view = new DataView(header.buffer, header.byteOffset, 30);
  if (view.getUint32(0, true) !== LOCAL)
    throw invalidCheckpoint(`zip local header of '${entry.name}' is corrupt`);
  const start = entry.headerOffset + 30 + view.getUint16(26, true) + view.getUint16(28, true);
  if (start + entry.compressedSize > src.size) {
    throw invalidCheckpoint(`zip entry '${entry.name}' runs past the end of the file (truncated?)`);
  }
  return start;
}

/**
 * The entry's bytes (stored, or deflated and inflated to at most its declared size, counted against
 * `budget` when one is given).
 */
export async function readEntry(
  src: ByteSource,
  entry: ZipEntry,
  budget?: InflateBudget,
): Promise<Uint8Array> {
  const start = await entryDataOffset(src, entry);
  const raw = await src.read(start, entry.compressedSize);
  if (entry.method === 0) {
    if (entry.size !== entry.compressedSize)
      throw invalidCheckpoint(`zip entry '${entry.name}' has bad sizes`);
    return raw;
  }
  if (entry.method !== 8)
    throw invalidCheckpoint(`zip entry '${entry.name}' uses compression ${entry.method}`);
  if (entry.size > MAX_INFLATED) {
    throw invalidCheckpoint(
      `compressed zip entry '${entry.name}' would inflate to ${entry.size} bytes (limit ${MAX_INFLATED})`,
    );
  }
  if (budget !== undefined) {
    if (entry.size > budget.left) {
      throw invalidCheckpoint(
        `compressed zip records inflate to more than ${budget.limit} bytes in all (at '${entry.name}'); raise the \`${budget.option}\` option if the file is trusted`,
      );
    }
    budget.left -= entry.size;
  }
  try {
    const out = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
    if (out.byteLength !== entry.size) throw new Error("size mismatch");
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice();
  } catch (error) {
    throw invalidCheckpoint(`zip entry '${entry.name}' does not inflate to ${entry.size} bytes`, error);
  }
}
