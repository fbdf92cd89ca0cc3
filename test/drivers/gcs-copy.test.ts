/** GCS server-side copies (objects.rewrite) against the fake: rewrite tokens, pinned generations. */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAll } from "../../src/storage/body.js";
import { createDriver } from "../../src/storage/create-driver.js";
import type { StorageDriver } from "../../src/storage/driver.js";
import { type GcsFake, startGcsFake } from "../servers/gcs-fake-server.js";

describe("gcs copy (fake JSON-API server)", () => {
  let fake: GcsFake;
  let driver: StorageDriver;
  const calls: string[] = [];
  beforeAll(async () => {
    // 1 MiB per rewrite call: a 3.5 MiB object takes four calls, following the rewrite token.
    fake = await startGcsFake({
      buckets: ["am-tests"],
      rewriteBytesPerCall: 1024 * 1024,
      onRequest: (req) => {
        if (req.url?.includes("/rewriteTo/")) calls.push(req.url);
      },
    });
    driver = await createDriver("gs://am-tests/copy", { apiEndpoint: fake.endpoint });
  });
  afterAll(async () => {
    await driver.close?.();
    await fake.close();
  });

  it("follows the rewrite token until done and checks size and hashes", async () => {
    const bytes = randomBytes(3.5 * 1024 * 1024);
    await driver.write("a/src.bin", bytes);
    calls.length = 0;
    const result = await driver.copy?.("a/src.bin", "b/dst.bin");
    expect(result?.size).toBe(bytes.length);
    expect(calls.length).toBe(4);
    expect(calls.slice(1).every((url) => url.includes("rewriteToken="))).toBe(true);
    expect(calls.every((url) => url.includes("sourceGeneration="))).toBe(true);
    expect(Buffer.compare(await readAll(await driver.read("b/dst.bin")), bytes)).toBe(0);
    expect((await driver.stat("b/dst.bin"))?.md5).toBe((await driver.stat("a/src.bin"))?.md5);
  });

  it("a copy whose stored bytes differ from the source is CHECKSUM_MISMATCH and leaves nothing", async () => {
    await driver.write("c/src.bin", "original bytes");
    // The fake's store is changed under the service: the source's file now holds other bytes, so the
    // rewrite hashes what it copies and gets another crc32c than the source's metadata says.
    const object = fake.store.bucket("am-tests").get("copy/c/src.bin");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(object?.file as string, "damaged bytes!");
    const error = await driver.copy?.("c/src.bin", "c/dst.bin").catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("CHECKSUM_MISMATCH");
    expect(await driver.stat("c/dst.bin")).toBeNull();
  });
});
