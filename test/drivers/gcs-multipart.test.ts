/**
 * Small GCS writes in one multipart request of our own (src/drivers/gcs-multipart.ts), against the GCS
 * fake behind a loopback forwarder that records each request and can damage the next upload's bytes.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDriver } from "../../src/storage/create-driver.js";
import type { StorageDriver } from "../../src/storage/driver.js";
import { codeOf } from "../fixtures/driver-codes.js";
import { forward, listenOnLoopback } from "../servers/forwarder.js";
import { type GcsFake, startGcsFake } from "../servers/gcs-fake-server.js";
import { readBody } from "../servers/gcs-fake-uploads.js";

/** A request the forwarder passed on. */
interface Seen {
  method: string;
  url: string;
  sdk: boolean;
  contentType: string;
}

/**
 * What the forwarder does to the next multipart upload: `flip` damages the last byte of the media;
 * `flip-unchecked` also drops the crc32c from the metadata, as a server that does not check would.
 */
type Mischief = "flip" | "flip-unchecked";

let fake: GcsFake;
let forwarder: Server;
let endpoint: string;
const seen: Seen[] = [];
let mischief: Mischief | undefined;

beforeAll(async () => {
  fake = await startGcsFake({ buckets: ["up"] });
  const target = new URL(fake.endpoint);
  forwarder = createServer(async (req, res) => {
    let body = await readBody(req);
    const url = req.url ?? "";
    seen.push({
      method: req.method ?? "",
      url,
      sdk: req.headers["x-goog-api-client"] !== undefined,
      contentType: req.headers["content-type"] ?? "",
    });
    const trick = url.includes("uploadType=multipart") ? mischief : undefined;
    if (trick) mischief = undefined;
    if (trick) {
      const boundary = /boundary=([^;]+)/.exec(req.headers["content-type"] ?? "")?.[1] ?? "";
      // The media ends right before "\r\n--boundary--\r\n".
      const last = body.lastIndexOf(`\r\n--${boundary}--`) - 1;
      body = Buffer.from(body);
      body[last] = (body[last] as number) ^ 0xff;
      if (trick === "flip-unchecked") {
        body = Buffer.from(body.toString("latin1").replace(/,"crc32c":"[^"]*"/, ""), "latin1");
      }
    }
    // The body goes on whole, so with a length (the SDK sends its uploads chunked).
    const { "transfer-encoding": _, ...headers } = req.headers;
    forward(target, req, res, { headers: { ...headers, "content-length": String(body.length) }, body });
  });
  endpoint = await listenOnLoopback(forwarder);
});

afterAll(async () => {
  forwarder.closeAllConnections();
  forwarder.close();
  await fake.close();
});

const driverOn = (options: Record<string, unknown> = {}) =>
  createDriver("gs://up/small", { apiEndpoint: endpoint, ...options });

const readAll = async (driver: StorageDriver, key: string) =>
  Buffer.concat(await (await driver.read(key)).toArray());

const uploadsSince = (from: number) => seen.slice(from).filter((s) => s.url.includes("/upload/"));

describe("gcs small writes in one multipart request of our own", () => {
  it("send one multipart/related POST without the SDK, and read back what was written", async () => {
    const driver = await driverOn();
    const data = randomBytes(5000);
    const from = seen.length;
    const result = await driver.write("a.bin", data, { contentType: "application/x-test" });
    expect(result).toMatchObject({ key: "a.bin", size: 5000, etag: expect.stringMatching(/^\d+$/) });
    const uploads = uploadsSince(from);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toMatchObject({ method: "POST", sdk: false });
    expect(uploads[0]?.url).toMatch(/\/upload\/storage\/v1\/b\/up\/o\?uploadType=multipart$/);
    expect(uploads[0]?.contentType).toMatch(/^multipart\/related; boundary=/);
    expect((await readAll(driver, "a.bin")).equals(data)).toBe(true);
    expect((await driver.stat("a.bin"))?.etag).toBe(result.etag);
    // An empty object too.
    await driver.write("empty", Buffer.alloc(0));
    expect((await readAll(driver, "empty")).length).toBe(0);
  });

  it("keep conditions: create-only refuses an existing object, a replace needs the current generation", async () => {
    const driver = await driverOn();
    const first = await driver.write("c.json", "one", { ifNotExists: true });
    expect(uploadsSince(0).at(-1)?.url).toContain("ifGenerationMatch=0");
    expect(await codeOf(driver.write("c.json", "two", { ifNotExists: true }))).toBe("ALREADY_EXISTS");
    await driver.write("c.json", "three", { ifMatch: first.etag as string });
    expect(await codeOf(driver.write("c.json", "four", { ifMatch: first.etag as string }))).toBe("CONFLICT");
    expect((await readAll(driver, "c.json")).toString()).toBe("three");
  });

  it("send the crc32c with the bytes: damaged bytes are refused, nothing is stored, and the retry sends them again", async () => {
    const strict = await driverOn({ retries: 0 });
    mischief = "flip";
    const error = await strict.write("d.bin", randomBytes(3000)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "CHECKSUM_MISMATCH", retryable: true });
    expect((error as Error).message).toMatch(/nothing was stored/);
    expect(await strict.stat("d.bin")).toBeNull();
    const driver = await driverOn();
    const data = randomBytes(3000);
    const from = seen.length;
    mischief = "flip";
    await driver.write("d.bin", data);
    expect(uploadsSince(from)).toHaveLength(2);
    expect((await readAll(driver, "d.bin")).equals(data)).toBe(true);
  });

  it("check the stored object's crc32c too: a server that did not check gets its damaged object deleted", async () => {
    const driver = await driverOn({ retries: 0 });
    mischief = "flip-unchecked";
    const error = await driver.write("e.bin", randomBytes(3000)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "CHECKSUM_MISMATCH" });
    expect((error as Error).message).toMatch(/was deleted/);
    expect(await driver.stat("e.bin")).toBeNull();
  });

  it("name a missing bucket", async () => {
    const driver = await createDriver("gs://nope/small", { apiEndpoint: endpoint, retries: 0 });
    expect(await codeOf(driver.write("x", "y"))).toBe("NOT_FOUND");
  });

  it("keep the SDK's file.save with directUploads: false", async () => {
    const driver = await driverOn({ directUploads: false });
    const from = seen.length;
    await driver.write("f.bin", randomBytes(100));
    const uploads = uploadsSince(from);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]?.sdk).toBe(true);
  });
});
