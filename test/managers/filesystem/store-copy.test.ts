/**
 * copyInStore: a failed in-store copy falls back to an upload (null), except when the caller cancelled:
 * then the cancellation ends the log, no upload of the file is started.
 */
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { ArtifactError } from "../../../src/errors.js";
import type { LocalFile } from "../../../src/managers/filesystem/local-files.js";
import { copyInStore } from "../../../src/managers/filesystem/store-copy.js";
import type { CopyOptions } from "../../../src/storage/driver.js";

describe("copyInStore", () => {
  let dir: string;
  let file: LocalFile;
  const copy = { from: "c/a/v0/f.bin", sha256: "00".repeat(32), size: 5 };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "am-store-copy-"));
    const source = join(dir, "f.bin");
    await writeFile(source, "hello");
    const info = await stat(source);
    file = { source, path: "f.bin", size: 5, mtimeMs: info.mtimeMs };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("a copy the store refuses: null (the file is uploaded instead)", async () => {
    const driver = createMemoryDriver();
    driver.copy = async () => {
      throw new ArtifactError("UNSUPPORTED", "no copies here");
    };
    expect(await copyInStore(driver, file, copy, "c/a/v1/", undefined)).toBeNull();
  });

  it("a copy that failed because the log was cancelled: rejects with the cancellation, no fallback", async () => {
    const driver = createMemoryDriver();
    const controller = new AbortController();
    const reason = new Error("cancelled by the user");
    driver.copy = async (_from: string, _to: string, options: CopyOptions = {}) => {
      controller.abort(reason);
      // A driver that maps the abort to its own error (as SDKs do): only the signal tells it apart.
      throw new ArtifactError("UNAVAILABLE", `socket closed (${String(options.signal?.aborted)})`);
    };
    await expect(copyInStore(driver, file, copy, "c/a/v1/", controller.signal)).rejects.toBe(reason);
  });

  it("a copy that succeeded: the local file's recorded digest and the copied size", async () => {
    const driver = createMemoryDriver();
    driver.copy = async (_from: string, to: string) => ({ key: to, size: 5 });
    expect(await copyInStore(driver, file, copy, "c/a/v1/", undefined)).toEqual({
      size: 5,
      sha256: copy.sha256,
    });
  });
});
