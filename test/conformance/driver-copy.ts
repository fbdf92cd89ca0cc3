/**
 * The `copy` contract of src/storage/driver.ts, part of the driver conformance suite: every driver of
 * this project implements it (memory, local, s3, gcs, azure), so a driver without it fails here.
 */
import { randomBytes } from "node:crypto";
import { expect, it } from "vitest";
import { isArtifactError } from "../../src/errors.js";
import { readAll } from "../../src/storage/body.js";
import type { StorageDriver } from "../../src/storage/driver.js";

type Get = () => StorageDriver;

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) return undefined;
  expect(isArtifactError(error), `expected an ArtifactError, got ${String(error)}`).toBe(true);
  return (error as { code: string }).code;
}

function copyOf(driver: StorageDriver): NonNullable<StorageDriver["copy"]> {
  expect(driver.copy, `${driver.backend} driver has no copy`).toBeTypeOf("function");
  return (driver.copy as NonNullable<StorageDriver["copy"]>).bind(driver);
}

export function registerCopy(driver: Get, prefix: () => string): void {
  it("copy: the new object has the source's bytes and size, in another folder, and replaces the target", async () => {
    const p = prefix();
    const bytes = randomBytes(300_001);
    await driver().write(`${p}a/src.bin`, bytes);
    await driver().write(`${p}b/deep/dst.bin`, "old content");
    const source = await driver().stat(`${p}a/src.bin`);
    const result = await copyOf(driver())(`${p}a/src.bin`, `${p}b/deep/dst.bin`, {
      size: bytes.length,
      ...(source?.etag ? { ifSourceMatch: source.etag } : {}),
    });
    expect(result).toMatchObject({ key: `${p}b/deep/dst.bin`, size: bytes.length });
    expect(Buffer.compare(await readAll(await driver().read(`${p}b/deep/dst.bin`)), bytes)).toBe(0);
    expect((await driver().stat(`${p}b/deep/dst.bin`))?.size).toBe(bytes.length);
    // The source is untouched, and a later write to it does not change the copy.
    await driver().write(`${p}a/src.bin`, "rewritten");
    expect(Buffer.compare(await readAll(await driver().read(`${p}b/deep/dst.bin`)), bytes)).toBe(0);
  });

  it("copy: the etag a listing gives is accepted as ifSourceMatch", async () => {
    const p = prefix();
    await driver().write(`${p}src`, "listed");
    let etag: string | undefined;
    for await (const entry of driver().list(p)) if (entry.type === "object") etag = entry.etag;
    expect(etag).toBeTypeOf("string");
    await copyOf(driver())(`${p}src`, `${p}dst`, { ifSourceMatch: etag as string, size: 6 });
    expect((await readAll(await driver().read(`${p}dst`))).toString()).toBe("listed");
  });

  it("copy: a missing source is NOT_FOUND and writes nothing", async () => {
    const p = prefix();
    expect(await codeOf(copyOf(driver())(`${p}missing`, `${p}dst`))).toBe("NOT_FOUND");
    expect(await driver().stat(`${p}dst`)).toBeNull();
  });

  it("copy: a source rewritten since it was listed (ifSourceMatch) is CONFLICT and writes nothing", async () => {
    const p = prefix();
    await driver().write(`${p}src`, "first");
    const listed = await driver().stat(`${p}src`);
    expect(listed?.etag).toBeTypeOf("string");
    await driver().write(`${p}src`, "second, longer");
    const code = await codeOf(
      copyOf(driver())(`${p}src`, `${p}dst`, { ifSourceMatch: listed?.etag as string }),
    );
    expect(code).toBe("CONFLICT");
    expect(await driver().stat(`${p}dst`)).toBeNull();
  });

  it("copy: an empty object and a key with spaces and unicode", async () => {
    const p = prefix();
    await driver().write(`${p}e m p t y`, new Uint8Array(0));
    const result = await copyOf(driver())(`${p}e m p t y`, `${p}ünï cödé/c+d%20.txt`, { size: 0 });
    expect(result.size).toBe(0);
    expect((await driver().stat(`${p}ünï cödé/c+d%20.txt`))?.size).toBe(0);
  });

  it("copy: an aborted signal rejects with its reason", async () => {
    const p = prefix();
    await driver().write(`${p}src`, "x");
    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    const error = await copyOf(driver())(`${p}src`, `${p}dst`, { signal: controller.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBe(reason);
  });
}
