import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isArtifactError } from "../../src/errors.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { createDriver } from "../../src/storage/create-driver.js";
import { describeDriverConformance } from "../conformance/driver-conformance.js";
import { codeOf, expectMissingStore } from "../fixtures/driver-codes.js";
import { type GcsFake, startGcsFake } from "../servers/gcs-fake-server.js";

let fake: GcsFake;
beforeAll(async () => {
  fake = await startGcsFake({ buckets: ["am-tests"] });
});
afterAll(async () => fake.close());

describeDriverConformance("gcs (fake JSON-API server)", async () => {
  const driver = await createDriver(`gs://am-tests/conf-${Date.now()}`, { apiEndpoint: fake.endpoint });
  return { driver, cleanup: async () => driver.close?.() };
});

describe("gcs driver against the fake", () => {
  it("a streamed write goes up as a chunked resumable upload and reads back validated", async () => {
    const driver = await createDriver("gs://am-tests/stream", {
      apiEndpoint: fake.endpoint,
      chunkSize: 256 * 1024,
    });
    const chunks = Array.from({ length: 5 }, (_, i) => Buffer.alloc(200_000, i));
    const result = await driver.write("s.bin", Readable.from(chunks), { ifNotExists: true });
    expect(result.size).toBe(1_000_000);
    const back = Buffer.concat(await (await driver.read("s.bin")).toArray());
    expect(Buffer.compare(back, Buffer.concat(chunks))).toBe(0);
    // Create-only on the resumable path: the 412 arrives as GaxiosError.status.
    expect(await codeOf(driver.write("s.bin", Readable.from(chunks), { ifNotExists: true }))).toBe(
      "ALREADY_EXISTS",
    );
  });

  it("missing bucket → NOT_FOUND for stat, write, read and list", async () => {
    const driver = await createDriver("gs://no-such-bucket/p", { apiEndpoint: fake.endpoint });
    await expectMissingStore(driver);
  });

  it("a missing key is not a missing bucket when the bucket name or the key contains 'bucket'", async () => {
    const named = await startGcsFake({ buckets: ["my-bucket"] });
    const dir = await mkdtemp(join(tmpdir(), "am-gcs-bucket-"));
    try {
      const options = { apiEndpoint: named.endpoint };
      const driver = await createDriver("gs://my-bucket/p", options);
      // GCS's 404 for an object names the bucket: "No such object: my-bucket/p/bucket-key".
      expect(await driver.stat("bucket-key")).toBeNull();
      await driver.delete("bucket-key");
      expect(await codeOf(driver.read("bucket-key"))).toBe("NOT_FOUND");
      const manager = new FileSystemArtifactManager({ url: "gs://my-bucket/p", storageOptions: options });
      await writeFile(join(dir, "f.txt"), "content");
      await manager.logFiles("bucket-model", dir);
      await manager.setAlias("bucket-model", "bucket-best");
      expect(await manager.listAliases("bucket-model")).toEqual({ "bucket-best": "v0" });
      await manager.removeAlias("bucket-model", "bucket-best");
      expect(await manager.listAliases("bucket-model")).toEqual({});
      // A bucket that really is missing is still told apart, for every call.
      const gone = await createDriver("gs://my-bucket-gone/p", options);
      const bucketError = await gone.stat("bucket-key").catch((e: unknown) => e);
      expect(isArtifactError(bucketError, "NOT_FOUND") && bucketError.message).toMatch(
        /bucket 'my-bucket-gone'/,
      );
      expect(await codeOf(gone.delete("k"))).toBe("NOT_FOUND");
    } finally {
      await rm(dir, { recursive: true, force: true });
      await named.close();
    }
  });

  it("wrong credentials → UNAUTHENTICATED (fake requiring a bearer token)", async () => {
    const locked = await startGcsFake({ buckets: ["b1"], token: "right-token" });
    try {
      const { OAuth2Client } = await import("google-auth-library");
      const authClient = new OAuth2Client();
      authClient.setCredentials({ access_token: "wrong-token", expiry_date: Date.now() + 3_600_000 });
      const opts = { apiEndpoint: locked.endpoint, authClient, useAuthWithCustomEndpoint: true };
      const driver = await createDriver("gs://b1/p", opts);
      expect(await codeOf(driver.stat("x"))).toBe("UNAUTHENTICATED");
      expect(await codeOf(driver.write("x", "y"))).toBe("UNAUTHENTICATED");
      expect(await codeOf(driver.read("x"))).toBe("UNAUTHENTICATED");
      authClient.setCredentials({ access_token: "right-token", expiry_date: Date.now() + 3_600_000 });
      await driver.write("x", "y");
      expect((await driver.stat("x"))?.size).toBe(1);
      // Direct media reads carry the SDK's credentials too.
      expect(Buffer.concat(await (await driver.read("x")).toArray()).toString()).toBe("y");
    } finally {
      await locked.close();
    }
  });

  it("works through STORAGE_EMULATOR_HOST (the /b/… path form)", async () => {
    process.env.STORAGE_EMULATOR_HOST = fake.endpoint;
    try {
      const driver = await createDriver("gs://am-tests/emulator-host");
      await driver.write("k.txt", "via env");
      expect(Buffer.concat(await (await driver.read("k.txt")).toArray()).toString()).toBe("via env");
      expect((await driver.stat("k.txt"))?.size).toBe(7);
    } finally {
      delete process.env.STORAGE_EMULATOR_HOST;
    }
  });

  it("downloadValidation makes the SDK reject an object whose bytes do not match its crc32c", async () => {
    const { writeFile } = await import("node:fs/promises");
    const checked = await createDriver("gs://am-tests/validation", {
      apiEndpoint: fake.endpoint,
      downloadValidation: true,
    });
    await checked.write("v.bin", "original content");
    const object = fake.store.buckets.get("am-tests")?.get("validation/v.bin");
    await writeFile(object?.file as string, "ORIGINAL content");
    const read = async (driver: typeof checked) =>
      Buffer.concat(await (await driver.read("v.bin")).toArray()).toString();
    await expect(read(checked)).rejects.toThrow();
    const unchecked = await createDriver("gs://am-tests/validation", { apiEndpoint: fake.endpoint });
    expect(await read(unchecked)).toBe("ORIGINAL content");
  });
});
