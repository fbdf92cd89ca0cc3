/** Azure server-side copies on azurite: the asynchronous Copy Blob path (polled), pinned to the source etag. */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAll } from "../../src/storage/body.js";
import { createDriver } from "../../src/storage/create-driver.js";
import type { StorageDriver } from "../../src/storage/driver.js";
import { azureStore, type CloudStore } from "../servers/cloud-stores.js";

describe("azure copy (azurite), asynchronous Copy Blob", () => {
  let store: CloudStore;
  let driver: StorageDriver;
  beforeAll(async () => {
    store = await azureStore();
    // Every blob above 1 byte is copied asynchronously (Copy Blob, polled), as a blob above 256 MiB is.
    driver = await createDriver(store.url, { ...store.storageOptions, maxSyncCopyBytes: 1 });
  });
  afterAll(async () => {
    await store.cleanup();
    await driver.close?.();
  });

  it("copies byte for byte and reports the size", async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 7);
    await driver.write("a/src.bin", bytes, { size: bytes.length });
    const result = await driver.copy?.("a/src.bin", "b/dst.bin");
    expect(result?.size).toBe(bytes.length);
    expect(Buffer.compare(await readAll(await driver.read("b/dst.bin")), bytes)).toBe(0);
  });

  it("a source rewritten since it was read is CONFLICT and leaves nothing", async () => {
    await driver.write("c/src.bin", "first");
    const before = await driver.stat("c/src.bin");
    await driver.write("c/src.bin", "second");
    const error = await driver
      .copy?.("c/src.bin", "c/dst.bin", { ifSourceMatch: before?.etag as string })
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("CONFLICT");
    expect(await driver.stat("c/dst.bin")).toBeNull();
  });
});
