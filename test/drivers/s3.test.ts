import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isArtifactError } from "../../src/errors.js";
import { createDriver } from "../../src/storage/create-driver.js";
import { describeDriverConformance } from "../conformance/driver-conformance.js";
import { codeOf, expectMissingStore } from "../fixtures/driver-codes.js";
import { type CloudStore, s3Store } from "../servers/cloud-stores.js";

describeDriverConformance("s3 (radosgw)", async () => {
  const store = await s3Store();
  const driver = await createDriver(store.url, store.storageOptions);
  return {
    driver,
    cleanup: async () => {
      await store.cleanup();
      await driver.close?.();
    },
  };
});

describe("s3 driver errors and configuration", () => {
  let store: CloudStore;
  beforeAll(async () => {
    store = await s3Store();
  });
  afterAll(async () => store.cleanup());

  it("wrong secret key → UNAUTHENTICATED on every operation", async () => {
    const driver = await createDriver(store.url, { ...store.storageOptions, secretAccessKey: "wrong" });
    expect(await codeOf(driver.stat("x"))).toBe("UNAUTHENTICATED");
    expect(await codeOf(driver.write("x", "y"))).toBe("UNAUTHENTICATED");
    expect(await codeOf(driver.read("x"))).toBe("UNAUTHENTICATED");
    await driver.close?.();
  });

  it("unknown access key → UNAUTHENTICATED", async () => {
    const driver = await createDriver(store.url, { ...store.storageOptions, accessKeyId: "nobody" });
    expect(await codeOf(driver.write("x", "y"))).toBe("UNAUTHENTICATED");
    await driver.close?.();
  });

  it("missing bucket → NOT_FOUND for stat, write, list and read", async () => {
    const driver = await createDriver("s3://no-such-bucket-am/p", store.storageOptions);
    await expectMissingStore(driver);
    await driver.close?.();
  });

  it("takes the endpoint and keys from the AWS environment variables", async () => {
    const saved = { ...process.env };
    const { endpoint, accessKeyId, secretAccessKey } = store.storageOptions as Record<string, string>;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: "us-east-1",
    });
    try {
      const driver = await createDriver(store.url);
      await driver.write("env.txt", "from env");
      expect((await driver.stat("env.txt"))?.size).toBe(8);
      await driver.close?.();
    } finally {
      process.env = saved;
    }
  });

  it("a large streamed write goes multipart and reads back byte-exact, with ranges across parts", async () => {
    const { Readable } = await import("node:stream");
    const { createHash, randomBytes } = await import("node:crypto");
    const driver = await createDriver(store.url, {
      ...store.storageOptions,
      partSize: 5 * 1024 * 1024,
      queueSize: 2,
    });
    const chunk = randomBytes(1024 * 1024);
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 12; i++) yield chunk;
      })(),
    );
    const result = await driver.write("big.bin", body);
    expect(result.size).toBe(12 * 1024 * 1024);
    const hash = createHash("sha256");
    for await (const part of await driver.read("big.bin")) hash.update(part as Buffer);
    const expected = createHash("sha256");
    for (let i = 0; i < 12; i++) expected.update(chunk);
    expect(hash.digest("hex")).toBe(expected.digest("hex"));
    const ranged = Buffer.concat(
      await (await driver.read("big.bin", { range: { offset: 5 * 1024 * 1024 - 10, length: 20 } })).toArray(),
    );
    expect(
      Buffer.compare(ranged, Buffer.concat([chunk.subarray(1024 * 1024 - 10), chunk.subarray(0, 10)])),
    ).toBe(0);
    await driver.close?.();
  });
});

describe("s3 driver stat after a HEAD 403", () => {
  it("the GET that explains the 403 is closed, not left streaming", async () => {
    // A server that refuses HEAD but answers GET with a body that never ends.
    let getClosed: Promise<unknown> | undefined;
    const server = createServer((req, res) => {
      if (req.method === "HEAD") {
        res.writeHead(403).end();
        return;
      }
      getClosed = once(res, "close");
      res.writeHead(200, { "content-length": String(64 * 1024 * 1024) });
      res.write(Buffer.alloc(1024));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const options = { endpoint, accessKeyId: "a", secretAccessKey: "b", region: "us-east-1", retries: 0 };
      const driver = await createDriver("s3://bucket/p", options);
      const error = await driver.stat("k").catch((e: unknown) => e);
      expect(isArtifactError(error, "PERMISSION_DENIED"), String(error)).toBe(true);
      expect(getClosed).toBeDefined();
      await getClosed; // without the fix the response stays open (this never resolves)
      await driver.close?.();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
