/** Direct media downloads of the GCS driver: when they are used, and what they do with encodings. */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { Storage } from "@google-cloud/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GcsMediaReader } from "../../src/drivers/gcs-media.js";
import { proxyConfigured } from "../../src/drivers/http-requester.js";
import { POOL_BUFFER_BYTES, takeOver } from "../../src/storage/buffer-pool.js";
import { createDriver } from "../../src/storage/create-driver.js";
import { type GcsFake, startGcsFake } from "../servers/gcs-fake-server.js";

let fake: GcsFake;
const seen: IncomingMessage[] = [];
beforeAll(async () => {
  fake = await startGcsFake({ buckets: ["media"], onRequest: (req) => seen.push(req) });
});
afterAll(async () => fake.close());

/** The object reads the fake saw since `from`, and whether the SDK's request stack sent each. */
function mediaReads(from: number): { sdk: boolean; range: string | undefined }[] {
  return seen
    .slice(from)
    .filter((req) => (req.url ?? "").includes("alt=media"))
    .map((req) => ({ sdk: req.headers["x-goog-api-client"] !== undefined, range: req.headers.range }));
}

describe("gcs media reads", () => {
  it("go straight over HTTP by default, whole and ranged", async () => {
    const driver = await createDriver("gs://media/direct", { apiEndpoint: fake.endpoint });
    await driver.write("k.bin", "0123456789");
    const from = seen.length;
    expect(Buffer.concat(await (await driver.read("k.bin")).toArray()).toString()).toBe("0123456789");
    const ranged = await driver.read("k.bin", { range: { offset: 2, length: 3 } });
    expect(Buffer.concat(await ranged.toArray()).toString()).toBe("234");
    expect(mediaReads(from)).toEqual([
      { sdk: false, range: undefined },
      { sdk: false, range: "bytes=2-4" },
    ]);
    await driver.close?.();
  });

  it("read a big object into whole pool buffers that the download sink takes over (zero-copy GET)", async () => {
    const driver = await createDriver("gs://media/zero-copy", { apiEndpoint: fake.endpoint });
    const payload = randomBytes(3 * POOL_BUFFER_BYTES + 5);
    await driver.write("big.bin", payload);
    const chunks = (await (await driver.read("big.bin")).toArray()) as Buffer[];
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
    expect(chunks.filter((chunk) => takeOver(chunk)).length).toBe(3);
    await driver.close?.();
  });

  it("go through the SDK when downloadValidation asks it to check crc32c", async () => {
    const driver = await createDriver("gs://media/validated", {
      apiEndpoint: fake.endpoint,
      downloadValidation: true,
    });
    await driver.write("k.bin", "validated");
    const from = seen.length;
    expect(Buffer.concat(await (await driver.read("k.bin")).toArray()).toString()).toBe("validated");
    expect(mediaReads(from)).toEqual([{ sdk: true, range: undefined }]);
  });

  it("a proxy in the environment keeps the SDK's stack (it knows how to use it)", () => {
    expect(proxyConfigured({})).toBe(false);
    expect(proxyConfigured({ HTTPS_PROXY: "" })).toBe(false);
    expect(proxyConfigured({ HTTPS_PROXY: "http://proxy:3128" })).toBe(true);
    expect(proxyConfigured({ http_proxy: "http://proxy:3128" })).toBe(true);
  });

  it("decompresses an object GCS serves gzip-encoded, and leaves ranged bytes as sent", async () => {
    const body = gzipSync(Buffer.from("hello, compressed world"));
    const server = createServer((req, res) => {
      res.writeHead(req.headers.range ? 206 : 200, { "content-encoding": "gzip" });
      res.end(req.headers.range ? body.subarray(0, 4) : body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const reader = new GcsMediaReader(new Storage({ apiEndpoint: endpoint, projectId: "p" }));
    try {
      const whole = await reader.open("b", "o", {});
      expect(Buffer.concat(await whole.toArray()).toString()).toBe("hello, compressed world");
      const part = await reader.open("b", "o", { range: { offset: 0, length: 4 } });
      expect(Buffer.compare(Buffer.concat(await part.toArray()), body.subarray(0, 4))).toBe(0);
    } finally {
      reader.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
