/** Random-access byte sources for readers: a file (read by ranges, never whole) or bytes in memory. */
import { type FileHandle, open } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { ArtifactError } from "../../errors.js";
import { invalidCheckpoint } from "../invalid.js";

/** Bytes that can be read by range. */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset` in a fresh buffer; CHECKPOINT_INVALID past the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

function checkRange(size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw invalidCheckpoint(`bad byte range ${offset}+${length}`);
  }
  if (offset + length > size) {
    throw invalidCheckpoint(`file is truncated: needs bytes up to ${offset + length}, has ${size}`);
  }
}

/** A source over bytes in memory. `read` returns copies so typed arrays over them are aligned. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.byteLength,
    read: async (offset, length) => {
      checkRange(bytes.byteLength, offset, length);
      return Uint8Array.prototype.slice.call(bytes, offset, offset + length);
    },
    close: async () => {},
  };
}

/** Reads exactly `out.byteLength` bytes at `offset` into `out`. */
async function readInto(handle: FileHandle, out: Uint8Array, offset: number): Promise<void> {
  for (let done = 0; done < out.byteLength; ) {
    const length = Math.min(out.byteLength - done, 1 << 30);
    const { bytesRead } = await handle.read(out, done, length, offset + done);
    if (bytesRead === 0) throw invalidCheckpoint(`file ended early at ${offset + done}`);
    done += bytesRead;
  }
}

/** Reads of at least twice this size are split into parts read at the same time. */
const MIN_PART = 8 << 20;
/**
 * How many parts: reading into fresh memory costs a page fault per page, which is most of a large
 * read's time; parallel reads take those faults on several cores.
 */
const PARTS = Math.max(2, Math.min(4, availableParallelism()));

async function readFully(handle: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const parts = Math.min(PARTS, Math.floor(length / MIN_PART));
  if (parts <= 1) {
    await readInto(handle, out, offset);
    return out;
  }
  const part = Math.ceil(length / parts / 4096) * 4096;
  const reads: Promise<void>[] = [];
  for (let at = 0; at < length; at += part) {
    reads.push(readInto(handle, out.subarray(at, Math.min(length, at + part)), offset + at));
  }
  await Promise.all(reads);
  return out;
}

/** A source over a file; the handle is closed by `close()`. */
export async function fileSource(path: string): Promise<ByteSource> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    return {
      size,
      read: async (offset, length) => {
        checkRange(size, offset, length);
        return readFully(handle, offset, length);
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** A source over a path (NOT_FOUND when it does not exist) or over bytes. */
export async function openSource(pathOrBytes: string | Uint8Array): Promise<ByteSource> {
  if (typeof pathOrBytes !== "string") return bytesSource(pathOrBytes);
  try {
    return await fileSource(pathOrBytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ArtifactError("NOT_FOUND", `file '${pathOrBytes}' does not exist`, { cause: error });
    }
    throw error;
  }
}
