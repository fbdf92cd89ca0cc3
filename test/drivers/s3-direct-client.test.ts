/** Direct reads and small writes of the S3 driver: when they are used, and that they do what the SDK does. */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveS3Config } from "../../src/drivers/s3-config.js";
import { encodeObjectKey } from "../../src/drivers/s3-direct-client.js";
import { POOL_BUFFER_BYTES, takeOver } from "../../src/storage/buffer-pool.js";
import { createDriver } from "../../src/storage/create-driver.js";
import type { StorageDriver } from "../../src/storage/driver.js";
import { codeOf } from "../fixtures/driver-codes.js";
import { type CloudStore, s3Store } from "../servers/cloud-stores.js";
import { forward, listenOnLoopback } from "../servers/forwarder.js";

/** A request radosgw received through the recording forwarder. */
interface Seen {
  method: string;
  path: string;
  sdk: boolean;
  range: string | undefined;
}

let store: CloudStore;
let forwarder: Server;
let endpoint: string;
const seen: Seen[] = [];

beforeAll(async () => {
  store = await s3Store();
  const target = new URL(store.storageOptions.endpoint as string);
  // A loopback forwarder in front of radosgw that records each request.
  forwarder = createServer((req, res) => {
    seen.push({
      method: req.method ?? "",
      path: req.url ?? "",
      // The SDK stamps every request it sends with an invocation id; the direct path does not.
      sdk: req.headers["amz-sdk-invocation-id"] !== undefined,
      range: req.headers.range,
    });
    forward(target, req, res, {
      answerHeaders: (answer) => {
        // Keys with `chunked` in their name come back framed in chunks, as a proxy may re-frame them.
        if (!req.url?.includes("chunked") || req.method !== "GET") return answer;
        const { "content-length": _, ...headers } = answer;
        return { ...headers, "transfer-encoding": "chunked" };
      },
    });
  });
  endpoint = await listenOnLoopback(forwarder);
});

afterAll(async () => {
  forwarder.closeAllConnections();
  forwarder.close();
  await store.cleanup();
});

const text = async (driver: StorageDriver, key: string, range?: { offset: number; length?: number }) =>
  Buffer.concat(await (await driver.read(key, range ? { range } : {})).toArray()).toString();

/** The GETs radosgw saw since `from`. */
const gets = (from: number) =>
  seen.slice(from).filter((s) => s.method === "GET" && !s.path.includes("?list-type"));

describe("s3 direct requests", () => {
  it("skip the SDK on a custom endpoint: whole, ranged and open-ended reads", async () => {
    const driver = await createDriver(store.url, { ...store.storageOptions, endpoint });
    await driver.write("k.bin", "0123456789");
    const from = seen.length;
    expect(await text(driver, "k.bin")).toBe("0123456789");
    expect(await text(driver, "k.bin", { offset: 2, length: 3 })).toBe("234");
    expect(await text(driver, "k.bin", { offset: 7 })).toBe("789");
    expect(gets(from).map(({ sdk, range }) => ({ sdk, range }))).toEqual([
      { sdk: false, range: undefined },
      { sdk: false, range: "bytes=2-4" },
      { sdk: false, range: "bytes=7-" },
    ]);
    await driver.close?.();
  });

  it("read a big object into whole pool buffers that the download sink takes over (zero-copy GET)", async () => {
    const driver = await createDriver(store.url, { ...store.storageOptions, endpoint });
    const payload = randomBytes(3 * POOL_BUFFER_BYTES + 5);
    await driver.write("big.bin", payload, { size: payload.length });
    const chunks = (await (await driver.read("big.bin")).toArray()) as Buffer[];
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
    expect(chunks.filter((chunk) => takeOver(chunk)).length).toBe(3);
    await driver.close?.();
  });

  it("ask again on Node's HTTP client when an answer comes chunked, which the zero-copy GET does not frame", async () => {
    const driver = await createDriver(store.url, { ...store.storageOptions, endpoint });
    const payload = randomBytes(2 * POOL_BUFFER_BYTES + 7);
    await driver.write("chunked.bin", payload, { size: payload.length });
    await driver.write("chunked-small.txt", "0123456789");
    const from = seen.length;
    const chunks = (await (await driver.read("chunked.bin")).toArray()) as Buffer[];
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
    expect(await text(driver, "chunked-small.txt", { offset: 3, length: 4 })).toBe("3456");
    // Each read: the zero-copy GET, then the same signed request again; neither through the SDK.
    expect(gets(from).map(({ sdk, range }) => ({ sdk, range }))).toEqual([
      { sdk: false, range: undefined },
      { sdk: false, range: undefined },
      { sdk: false, range: "bytes=3-6" },
      { sdk: false, range: "bytes=3-6" },
    ]);
    await driver.close?.();
  });

  it("put a key in the path exactly as the SDK does, for keys with spaces, unicode and reserved characters", async () => {
    const direct = await createDriver(store.url, { ...store.storageOptions, endpoint });
    // Any client option of the SDK's keeps a driver on the SDK's own path.
    const viaSdk = await createDriver(store.url, { ...store.storageOptions, endpoint, maxAttempts: 2 });
    const keys = ["dir/a b+c.txt", "ünï/cödé ✓.txt", "r!'()*;:@&=$,[]~.txt", "p%2Fq%20r.txt", "x?y#z.txt"];
    for (const key of keys) {
      await direct.write(key, `body of ${key}`);
      const from = seen.length;
      expect(await text(direct, key)).toBe(`body of ${key}`);
      expect(await text(viaSdk, key)).toBe(`body of ${key}`);
      const [ours, sdk] = gets(from);
      expect([ours?.sdk, sdk?.sdk]).toEqual([false, true]);
      expect(ours?.path.split("?")[0]).toBe(sdk?.path.split("?")[0]);
    }
    await direct.close?.();
    await viaSdk.close?.();
  });

  it("small writes skip the SDK too, with its conditions and codes; multipart uploads do not", async () => {
    const options = { ...store.storageOptions, endpoint, partSize: 5 * 1024 * 1024 };
    const driver = await createDriver(store.url, options);
    const from = seen.length;
    await driver.write("w.bin", "one");
    expect(await codeOf(driver.write("w.bin", "two", { ifNotExists: true }))).toBe("ALREADY_EXISTS");
    const first = await driver.stat("w.bin");
    const second = await driver.write("w.bin", "three", { ifMatch: first?.etag as string });
    expect(second.etag).toBeDefined();
    expect(second.etag).not.toBe(first?.etag);
    expect(await codeOf(driver.write("w.bin", "four", { ifMatch: first?.etag as string }))).toBe("CONFLICT");
    await driver.write("fresh.bin", "x", { ifNotExists: true });
    expect(await text(driver, "w.bin")).toBe("three");
    const puts = seen.slice(from).filter((s) => s.method === "PUT");
    expect(puts.map((s) => s.sdk)).toEqual([false, false, false, false, false]);
    // Bodies over the part size are multipart uploads, which the SDK's lib-storage sends.
    const big = Buffer.alloc(6 * 1024 * 1024, 7);
    const before = seen.length;
    await driver.write("big.bin", big, { size: big.length });
    const multipart = seen.slice(before).filter((s) => s.method === "POST" || s.method === "PUT");
    expect(multipart.length).toBeGreaterThan(2);
    expect(multipart.every((s) => s.sdk)).toBe(true);
    expect((await driver.stat("big.bin"))?.size).toBe(big.length);
    await driver.close?.();
  });

  it("report errors as the SDK path does: missing key and bucket NOT_FOUND, a wrong secret UNAUTHENTICATED", async () => {
    const driver = await createDriver(store.url, { ...store.storageOptions, endpoint });
    expect(await codeOf(driver.read("no/such/key"))).toBe("NOT_FOUND");
    const wrong = await createDriver(store.url, {
      ...store.storageOptions,
      endpoint,
      secretAccessKey: "wrong",
    });
    expect(await codeOf(wrong.read("k.bin"))).toBe("UNAUTHENTICATED");
    expect(await codeOf(wrong.write("k.bin", "y"))).toBe("UNAUTHENTICATED");
    const noBucket = await createDriver("s3://no-such-bucket-here/p", { ...store.storageOptions, endpoint });
    const error = await noBucket.read("k").catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("NOT_FOUND");
    expect(String((error as Error).message)).toMatch(/bucket 'no-such-bucket-here' does not exist/);
    const from = seen.length;
    await driver.read("no/such/key").catch(() => undefined);
    expect(gets(from).map((s) => s.sdk)).toEqual([false]);
    for (const d of [driver, wrong, noBucket]) await d.close?.();
  });

  it("are used only with a custom endpoint and no SDK client options", () => {
    expect(resolveS3Config({ endpoint: "http://127.0.0.1:9000" }).directRequests).toBe(true);
    expect(resolveS3Config({ endpoint: "http://127.0.0.1:9000", maxAttempts: 2 }).directRequests).toBe(false);
    // Credentials that were handed to an S3Client before carry the SDK's `$source` tag along.
    const tagged = { accessKeyId: "a", secretAccessKey: "b", $source: { CREDENTIALS_CODE: "e" } };
    expect(resolveS3Config({ endpoint: "http://127.0.0.1:9000", ...tagged }).directRequests).toBe(true);
    const saved = { s3: process.env.AWS_ENDPOINT_URL_S3, any: process.env.AWS_ENDPOINT_URL };
    delete process.env.AWS_ENDPOINT_URL_S3;
    delete process.env.AWS_ENDPOINT_URL;
    try {
      // AWS itself: the SDK follows region redirects and validates response checksums.
      expect(resolveS3Config({ region: "eu-west-1" }).directRequests).toBe(false);
    } finally {
      if (saved.s3 !== undefined) process.env.AWS_ENDPOINT_URL_S3 = saved.s3;
      if (saved.any !== undefined) process.env.AWS_ENDPOINT_URL = saved.any;
    }
  });

  it("encode each path segment as the SDK does, reserved characters included", () => {
    expect(encodeObjectKey("a/b c/d+e")).toBe("a/b%20c/d%2Be");
    expect(encodeObjectKey("!'()*")).toBe("%21%27%28%29%2A");
    expect(encodeObjectKey("ü/%")).toBe("%C3%BC/%25");
  });
});
