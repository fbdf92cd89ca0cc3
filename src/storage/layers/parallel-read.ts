/**
 * The parallel-read layer: a whole-object read first asks for one chunk; when the object turns out to
 * be bigger (half a chunk has arrived), its size is looked up and the following chunks are fetched as
 * ranged reads, `concurrency` at a time, while the first one still streams; everything is emitted in
 * order (what rclone and s5cmd do). A small object still costs one request; memory in flight is
 * bounded by `concurrency × chunkSize` whatever the object's size.
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

/** The ranged reads after the first chunk, started on demand and kept `concurrency` ahead. */
class RangeQueue {
  readonly #pending: Promise<Buffer[]>[] = [];
  #next: number;

  constructor(
    readonly plan: ChunkPlan,
    readonly size: number,
  ) {
    this.#next = plan.chunk;
    this.fill();
  }

  fill(): void {
    const { driver, key, opts, chunk, concurrency } = this.plan;
    while (this.#pending.length < concurrency && this.#next < this.size) {
      const range = { offset: this.#next, length: Math.min(chunk, this.size - this.#next) };
      const p = driver.read(key, { ...opts, range }).then((stream) => stream.toArray() as Promise<Buffer[]>);
      p.catch(() => undefined); // awaited in order by take(); avoid an unhandled rejection meanwhile
      this.#pending.push(p);
      this.#next += chunk;
    }
  }

  /** The next chunk's buffers in order, or null when all were taken. */
  async take(): Promise<Buffer[] | null> {
    const p = this.#pending.shift();
    if (p === undefined) return null;
    const parts = await p;
    this.fill();
    return parts;
  }
}

async function* chunks(plan: ChunkPlan): AsyncGenerator<Buffer> {
  const { driver, key, opts, first, chunk } = plan;
  let received = 0;
  let queue: Promise<RangeQueue> | undefined;
  const startQueue = () => driver.stat(key, opts).then((info) => new RangeQueue(plan, info?.size ?? 0));
  for await (const part of first) {
    received += (part as Buffer).length;
    // Half a chunk arrived: the object is big enough that one metadata call is cheap; start the rest now.
    if (queue === undefined && received >= chunk / 2) {
      queue = startQueue();
      queue.catch(() => undefined);
    }
    yield part as Buffer;
  }
  if (received < chunk) return;
  const ranges = await (queue ?? startQueue());
  for (let parts = await ranges.take(); parts !== null; parts = await ranges.take()) yield* parts;
}
