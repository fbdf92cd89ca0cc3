/**
 * The parallel-read layer: a whole-object read first asks for one chunk; when the object turns out to
 * be bigger, the rest is fetched as ranged reads, `concurrency` chunks at a time, and emitted in order
 * (what rclone and s5cmd do). A small object still costs one request; memory in flight is bounded by
 * `concurrency × chunkSize` whatever the object's size.
 */
import { Readable } from "node:stream";
import type { ReadOptions, StorageDriver } from "../driver.js";

/** Options of {@link withParallelRead}. */
export interface ParallelReadOptions {
  /** Bytes per ranged request. @default 16 MiB */
  chunkSize?: number;
  /** Ranged requests in flight per object. @default 4 */
  concurrency?: number;
}

export const DEFAULT_READ_CHUNK_SIZE = 16 * 1024 * 1024;
export const DEFAULT_READ_CONCURRENCY = 4;

/** Wraps `driver` so that big whole-object reads are split into parallel ranged reads. */
export function withParallelRead(driver: StorageDriver, options: ParallelReadOptions = {}): StorageDriver {
  const chunk = options.chunkSize ?? DEFAULT_READ_CHUNK_SIZE;
  const concurrency = options.concurrency ?? DEFAULT_READ_CONCURRENCY;
  if (!driver.capabilities.rangeRead || concurrency < 2) return driver;
  const layered: StorageDriver = Object.create(driver);
  layered.read = async (key, opts = {}) => {
    if (opts.range !== undefined) return driver.read(key, opts);
    const first = await driver.read(key, { ...opts, range: { offset: 0, length: chunk } });
    return Readable.from(chunks({ driver, key, opts, first, chunk, concurrency }), { objectMode: false });
  };
  return layered;
}

interface ChunkPlan {
  driver: StorageDriver;
  key: string;
  opts: ReadOptions;
  first: Readable;
  chunk: number;
  concurrency: number;
}

async function* chunks({ driver, key, opts, first, chunk, concurrency }: ChunkPlan): AsyncGenerator<Buffer> {
  let received = 0;
  for await (const part of first) {
    received += (part as Buffer).length;
    yield part as Buffer;
  }
  if (received < chunk) return;
  const info = await driver.stat(key, opts);
  const size = info?.size ?? received;
  const read = async (offset: number) => {
    const stream = await driver.read(key, {
      ...opts,
      range: { offset, length: Math.min(chunk, size - offset) },
    });
    return Buffer.concat(await stream.toArray());
  };
  const pending: Promise<Buffer>[] = [];
  let next = chunk;
  const fill = () => {
    while (pending.length < concurrency && next < size) {
      const p = read(next);
      p.catch(() => undefined); // awaited in order below; avoid an unhandled rejection meanwhile
      pending.push(p);
      next += chunk;
    }
  };
  fill();
  while (pending.length > 0) {
    const buffer = await (pending.shift() as Promise<Buffer>);
    fill();
    yield buffer;
  }
}
