/**
 * The download cache with a real object store (radosgw): on by default for s3://, a second download
 * reads nothing from the store, an interrupted download resumes with the files it had, and several
 * processes downloading, pruning and clearing one cache at once all get verified files.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DownloadCache } from "../../src/cache/download-cache.js";
import { FileSystemArtifactManager } from "../../src/index.js";
import { createDriver } from "../../src/storage/create-driver.js";
import { createFileBarrier } from "../fixtures/file-barrier.js";
import { runScript } from "../fixtures/run-script.js";
import { randomFiles, tempFolder } from "../managers/filesystem/helpers.js";
import { type CloudStore, s3Store } from "../servers/cloud-stores.js";
import { countingDriver } from "./helpers.js";

const WORKER = fileURLToPath(new URL("./cache-worker.ts", import.meta.url));

let store: CloudStore;
let work: { path: string; remove: () => Promise<void> };
const saved = { on: process.env.ARTIFACTS_CACHE, dir: process.env.ARTIFACTS_CACHE_DIR };

beforeAll(async () => {
  store = await s3Store();
});
afterAll(() => store?.cleanup());
beforeEach(async () => {
  work = await tempFolder("cache-s3-");
  // The default cache (on for s3://), in this test's folder.
  delete process.env.ARTIFACTS_CACHE;
  process.env.ARTIFACTS_CACHE_DIR = join(work.path, "cache");
});
afterEach(async () => {
  for (const [key, value] of [
    ["ARTIFACTS_CACHE", saved.on],
    ["ARTIFACTS_CACHE_DIR", saved.dir],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await work.remove();
});

/** A manager on the test store whose version-file reads are counted (and can be held). */
async function counted(name: string, beforeRead?: (key: string, count: number) => Promise<void> | void) {
  const base = await createDriver(store.url, store.storageOptions);
  const driver = countingDriver(base, beforeRead);
  const manager = new FileSystemArtifactManager({ driver, concurrency: 1, smallFileConcurrency: 1 });
  return { driver, manager, name, close: () => base.close?.() };
}

describe("download cache on S3 (radosgw)", () => {
  it("is on by default: the second download reads no file from the store", async () => {
    const { driver, manager, close } = await counted("default-on");
    try {
      const source = await randomFiles(work.path, "src", 4, 200_000);
      await manager.logFiles("default-on", source);
      await manager.downloadArtifact("default-on", { to: join(work.path, "a") });
      expect(driver.reads.keys).toHaveLength(4);
      await manager.downloadArtifact("default-on", { to: join(work.path, "b") });
      expect(driver.reads.keys).toHaveLength(4);
      for (const f of ["f0.bin", "f1.bin", "f2.bin", "f3.bin"])
        expect(await readFile(join(work.path, "b", f))).toEqual(await readFile(join(source, f)));
      expect(await new DownloadCache().info()).toMatchObject({ files: 4, bytes: 800_000, partialFiles: 0 });
      await manager.downloadArtifact("default-on", { to: join(work.path, "c"), cache: false });
      expect(driver.reads.keys).toHaveLength(8);
    } finally {
      await close();
    }
  });

  it("an interrupted download resumes: the second call reads only the missing files", async () => {
    const controller = new AbortController();
    let interrupt = true;
    const { driver, manager, close } = await counted("resume", (_key, count) => {
      if (interrupt && count === 5) controller.abort(new Error("interrupted"));
    });
    try {
      await manager.logFiles("resume", await randomFiles(work.path, "src", 8, 300_000));
      const to = join(work.path, "out");
      await expect(manager.downloadArtifact("resume", { to, signal: controller.signal })).rejects.toThrow(
        "interrupted",
      );
      expect(driver.reads.keys).toHaveLength(5);
      expect(await new DownloadCache().info()).toMatchObject({ files: 4, partialFiles: 0 });
      interrupt = false;
      await manager.downloadArtifact("resume", { to });
      expect(driver.reads.keys.slice(5).sort()).toEqual(
        ["f4", "f5", "f6", "f7"].map((f) => `default/resume/v0/${f}.bin`),
      );
    } finally {
      await close();
    }
  });

  it("processes downloading, pruning and clearing one small cache at once all get verified files", async () => {
    const manager = new FileSystemArtifactManager({ url: store.url, storageOptions: store.storageOptions });
    const source = await randomFiles(work.path, "mp", 3, 150_000);
    await writeFile(join(source, "shared.bin"), randomBytes(150_000)); // in every version: one key, many fillers
    for (let v = 0; v < 4; v++) {
      await writeFile(join(source, "f0.bin"), randomBytes(150_000));
      await manager.logFiles("mp", source);
    }
    await manager.close();
    const DOWNLOADERS = 4;
    const barrier = await createFileBarrier(tmpdir(), DOWNLOADERS + 1);
    const env = {
      ...barrier,
      STORAGE_OPTIONS: JSON.stringify(store.storageOptions),
      ARTIFACTS_CACHE: "on",
      ARTIFACTS_CACHE_DIR: join(work.path, "cache"),
      ARTIFACTS_CACHE_MAX: "1M", // under two versions: downloads evict each other all the time
    };
    const stop = join(work.path, "stop");
    const pruner = runScript(WORKER, ["prune", join(work.path, "cache"), stop], env, 170_000);
    const outputs = await Promise.all(
      Array.from({ length: DOWNLOADERS }, (_, id) =>
        runScript(WORKER, ["download", store.url, "mp", "v0,v1,v2,v3", "6", String(id)], env, 170_000),
      ),
    ).finally(async () => {
      await writeFile(stop, "");
      await pruner.catch(() => undefined);
      await rm(barrier.BARRIER_DIR, { recursive: true, force: true });
    });
    expect(outputs.map((o) => o.trim())).toEqual(Array(DOWNLOADERS).fill("ok 6"));
    // The pruner did take files from under the downloads (else this test would show nothing).
    expect(Number((await pruner).trim().split(" ")[1])).toBeGreaterThan(0);
    const cache = new DownloadCache({ dir: join(work.path, "cache"), maxBytes: 1024 ** 2 });
    const info = await cache.info();
    expect(info.partialFiles).toBe(0);
    expect(info.bytes).toBeLessThanOrEqual(1024 ** 2 + 150_000 * 4); // each process trims after its own download
    // Every file left is whole: its name is its content's sha256, and it is read-only.
    const { listCachedFiles } = await import("../../src/cache/cache-files.js");
    for (const file of await listCachedFiles(cache.dir)) {
      const bytes = await readFile(file.path);
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(file.path.slice(-64));
    }
    expect((await cache.prune()).bytes).toBeLessThanOrEqual(1024 ** 2);
  }, 180_000);
});
