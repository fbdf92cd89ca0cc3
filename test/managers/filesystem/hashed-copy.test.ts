/** The download sink: a stream written to a new local file in 1 MiB buffers, hashed on the way. */
import { createHash, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { COPY_CHUNK_BYTES, readLocalFile } from "../../../src/managers/filesystem/hashed-copy.js";
import { writeStreamHashed } from "../../../src/managers/filesystem/hashed-stream.js";
import { handOver, returnBuffers, takeBuffer, takeOver } from "../../../src/storage/buffer-pool.js";
import { tempFolder } from "./helpers.js";

const openFds = () => readdirSync("/proc/self/fd").length;

/** Chunks of uneven sizes (1 byte to 100 KiB), as a network delivers them. */
function unevenChunks(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = [1, 65_536, 4_095, 100_000, 17, 1_048_575][i % 6] as number;
    chunks.push(data.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/** A fresh folder for every test of this file. */
let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempFolder("am-hashed-copy-");
});
afterEach(() => dir.remove());

describe("writeStreamHashed", () => {
  it("writes uneven chunks byte-exact, across buffer boundaries, with size and sha256", async () => {
    const data = randomBytes(3 * COPY_CHUNK_BYTES + 12_345);
    const target = join(dir.path, "out.bin");
    const seen: number[] = [];
    const got = await writeStreamHashed(Readable.from(unevenChunks(data)), target, {
      onBytes: (bytes) => seen.push(bytes),
    });
    expect((await readFile(target)).equals(data)).toBe(true);
    expect(got).toEqual({ size: data.length, sha256: createHash("sha256").update(data).digest("hex") });
    expect(seen.at(-1)).toBe(data.length);
  });

  it("writes handed-over pool buffers without copying them, also after a partial buffer", async () => {
    const data = randomBytes(4 * COPY_CHUNK_BYTES + 300);
    // 100 bytes, two handed-over whole buffers, 200 bytes, two more handed over: as a zero-copy read
    // that was resumed after a partial answer would deliver them.
    const handed: Buffer[] = [];
    const pooled = (at: number) => {
      const buffer = takeBuffer();
      data.copy(buffer, 0, at, at + COPY_CHUNK_BYTES);
      handed.push(buffer);
      return handOver(buffer);
    };
    const chunks = [
      data.subarray(0, 100),
      pooled(100),
      pooled(100 + COPY_CHUNK_BYTES),
      data.subarray(100 + 2 * COPY_CHUNK_BYTES, 300 + 2 * COPY_CHUNK_BYTES),
      pooled(300 + 2 * COPY_CHUNK_BYTES),
      pooled(300 + 3 * COPY_CHUNK_BYTES),
    ];
    const target = join(dir.path, "handed.bin");
    const got = await writeStreamHashed(Readable.from(chunks), target);
    expect((await readFile(target)).equals(data)).toBe(true);
    expect(got).toEqual({ size: data.length, sha256: createHash("sha256").update(data).digest("hex") });
    // The sink took them over: they are no longer marked as handed over, and went back to the pool.
    expect(handed.map((buffer) => takeOver(buffer))).toEqual([false, false, false, false]);
    const reused = [takeBuffer(), takeBuffer(), takeBuffer(), takeBuffer()];
    expect(reused.filter((buffer) => handed.includes(buffer)).length).toBeGreaterThan(0);
    returnBuffers(reused);
  });

  it("an empty stream makes an empty file", async () => {
    const target = join(dir.path, "empty.bin");
    const got = await writeStreamHashed(Readable.from([]), target);
    expect((await readFile(target)).length).toBe(0);
    expect(got.sha256).toBe(createHash("sha256").digest("hex"));
  });

  it("pauses a source that outruns the disk after at most 8 buffers queued", async () => {
    const data = randomBytes(40 * COPY_CHUNK_BYTES);
    // Everything is buffered up front, so the stream delivers it in one synchronous burst unless paused.
    const source = new Readable({ read() {}, highWaterMark: data.length });
    for (const chunk of unevenChunks(data)) source.push(chunk);
    source.push(null);
    let deliveredAtFirstPause: number | undefined;
    const pause = source.pause.bind(source);
    source.pause = () => {
      // What the stream still holds was not delivered yet.
      deliveredAtFirstPause ??= data.length - source.readableLength;
      return pause();
    };
    const target = join(dir.path, "burst.bin");
    await writeStreamHashed(source, target);
    expect(deliveredAtFirstPause).toBeDefined();
    expect(deliveredAtFirstPause).toBeLessThanOrEqual(11 * COPY_CHUNK_BYTES);
    expect((await readFile(target)).equals(data)).toBe(true);
  });

  it("a source failing mid-way rejects with its error and closes the file", async () => {
    const before = openFds();
    const failure = new Error("connection reset");
    async function* failing(): AsyncGenerator<Buffer> {
      yield randomBytes(2 * COPY_CHUNK_BYTES);
      throw failure;
    }
    const error = await writeStreamHashed(Readable.from(failing()), join(dir.path, "x.bin")).catch((e) => e);
    expect(error).toBe(failure);
    expect(openFds()).toBe(before);
  });

  it("a source closed early without an error rejects (premature close), never a short file as success", async () => {
    const source = new Readable({ read() {} });
    source.push(randomBytes(1000));
    setTimeout(() => source.destroy(), 10);
    const error = (await writeStreamHashed(source, join(dir.path, "short.bin")).catch((e) => e)) as {
      code?: string;
    };
    expect(error.code).toBe("ERR_STREAM_PREMATURE_CLOSE");
  });

  it("an abort mid-way rejects with the signal's reason and destroys the source", async () => {
    const controller = new AbortController();
    const source = new Readable({ read() {} });
    source.push(randomBytes(COPY_CHUNK_BYTES + 1));
    const reason = new Error("stop");
    setTimeout(() => controller.abort(reason), 10);
    const error = await writeStreamHashed(source, join(dir.path, "aborted.bin"), {
      signal: controller.signal,
    }).catch((e) => e);
    expect(error).toBe(reason);
    expect(source.destroyed).toBe(true);
  });

  it("never overwrites an existing file", async () => {
    const target = join(dir.path, "exists.bin");
    await writeFile(target, "keep");
    const error = (await writeStreamHashed(Readable.from([Buffer.from("new")]), target).catch((e) => e)) as {
      code?: string;
    };
    expect(error.code).toBe("EEXIST");
    expect(await readFile(target, "utf8")).toBe("keep");
  });
});

describe("readLocalFile", () => {
  it("reads full MiBs as handed-over pool buffers and the tail as a view, byte-exact", async () => {
    const data = randomBytes(2 * COPY_CHUNK_BYTES + 5);
    const path = join(dir.path, "f.bin");
    await writeFile(path, data);
    const chunks = (await readLocalFile(path).toArray()) as Buffer[];
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(chunks.map((chunk) => [chunk.length, takeOver(chunk)])).toEqual([
      [COPY_CHUNK_BYTES, true],
      [COPY_CHUNK_BYTES, true],
      [5, false],
    ]);
  });

  it("fails with ENOENT for a missing file and leaves no descriptor open after a read or a destroy", async () => {
    const fds = openFds();
    await expect(readLocalFile(join(dir.path, "missing.bin")).toArray()).rejects.toMatchObject({
      code: "ENOENT",
    });
    const path = join(dir.path, "g.bin");
    await writeFile(path, randomBytes(3 * COPY_CHUNK_BYTES));
    await readLocalFile(path).toArray();
    const stream = readLocalFile(path);
    await new Promise((resolve) => stream.once("data", resolve));
    stream.destroy();
    await new Promise((resolve) => stream.once("close", resolve));
    expect(openFds()).toBe(fds);
  });
});
