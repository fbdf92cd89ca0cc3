/**
 * W&B downloads through the download cache (the emulator): files are cached under their manifest
 * digest (base64 md5 → hex), a second download fetches no blob, an interrupted download resumes with
 * the files it had, `cache: false` fetches everything, and the cache is on by default for W&B.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { xxhash128 } from "hash-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DownloadCache } from "../../src/cache/download-cache.js";
import type { WandbArtifactManagerOptions } from "../../src/managers/wandb/wandb-artifact-manager.js";
import { type EmulatorFixture, startFixture } from "../managers/wandb/fixtures.js";

let fx: EmulatorFixture;
let n = 0;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx.close());

/** A folder of `count` random files of `size` bytes. */
async function randomFolder(count: number, size: number): Promise<{ dir: string; files: Buffer[] }> {
  const dir = join(fx.dir, `src-${++n}`);
  await mkdir(dir);
  const files: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    files.push(randomBytes(size));
    await writeFile(join(dir, `f${i}.bin`), files[i] as Buffer);
  }
  return { dir, files };
}

/** Blob downloads the emulator served since the last reset. */
function blobDownloads(): number {
  return fx.emulator.faults.requests.filter((r) => r.kind === "download" && r.operation !== "manifest")
    .length;
}

function manager(project: string, options: WandbArtifactManagerOptions = {}) {
  return fx.manager({ project, concurrency: 1, ...options });
}

describe("W&B downloads through the cache", () => {
  it("a second download fetches no blob; files are cached under their md5", async () => {
    const cacheDir = join(fx.dir, `cache-${++n}`);
    const m = manager("cache-hit", { cache: { dir: cacheDir } });
    const { dir, files } = await randomFolder(3, 30_000);
    await m.logFiles("model", dir);
    fx.emulator.faults.reset();
    await m.downloadArtifact("model", { to: join(fx.dir, `out-${++n}`) });
    expect(blobDownloads()).toBe(3);
    const cache = new DownloadCache({ dir: cacheDir });
    for (const bytes of files) {
      const hex = createHash("md5").update(bytes).digest("hex");
      expect(await readFile(cache.pathOf({ algorithm: "md5", hex }))).toEqual(bytes);
    }
    const to = join(fx.dir, `out-${++n}`);
    await m.downloadArtifact("model", { to });
    expect(blobDownloads()).toBe(3);
    for (const [i, bytes] of files.entries()) expect(await readFile(join(to, `f${i}.bin`))).toEqual(bytes);
  });

  it("an interrupted download resumes: the next one fetches only the files it did not finish", async () => {
    const cacheDir = join(fx.dir, `cache-${++n}`);
    const m = manager("cache-resume", { cache: { dir: cacheDir } });
    const { dir } = await randomFolder(5, 20_000);
    await m.logFiles("model", dir);
    fx.emulator.faults.reset();
    const controller = new AbortController();
    let done = 0;
    const onProgress = (event: { type: string }) => {
      if (event.type === "file-done" && ++done === 2) controller.abort(new Error("stop"));
    };
    const to = join(fx.dir, `out-${++n}`);
    await expect(m.downloadArtifact("model", { to, signal: controller.signal, onProgress })).rejects.toThrow(
      "stop",
    );
    const first = blobDownloads();
    expect(first).toBeGreaterThanOrEqual(2);
    expect(first).toBeLessThanOrEqual(3); // the third may have started before the abort
    await m.downloadArtifact("model", { to });
    expect(blobDownloads() - first).toBe(3); // files 3-5 only
    expect(await new DownloadCache({ dir: cacheDir }).info()).toMatchObject({ files: 5, partialFiles: 0 });
  });

  it("`cache: false` fetches every file and caches none", async () => {
    const cacheDir = join(fx.dir, `cache-${++n}`);
    const m = manager("cache-off", { cache: { dir: cacheDir } });
    const { dir } = await randomFolder(2, 1000);
    await m.logFiles("model", dir);
    fx.emulator.faults.reset();
    await m.downloadArtifact("model", { to: join(fx.dir, `out-${++n}`), cache: false });
    await m.downloadArtifact("model", { to: join(fx.dir, `out-${++n}`), cache: false });
    expect(blobDownloads()).toBe(4);
    expect(await new DownloadCache({ dir: cacheDir }).info()).toMatchObject({ files: 0 });
  });

  it("is on by default for W&B (ARTIFACTS_CACHE_DIR), off with ARTIFACTS_CACHE=off", async () => {
    const saved = { dir: process.env.ARTIFACTS_CACHE_DIR, on: process.env.ARTIFACTS_CACHE };
    const cacheDir = join(fx.dir, `cache-${++n}`);
    process.env.ARTIFACTS_CACHE_DIR = cacheDir;
    try {
      const { dir } = await randomFolder(2, 1000);
      process.env.ARTIFACTS_CACHE = "off";
      await manager("cache-default").logFiles("model", dir);
      await manager("cache-default").downloadArtifact("model", { to: join(fx.dir, `out-${++n}`) });
      expect(await new DownloadCache({ dir: cacheDir }).info()).toMatchObject({ files: 0 });
      delete process.env.ARTIFACTS_CACHE;
      await manager("cache-default").downloadArtifact("model", { to: join(fx.dir, `out-${++n}`) });
      expect(await new DownloadCache({ dir: cacheDir }).info()).toMatchObject({ files: 2 });
    } finally {
      for (const [key, value] of [
        ["ARTIFACTS_CACHE_DIR", saved.dir],
        ["ARTIFACTS_CACHE", saved.on],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});

describe("W&B XXH128 entries through the cache", () => {
  let xfx: EmulatorFixture;
  beforeAll(async () => {
    xfx = await startFixture({ xxhashDigests: true });
  });
  afterAll(() => xfx.close());

  it("are cached under their xxh3-128 digest and served from it", async () => {
    const cacheDir = join(xfx.dir, "cache");
    const m = xfx.manager({ project: "cache-xxh", concurrency: 1, cache: { dir: cacheDir } });
    const dir = join(xfx.dir, "src");
    await mkdir(dir);
    const bytes = randomBytes(40_000);
    await writeFile(join(dir, "w.bin"), bytes);
    await m.logFiles("model", dir, { digestAlgorithm: "XXH128" });
    xfx.emulator.faults.reset();
    await m.downloadArtifact("model", { to: join(xfx.dir, "a") });
    const cache = new DownloadCache({ dir: cacheDir });
    expect(await readFile(cache.pathOf({ algorithm: "xxh128", hex: await xxhash128(bytes) }))).toEqual(bytes);
    await m.downloadArtifact("model", { to: join(xfx.dir, "b") });
    const blobs = xfx.emulator.faults.requests.filter(
      (r) => r.kind === "download" && r.operation !== "manifest",
    );
    expect(blobs).toHaveLength(1);
    expect(await readFile(join(xfx.dir, "b", "w.bin"))).toEqual(bytes);
  });
});
