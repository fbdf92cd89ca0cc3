/**
 * The cache on its own: where it lives, sizes, keys, least-recently-used pruning, clear, and a
 * download that runs while the cache is cleared under it.
 */
import { randomBytes } from "node:crypto";
import { readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseByteSize } from "../../src/cache/byte-size.js";
import { type CacheKey, cacheKeyOf } from "../../src/cache/cache-key.js";
import { defaultCacheDir } from "../../src/cache/cache-location.js";
import { DownloadCache } from "../../src/cache/download-cache.js";
import { createMemoryDriver } from "../../src/drivers/memory.js";
import { FileSystemArtifactManager, isArtifactError } from "../../src/index.js";
import { randomFiles, tempFolder } from "../managers/filesystem/helpers.js";
import { countingDriver, sha256 } from "./helpers.js";

let work: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  work = await tempFolder("cache-unit-");
});
afterEach(() => work.remove());

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return isArtifactError(error) ? error.code : "other";
  }
  return "none";
}

describe("cache location, sizes and keys", () => {
  it("ARTIFACTS_CACHE_DIR wins; else XDG_CACHE_HOME or ~/.cache, ~/Library/Caches, %LOCALAPPDATA%", () => {
    expect(defaultCacheDir({ ARTIFACTS_CACHE_DIR: "/c" }, "linux", "/h")).toBe("/c");
    expect(defaultCacheDir({}, "linux", "/h")).toBe("/h/.cache/artifact-manager");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/x" }, "linux", "/h")).toBe("/x/artifact-manager");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "rel" }, "linux", "/h")).toBe("/h/.cache/artifact-manager");
    expect(defaultCacheDir({}, "darwin", "/Users/u")).toBe("/Users/u/Library/Caches/artifact-manager");
    expect(defaultCacheDir({ LOCALAPPDATA: "/L" }, "win32", "/h")).toContain("artifact-manager");
  });

  it("parses sizes: binary units by default, decimal with B; refuses the rest", () => {
    expect(parseByteSize("4096", "x")).toBe(4096);
    expect(parseByteSize("10GiB", "x")).toBe(10 * 1024 ** 3);
    expect(parseByteSize("500M", "x")).toBe(500 * 1024 ** 2);
    expect(parseByteSize("2GB", "x")).toBe(2e9);
    expect(parseByteSize("1.5 k", "x")).toBe(1536);
    expect(parseByteSize("0", "x")).toBe(0);
    for (const bad of ["", "ten", "-1", "5 X", "1e3"])
      expect(codeOf(() => parseByteSize(bad, "x"))).toBe("INVALID_ARGUMENT");
  });

  it("keys: hex as is, base64 (W&B md5, xxh128) to hex; malformed digests are no key", () => {
    const md5 = "1B2M2Y8AsgTpgAmY7PhCfg=="; // md5 of ""
    expect(cacheKeyOf("md5", md5)).toEqual({ algorithm: "md5", hex: "d41d8cd98f00b204e9800998ecf8427e" });
    expect(cacheKeyOf("xxh128", Buffer.alloc(16, 1).toString("base64"))?.hex).toBe("01".repeat(16));
    expect(cacheKeyOf("sha256", "A".repeat(64))?.hex).toBe("a".repeat(64));
    expect(cacheKeyOf("sha256", undefined)).toBeUndefined();
    expect(cacheKeyOf("md5", "not base64!")).toBeUndefined();
    expect(cacheKeyOf("md5", Buffer.alloc(8).toString("base64"))).toBeUndefined(); // wrong length
  });

  it("a bad ARTIFACTS_CACHE_MAX is INVALID_ARGUMENT naming it", () => {
    const saved = process.env.ARTIFACTS_CACHE_MAX;
    process.env.ARTIFACTS_CACHE_MAX = "lots";
    try {
      expect(codeOf(() => new DownloadCache({ dir: work.path }))).toBe("INVALID_ARGUMENT");
      process.env.ARTIFACTS_CACHE_MAX = "3M";
      expect(new DownloadCache({ dir: work.path }).maxBytes).toBe(3 * 1024 ** 2);
    } finally {
      if (saved === undefined) delete process.env.ARTIFACTS_CACHE_MAX;
      else process.env.ARTIFACTS_CACHE_MAX = saved;
    }
  });
});

/** Puts `bytes` into the cache through `fetch` (as a download would) and returns its key. */
async function put(cache: DownloadCache, bytes: Buffer, target: string): Promise<CacheKey> {
  const key: CacheKey = { algorithm: "sha256", hex: sha256(bytes) };
  await cache.fetch(key, target, bytes.length, (dest) => writeFile(dest, bytes));
  return key;
}

describe("least recently used pruning", () => {
  it("removes the least recently used files first; a hit makes a file recent", async () => {
    const cache = new DownloadCache({ dir: join(work.path, "cache"), maxBytes: 250 });
    const [a, b, c] = [randomBytes(100), randomBytes(100), randomBytes(100)];
    const keys = [];
    for (const [i, bytes] of [a, b, c].entries())
      keys.push(await put(cache, bytes, join(work.path, `t${i}`)));
    const [ka, kb, kc] = keys as [CacheKey, CacheKey, CacheKey];
    const now = Date.now() / 1000;
    await utimes(cache.pathOf(ka), now - 300, now - 300); // a is the oldest...
    await utimes(cache.pathOf(kb), now - 200, now - 200);
    await utimes(cache.pathOf(kc), now - 100, now - 100);
    expect(await cache.take(ka, join(work.path, "hit"), 100)).toBe(true); // ...until it is used
    const result = await cache.prune();
    expect(result).toMatchObject({ removedFiles: 1, removedBytes: 100, files: 2, bytes: 200 });
    await expect(stat(cache.pathOf(kb))).rejects.toThrow(); // b was the least recently used
    expect(await readFile(cache.pathOf(ka))).toEqual(a);
    expect(await readFile(cache.pathOf(kc))).toEqual(c);
    expect(await cache.prune({ maxBytes: 100 })).toMatchObject({ removedFiles: 1, files: 1 });
    expect(await readFile(cache.pathOf(ka))).toEqual(a); // the most recent stays
  });

  it("a download trims the cache to its cap when it is done", async () => {
    const driver = countingDriver(createMemoryDriver());
    const dir = join(work.path, "cache");
    const manager = new FileSystemArtifactManager({ driver, cache: { dir, maxBytes: 250_000 } });
    await manager.logFiles("m", await randomFiles(work.path, "src", 4, 100_000));
    await manager.downloadArtifact("m", { to: join(work.path, "out") });
    const info = await new DownloadCache({ dir }).info();
    expect(info.bytes).toBeLessThanOrEqual(250_000);
    expect(info).toMatchObject({ files: 2, partialFiles: 0 });
  });

  it("clear empties the cache but leaves a live download's temporary file", async () => {
    const cache = new DownloadCache({ dir: join(work.path, "cache") });
    await put(cache, randomBytes(10), join(work.path, "t0"));
    let during: Awaited<ReturnType<DownloadCache["clear"]>> | undefined;
    const bytes = randomBytes(10);
    await cache.fetch(
      { algorithm: "sha256", hex: sha256(bytes) },
      join(work.path, "t1"),
      10,
      async (dest) => {
        await writeFile(dest, bytes);
        during = await cache.clear(); // runs while this download's file is in tmp/
      },
    );
    expect(during).toMatchObject({ removedFiles: 1, files: 0 });
    expect(await readFile(join(work.path, "t1"))).toEqual(bytes);
    expect(await cache.info()).toMatchObject({ files: 1, partialFiles: 0 }); // the live one got in
    expect(await cache.clear()).toMatchObject({ removedFiles: 1, files: 0 });
    expect(await readdir(join(work.path, "cache", "files"))).toEqual([]);
  });

  it("a download while the cache is cleared under it completes with verified files (cleared hits are fetched)", async () => {
    const dir = join(work.path, "cache");
    let clearAt: string | undefined;
    const driver = countingDriver(createMemoryDriver(), async (key) => {
      if (key === clearAt) await new DownloadCache({ dir }).clear();
    });
    const manager = new FileSystemArtifactManager({
      driver,
      cache: { dir },
      concurrency: 1,
      smallFileConcurrency: 1,
    });
    const source = await randomFiles(work.path, "src", 4, 5000);
    await manager.logFiles("m", source);
    await manager.downloadArtifact("m", { to: join(work.path, "a") }); // all four cached
    await writeFile(join(source, "f1.bin"), randomBytes(5000)); // v1: f1 changes, f0, f2, f3 are hits
    await manager.logFiles("m", source);
    clearAt = "default/m/v1/f1.bin";
    const before = driver.reads.keys.length;
    await manager.downloadArtifact("m", { to: join(work.path, "b") });
    // f0 came from the cache; during f1's read the cache was cleared, so f2 and f3 were fetched again.
    expect(driver.reads.keys.slice(before)).toEqual(["f1", "f2", "f3"].map((f) => `default/m/v1/${f}.bin`));
    for (const name of ["f0.bin", "f1.bin", "f2.bin", "f3.bin"]) {
      expect(await readFile(join(work.path, "b", name))).toEqual(await readFile(join(source, name)));
    }
  });
});
