/**
 * Streamed GCS writes with chunks of our own (src/drivers/gcs-resumable.ts), against the GCS fake behind
 * a loopback forwarder that records each chunk and can cut, shorten or damage one.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handOver, POOL_BUFFER_BYTES, returnBuffers, takeBuffer } from "../../src/storage/buffer-pool.js";
import { createDriver } from "../../src/storage/create-driver.js";
import type { StorageDriver } from "../../src/storage/driver.js";
import { codeOf } from "../fixtures/driver-codes.js";
import { streamOfPieces } from "../fixtures/pieces.js";
import { forward, listenOnLoopback } from "../servers/forwarder.js";
import { type GcsFake, startGcsFake } from "../servers/gcs-fake-server.js";
import { readBody } from "../servers/gcs-fake-uploads.js";

const KiB = 1024;
const CHUNK = 256 * KiB;

/** A request the forwarder passed on (or not). */
interface Seen {
  method: string;
  range: string | undefined;
  sdk: boolean;
}

/** What the forwarder does to the next chunk PUT (one with a body) it sees. */
type Mischief = "cut" | "half" | "flip" | "gone";

let fake: GcsFake;
let forwarder: Server;
let endpoint: string;
const seen: Seen[] = [];
let mischief: Mischief | undefined;
/** The next status query (an empty PUT asking what the session has) answers 503. */
let busyQuery = false;

beforeAll(async () => {
  fake = await startGcsFake({ buckets: ["up"] });
  const target = new URL(fake.endpoint);
  forwarder = createServer(async (req, res) => {
    let body = await readBody(req);
    const headers = { ...req.headers };
    const isChunk = req.method === "PUT" && (req.url ?? "").includes("upload_id") && body.length > 0;
    seen.push({
      method: req.method ?? "",
      range: req.headers["content-range"],
      sdk: req.headers["x-goog-api-client"] !== undefined,
    });
    if (busyQuery && req.method === "PUT" && body.length === 0) {
      busyQuery = false;
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: 503, message: "Backend Error" } }));
      return;
    }
    const trick = isChunk ? mischief : undefined;
    if (trick) mischief = undefined;
    if (trick === "cut") {
      // The connection drops before the server got anything of this chunk.
      req.socket.destroy();
      return;
    }
    if (trick === "gone") {
      // The session expired: GCS answers its URI with 404.
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: 404, message: "No such upload" } }));
      return;
    }
    if (trick === "half") {
      // The server receives (and keeps) only the first half of the chunk.
      const [, from] = /bytes (\d+)-/.exec(String(headers["content-range"])) ?? [];
      const half = Math.floor(body.length / 2);
      body = body.subarray(0, half);
      headers["content-range"] = `bytes ${from}-${Number(from) + half - 1}/*`;
    }
    if (trick === "flip") {
      body = Buffer.from(body);
      body[0] = (body[0] as number) ^ 0xff;
    }
    headers["content-length"] = String(body.length);
    forward(target, req, res, { headers, body });
  });
  endpoint = await listenOnLoopback(forwarder);
});

afterAll(async () => {
  forwarder.closeAllConnections();
  forwarder.close();
  await fake.close();
});

/** `data` as a stream of 100 KiB pieces, so chunks cross the stream's buffers. */
const streamOf = (data: Buffer) => streamOfPieces(data, 100 * KiB);

const driverOn = (options: Record<string, unknown> = {}) =>
  createDriver("gs://up/streams", { apiEndpoint: endpoint, chunkSize: CHUNK, ...options });

const readAll = async (driver: StorageDriver, key: string) =>
  Buffer.concat(await (await driver.read(key)).toArray());

/** The chunk PUTs and status queries of resumable sessions since `from`. */
const chunkRanges = (from: number) =>
  seen
    .slice(from)
    .filter((s) => s.method === "PUT")
    .map((s) => s.range);

describe("gcs streamed writes with chunks of our own", () => {
  it("send chunks of chunkSize and mark the last one with the total, even at an exact multiple", async () => {
    const driver = await driverOn();
    for (const size of [CHUNK + 5, 2 * CHUNK, 3]) {
      const data = randomBytes(size);
      const from = seen.length;
      const result = await driver.write(`k${size}.bin`, streamOf(data));
      expect(result.size).toBe(size);
      expect(result.etag).toMatch(/^\d+$/);
      expect((await readAll(driver, `k${size}.bin`)).equals(data)).toBe(true);
      const ranges = chunkRanges(from);
      if (size === CHUNK + 5)
        expect(ranges).toEqual([`bytes 0-${CHUNK - 1}/*`, `bytes ${CHUNK}-${CHUNK + 4}/${size}`]);
      if (size === 2 * CHUNK)
        expect(ranges).toEqual([`bytes 0-${CHUNK - 1}/*`, `bytes ${CHUNK}-${2 * CHUNK - 1}/${size}`]);
      if (size === 3) expect(ranges).toEqual([`bytes 0-2/3`]);
      expect(seen.slice(from).every((s) => !s.sdk || s.method === "POST")).toBe(true);
    }
    await driver.close?.();
  });

  it("return handed-over pool buffers to the pool once their chunk is sent", async () => {
    const driver = await driverOn({ chunkSize: POOL_BUFFER_BYTES });
    const pool = [takeBuffer(), takeBuffer(), takeBuffer()];
    for (const buffer of pool) randomBytes(buffer.length).copy(buffer);
    const data = Buffer.concat(pool);
    await driver.write("pooled.bin", Readable.from(pool.map((buffer) => handOver(buffer))));
    // Checked before reading back: the read takes pool buffers too.
    const again = [takeBuffer(), takeBuffer(), takeBuffer()];
    // Identity, not contents (a deep compare of MiB buffers is slow).
    expect(again.filter((buffer) => pool.includes(buffer))).toHaveLength(3);
    returnBuffers(again);
    expect((await readAll(driver, "pooled.bin")).equals(data)).toBe(true);
    await driver.close?.();
  });

  it("write an empty stream as an empty object", async () => {
    const driver = await driverOn();
    const from = seen.length;
    await driver.write("empty.bin", Readable.from([]));
    expect((await readAll(driver, "empty.bin")).length).toBe(0);
    expect(chunkRanges(from)).toEqual(["bytes */0"]);
    await driver.close?.();
  });

  it("resend a chunk whose connection was cut, after asking the session what it has", async () => {
    const driver = await driverOn();
    const data = randomBytes(3 * CHUNK);
    const from = seen.length;
    mischief = "cut";
    await driver.write("cut.bin", streamOf(data));
    expect((await readAll(driver, "cut.bin")).equals(data)).toBe(true);
    expect(chunkRanges(from)).toEqual([
      `bytes 0-${CHUNK - 1}/*`,
      "bytes */*",
      `bytes 0-${CHUNK - 1}/*`,
      `bytes ${CHUNK}-${2 * CHUNK - 1}/*`,
      `bytes ${2 * CHUNK}-${3 * CHUNK - 1}/${3 * CHUNK}`,
    ]);
    await driver.close?.();
  });

  it("ask again when the status query after a cut chunk fails too", async () => {
    const driver = await driverOn();
    const data = randomBytes(CHUNK + 9);
    const from = seen.length;
    mischief = "cut";
    busyQuery = true;
    await driver.write("cut-busy.bin", streamOf(data));
    expect((await readAll(driver, "cut-busy.bin")).equals(data)).toBe(true);
    expect(chunkRanges(from)).toEqual([
      `bytes 0-${CHUNK - 1}/*`,
      "bytes */*",
      "bytes */*",
      `bytes 0-${CHUNK - 1}/*`,
      `bytes ${CHUNK}-${CHUNK + 8}/${CHUNK + 9}`,
    ]);
    await driver.close?.();
  });

  it("continue a chunk from the byte the session kept when it kept only part of it", async () => {
    const driver = await driverOn();
    const data = randomBytes(2 * CHUNK + 7);
    const from = seen.length;
    mischief = "half";
    await driver.write("half.bin", streamOf(data));
    expect((await readAll(driver, "half.bin")).equals(data)).toBe(true);
    const half = CHUNK / 2;
    expect(chunkRanges(from)).toEqual([
      `bytes 0-${CHUNK - 1}/*`,
      `bytes ${half}-${CHUNK - 1}/*`,
      `bytes ${CHUNK}-${2 * CHUNK - 1}/*`,
      `bytes ${2 * CHUNK}-${2 * CHUNK + 6}/${2 * CHUNK + 7}`,
    ]);
    await driver.close?.();
  });

  it("delete an object whose crc32c is not the bytes sent, and fail with CHECKSUM_MISMATCH", async () => {
    const driver = await driverOn();
    mischief = "flip";
    const flipped = driver.write("flipped.bin", streamOf(randomBytes(CHUNK + 1)));
    expect(await codeOf(flipped)).toBe("CHECKSUM_MISMATCH");
    expect(await driver.stat("flipped.bin")).toBeNull();
    await driver.close?.();
  });

  it("report a session that is gone as a retryable UNAVAILABLE, not as a missing bucket", async () => {
    const driver = await driverOn();
    mischief = "gone";
    const error = await driver.write("gone.bin", streamOf(randomBytes(CHUNK + 1))).then(
      () => undefined,
      (e: unknown) => e as { code?: string; retryable?: boolean; message?: string },
    );
    expect([error?.code, error?.retryable]).toEqual(["UNAVAILABLE", true]);
    expect(error?.message).toContain("upload session is gone");
    await driver.close?.();
  });

  it("keep create-only and generation conditions", async () => {
    const driver = await driverOn();
    const first = await driver.write("cond.bin", streamOf(randomBytes(CHUNK + 1)), { ifNotExists: true });
    const again = driver.write("cond.bin", streamOf(randomBytes(CHUNK + 1)), { ifNotExists: true });
    expect(await codeOf(again)).toBe("ALREADY_EXISTS");
    const data = randomBytes(CHUNK + 2);
    await driver.write("cond.bin", streamOf(data), { ifMatch: first.etag as string });
    expect((await readAll(driver, "cond.bin")).equals(data)).toBe(true);
    const stale = driver.write("cond.bin", streamOf(randomBytes(CHUNK + 1)), {
      ifMatch: first.etag as string,
    });
    expect(await codeOf(stale)).toBe("CONFLICT");
    await driver.close?.();
  });

  it("fail with the source's error when the source fails, cancel the session and store nothing", async () => {
    const driver = await driverOn();
    const from = seen.length;
    const broken = Readable.from(
      (async function* () {
        yield randomBytes(CHUNK + 10);
        throw new Error("disk gone");
      })(),
    );
    const error = await driver.write("broken.bin", broken).catch((e: unknown) => e);
    expect(String((error as Error).message)).toContain("disk gone");
    expect(await driver.stat("broken.bin")).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen.slice(from).some((s) => s.method === "DELETE")).toBe(true);
    await driver.close?.();
  });

  it("leave chunks to the SDK with directUploads: false or retryOptions of the user's", async () => {
    for (const options of [{ directUploads: false }, { retryOptions: { maxRetries: 1 } }]) {
      const driver = await driverOn(options);
      const data = randomBytes(CHUNK + 3);
      const from = seen.length;
      await driver.write("sdk.bin", streamOf(data));
      expect((await readAll(driver, "sdk.bin")).equals(data)).toBe(true);
      const puts = seen.slice(from).filter((s) => s.method === "PUT");
      expect(puts.length).toBeGreaterThan(0);
      expect(puts.every((s) => s.sdk)).toBe(true);
      await driver.close?.();
    }
  });
});
