/** ChunkReader: fixed-size chunks of a stream without copies, and its bound on what it holds. */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ChunkReader } from "../../src/drivers/chunk-reader.js";
import { handOver, POOL_BUFFER_BYTES, returnBuffers, takeBuffer } from "../../src/storage/buffer-pool.js";
import { streamOfPieces } from "../fixtures/pieces.js";

const KiB = 1024;

describe("ChunkReader", () => {
  it("cuts a stream into chunks without copying and knows the last one", async () => {
    const data = randomBytes(10 * KiB + 1);
    const reader = new ChunkReader(streamOfPieces(data, 3 * KiB), 4 * KiB);
    const chunks = [await reader.take(), await reader.take(), await reader.take()];
    expect(chunks.map((c) => [c.length, c.last])).toEqual([
      [4 * KiB, false],
      [4 * KiB, false],
      [2 * KiB + 1, true],
    ]);
    expect(Buffer.concat(chunks.flatMap((c) => c.buffers)).equals(data)).toBe(true);
    // Views into the stream's own buffers: the second chunk starts inside the second piece.
    const [, second] = chunks as [unknown, { buffers: Buffer[] }];
    expect((second.buffers[0] as Buffer).buffer).toBe(data.buffer);
  });

  it("holds at most a chunk beside the one taken: the source pauses", async () => {
    const source = new Readable({ read() {} });
    const reader = new ChunkReader(source, 4 * KiB);
    for (let i = 0; i < 3; i++) source.push(Buffer.alloc(3 * KiB));
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.isPaused()).toBe(true);
    const first = await reader.take();
    expect(first.length).toBe(4 * KiB);
    expect(source.isPaused()).toBe(false);
    source.push(null);
    const second = await reader.take();
    expect([second.length, second.last]).toEqual([4 * KiB, false]);
    const third = await reader.take();
    expect([third.length, third.last]).toEqual([KiB, true]);
  });

  it("takes over handed-over pool buffers and gives each away with the chunk that holds its last byte", async () => {
    const pool = [takeBuffer(), takeBuffer(), takeBuffer()];
    const reader = new ChunkReader(
      Readable.from([handOver(pool[0] as Buffer), handOver(pool[1] as Buffer), pool[2] as Buffer]),
      1.5 * POOL_BUFFER_BYTES,
    );
    const first = await reader.take();
    const second = await reader.take();
    // The second buffer is split between the chunks: it goes with the second one.
    // Identity checks (a deep compare of MiB buffers is slow).
    expect(first.owned).toHaveLength(1);
    expect(first.owned[0]).toBe(pool[0]);
    expect(second.owned).toHaveLength(1);
    expect(second.owned[0]).toBe(pool[1]);
    // The third was not handed over: nobody owns it.
    expect([second.length, second.last]).toEqual([1.5 * POOL_BUFFER_BYTES, true]);
    returnBuffers([...first.owned, ...second.owned]);
  });
});
