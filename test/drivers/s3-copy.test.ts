/** S3 server-side copies on radosgw: one CopyObject, and UploadPartCopy parts above the threshold. */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAll } from "../../src/storage/body.js";
import { createDriver } from "../../src/storage/create-driver.js";
import type { StorageDriver } from "../../src/storage/driver.js";
import { type CloudStore, s3Store } from "../servers/cloud-stores.js";

describe("s3 copy (radosgw)", () => {
  let store: CloudStore;
  let driver: StorageDriver;
  beforeAll(async () => {
    store = await s3Store();
    // 5 MiB is the smallest threshold (and part) S3 allows: a 12 MiB object goes in three parts.
    driver = await createDriver(store.url, {
      ...store.storageOptions,
      multipartCopyThreshold: 5 * 1024 * 1024,
    });
  });
  afterAll(async () => {
    await store.cleanup();
    await driver.close?.();
  });

  it("copies an object above the threshold with UploadPartCopy parts, byte for byte", async () => {
    const bytes = randomBytes(12 * 1024 * 1024 + 3);
    await driver.write("big/src.bin", bytes, { size: bytes.length });
    const result = await driver.copy?.("big/src.bin", "big/dst.bin");
    expect(result?.size).toBe(bytes.length);
    // A multipart object's ETag ends in -<parts>.
    expect((await driver.stat("big/dst.bin"))?.etag).toMatch(/-3"?$/);
    expect(Buffer.compare(await readAll(await driver.read("big/dst.bin")), bytes)).toBe(0);
  }, 120_000);

  it("a multipart copy of a source rewritten since it was read is CONFLICT and leaves nothing", async () => {
    const bytes = randomBytes(6 * 1024 * 1024);
    await driver.write("race/src.bin", bytes, { size: bytes.length });
    const before = await driver.stat("race/src.bin");
    await driver.write("race/src.bin", randomBytes(6 * 1024 * 1024), { size: bytes.length });
    const error = await driver
      .copy?.("race/src.bin", "race/dst.bin", { size: bytes.length, ifSourceMatch: before?.etag as string })
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("CONFLICT");
    expect(await driver.stat("race/dst.bin")).toBeNull();
  }, 120_000);

  it("a single-part copy keeps the source's ETag (the md5 of its bytes)", async () => {
    await driver.write("small/src.txt", "hello copy");
    const source = await driver.stat("small/src.txt");
    await driver.copy?.("small/src.txt", "small/dst.txt");
    expect((await driver.stat("small/dst.txt"))?.etag).toBe(source?.etag);
  });
});
