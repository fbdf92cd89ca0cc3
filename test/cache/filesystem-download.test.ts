/**
 * Downloads of a file store through the download cache: hits read nothing from the store, files are
 * verified before they enter, the user's copy is independent of the cache, an interrupted download
 * resumes with the files it already had, and `cache: false` / the defaults.
 */
import { randomBytes } from "node:crypto";
import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cacheKeyOf } from "../../src/cache/cache-key.js";
import { DownloadCache } from "../../src/cache/download-cache.js";
import { createMemoryDriver } from "../../src/drivers/memory.js";
import { FileSystemArtifactManager, isArtifactError } from "../../src/index.js";
import { listTree, randomFiles, tempFolder } from "../managers/filesystem/helpers.js";
import { countingDriver, sha256 } from "./helpers.js";

let work: { path: string; remove: () => Promise<void> };
let cacheDir: string;

beforeEach(async () => {
  work = await tempFolder("cache-fs-");
  cacheDir = join(work.path, "cache");
});
afterEach(() => work.remove());

/** A memory store (reads go through `read`, where they are counted) with a cache in the temp folder. */
function setup(options: { beforeRead?: (key: string, count: number) => Promise<void> | void } = {}) {
  const driver = countingDriver(createMemoryDriver(), options.beforeRead);
  const manager = new FileSystemArtifactManager({
    driver,
    cache: { dir: cacheDir },
    concurrency: 1,
    smallFileConcurrency: 1,
  });
  return { driver, manager };
}

describe("download cache on a file store", () => {
  it("a second download reads no file from the store; the cache holds read-only verified files", async () => {
    const { driver, manager } = setup();
    const source = await randomFiles(work.path, "src", 3, 100_000);
    await manager.logFiles("m", source);
    await manager.downloadArtifact("m", { to: join(work.path, "a") });
    expect(driver.reads.keys).toHaveLength(3);
    const cache = new DownloadCache({ dir: cacheDir });
    for (const name of ["f0.bin", "f1.bin", "f2.bin"]) {
      const bytes = await readFile(join(source, name));
      const cached = cache.pathOf({ algorithm: "sha256", hex: sha256(bytes) });
      expect(await readFile(cached)).toEqual(bytes);
      expect((await stat(cached)).mode & 0o222).toBe(0); // read-only
    }
    await manager.downloadArtifact("m", { to: join(work.path, "b") });
    expect(driver.reads.keys).toHaveLength(3); // nothing more read
    expect(await listTree(join(work.path, "b"))).toEqual(["f0.bin", "f1.bin", "f2.bin"]);
    for (const name of ["f0.bin", "f1.bin", "f2.bin"]) {
      expect(await readFile(join(work.path, "b", name))).toEqual(await readFile(join(source, name)));
    }
    expect(await cache.info()).toMatchObject({ files: 3, bytes: 300_000, partialFiles: 0 });
  });

  it("editing a downloaded file (even after chmod) never changes the cache or the next download", async () => {
    const { manager } = setup();
    const source = await randomFiles(work.path, "src", 1, 50_000);
    const original = await readFile(join(source, "f0.bin"));
    await manager.logFiles("m", source);
    for (const to of ["a", "b"]) {
      // "a" fills the cache (a miss), "b" copies out of it (a hit): both must be independent copies.
      const file = join(work.path, to, "f0.bin");
      await manager.downloadArtifact("m", { to: join(work.path, to) });
      expect((await stat(file)).mode & 0o200).not.toBe(0); // writable like any download
      await chmod(file, 0o644);
      await writeFile(join(work.path, to, "f0.bin"), "edited in place", { flag: "r+" });
    }
    const cache = new DownloadCache({ dir: cacheDir });
    expect(await readFile(cache.pathOf({ algorithm: "sha256", hex: sha256(original) }))).toEqual(original);
    await manager.downloadArtifact("m", { to: join(work.path, "c") });
    expect(await readFile(join(work.path, "c", "f0.bin"))).toEqual(original);
  });

  it("a corrupt store file never enters the cache (verified on entry)", async () => {
    const base = createMemoryDriver();
    const manager = new FileSystemArtifactManager({ driver: base, cache: { dir: cacheDir } });
    const source = await randomFiles(work.path, "src", 1, 10_000);
    await manager.logFiles("m", source);
    await base.write("default/m/v0/f0.bin", randomBytes(10_000)); // same size, other bytes
    const error = await manager.downloadArtifact("m", { to: join(work.path, "a") }).catch((e) => e);
    expect(isArtifactError(error) && error.code).toBe("CHECKSUM_MISMATCH");
    expect(await new DownloadCache({ dir: cacheDir }).info()).toMatchObject({ files: 0, partialFiles: 0 });
  });

  it("a cached file of the wrong size is dropped and downloaded again", async () => {
    const { driver, manager } = setup();
    const source = await randomFiles(work.path, "src", 1, 10_000);
    await manager.logFiles("m", source);
    await manager.downloadArtifact("m", { to: join(work.path, "a") });
    const bytes = await readFile(join(source, "f0.bin"));
    const cached = new DownloadCache({ dir: cacheDir }).pathOf({ algorithm: "sha256", hex: sha256(bytes) });
    await chmod(cached, 0o644);
    await writeFile(cached, "truncated");
    await manager.downloadArtifact("m", { to: join(work.path, "b") });
    expect(await readFile(join(work.path, "b", "f0.bin"))).toEqual(bytes);
    expect(driver.reads.keys).toHaveLength(2);
    expect(await readFile(cached)).toEqual(bytes); // repaired
  });

  it("an interrupted download resumes: the next call reads only the files it did not finish", async () => {
    const controller = new AbortController();
    let hold = true;
    const { driver, manager } = setup({
      beforeRead: async (_key, count) => {
        if (hold && count === 4) {
          controller.abort(new Error("interrupted"));
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      },
    });
    const source = await randomFiles(work.path, "src", 6, 20_000);
    await manager.logFiles("m", source);
    const to = join(work.path, "out");
    const error = await manager.downloadArtifact("m", { to, signal: controller.signal }).catch((e) => e);
    expect(error).toEqual(new Error("interrupted"));
    await expect(stat(to)).rejects.toThrow(); // nothing half-downloaded in `to`
    expect(driver.reads.keys).toHaveLength(4);
    hold = false;
    await manager.downloadArtifact("m", { to });
    // Files 1-3 came from the cache; the 4th (interrupted) and the last two were read.
    expect(driver.reads.keys).toHaveLength(4 + 3);
    expect(driver.reads.keys.slice(4).sort()).toEqual(
      ["f3.bin", "f4.bin", "f5.bin"].map((f) => `default/m/v0/${f}`),
    );
    expect(await listTree(to)).toHaveLength(6);
    expect(await new DownloadCache({ dir: cacheDir }).info()).toMatchObject({ files: 6, partialFiles: 0 });
  });

  it("a cache folder that cannot be written does not fail the download (it runs uncached)", async () => {
    await writeFile(join(work.path, "not-a-folder"), "x");
    const driver = countingDriver(createMemoryDriver());
    const manager = new FileSystemArtifactManager({
      driver,
      cache: { dir: join(work.path, "not-a-folder") },
    });
    const source = await randomFiles(work.path, "src", 2, 1000);
    await manager.logFiles("m", source);
    await manager.downloadArtifact("m", { to: join(work.path, "a") });
    await manager.downloadArtifact("m", { to: join(work.path, "b") });
    expect(driver.reads.keys).toHaveLength(4);
    expect(await readFile(join(work.path, "b", "f1.bin"))).toEqual(await readFile(join(source, "f1.bin")));
  });

  it("the cache folder carries a CACHEDIR.TAG (backup tools skip it)", async () => {
    const { manager } = setup();
    await manager.logFiles("m", await randomFiles(work.path, "src", 1, 100));
    await manager.downloadArtifact("m", { to: join(work.path, "a") });
    expect(await readFile(join(cacheDir, "CACHEDIR.TAG"), "utf8")).toMatch(
      /^Signature: 8a477f597d28d172789f06886806bc55/,
    );
  });

  it("`cache: false` on a call, or on the manager, reads the store and leaves the cache alone", async () => {
    const { driver, manager } = setup();
    const source = await randomFiles(work.path, "src", 2, 1000);
    await manager.logFiles("m", source);
    await manager.downloadArtifact("m", { to: join(work.path, "a"), cache: false });
    expect(driver.reads.keys).toHaveLength(2);
    expect(await new DownloadCache({ dir: cacheDir }).info()).toMatchObject({ files: 0 });
    await manager.downloadArtifact("m", { to: join(work.path, "b") });
    await manager.downloadArtifact("m", { to: join(work.path, "c"), cache: false });
    expect(driver.reads.keys).toHaveLength(6);
    const off = new FileSystemArtifactManager({ driver, cache: false });
    await off.downloadArtifact("m", { to: join(work.path, "d") });
    expect(driver.reads.keys).toHaveLength(8);
  });

  it("bad cache options are INVALID_ARGUMENT naming the option", async () => {
    const { manager } = setup();
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isArtifactError(error) ? error.code : "other";
      }
      return "none";
    };
    expect(codeOf(() => new FileSystemArtifactManager({ url: "memory://", cache: "yes" as never }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(codeOf(() => new FileSystemArtifactManager({ url: "memory://", cache: { maxBytes: -1 } }))).toBe(
      "INVALID_ARGUMENT",
    );
    const error = await manager
      .downloadArtifact("m", { to: join(work.path, "x"), cache: "no" as never })
      .catch((e) => e);
    expect(isArtifactError(error) && error.code).toBe("INVALID_ARGUMENT");
    expect(cacheKeyOf("sha256", "zz")).toBeUndefined();
  });

  it("by default a local folder and memory:// store use no cache", async () => {
    const previous = process.env.ARTIFACTS_CACHE_DIR;
    process.env.ARTIFACTS_CACHE_DIR = cacheDir;
    try {
      const source = await randomFiles(work.path, "src", 1, 1000);
      for (const url of [join(work.path, "store"), "memory://default-cache-test"]) {
        const manager = new FileSystemArtifactManager({ url });
        await manager.logFiles("m", source);
        await manager.downloadArtifact("m", { to: join(work.path, "out", String(url.length)) });
        await manager.close();
      }
      expect(await new DownloadCache({ dir: cacheDir }).info()).toMatchObject({ files: 0, partialFiles: 0 });
      // Asked for explicitly, a local folder store uses it.
      const local = new FileSystemArtifactManager({ url: join(work.path, "store"), cache: true });
      await local.downloadArtifact("m", { to: join(work.path, "out", "explicit") });
      expect(await new DownloadCache({ dir: cacheDir }).info()).toMatchObject({ files: 1 });
    } finally {
      if (previous === undefined) delete process.env.ARTIFACTS_CACHE_DIR;
      else process.env.ARTIFACTS_CACHE_DIR = previous;
    }
  });
});
