/**
 * Servers that ignore conditional writes are detected before anything is logged (issue 17, item 4):
 * moto's S3 server behind a filter that drops `If-None-Match` / `If-Match`, a memory driver wrapper that
 * drops `ifNotExists`, and the servers that do enforce them (plain moto, radosgw, azurite, the GCS fake).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryDriver, deleteMemoryStore } from "../../../src/drivers/memory.js";
import { ArtifactError, isArtifactError } from "../../../src/errors.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { readAll } from "../../../src/storage/body.js";
import { createDriver } from "../../../src/storage/create-driver.js";
import type { StorageDriver, WriteBody, WriteOptions } from "../../../src/storage/driver.js";
import { type MotoServer, startMoto } from "../../servers/moto.js";
import { CLOUD_BACKENDS } from "./stores.js";

const BUCKET = "am-tests";

/** A driver that passes every call to `inner`, with `write` (and optionally capabilities) replaced. */
function wrapDriver(
  inner: StorageDriver,
  write: (key: string, body: WriteBody, options: WriteOptions) => ReturnType<StorageDriver["write"]>,
  capabilities = inner.capabilities,
): StorageDriver {
  const driver: StorageDriver = {
    backend: inner.backend,
    url: inner.url,
    capabilities,
    stat: (key, options) => inner.stat(key, options),
    read: (key, options) => inner.read(key, options),
    write: (key, body, options) => write(key, body, options ?? {}),
    list: (prefix, options) => inner.list(prefix, options),
    delete: (key, options) => inner.delete(key, options),
    close: async () => inner.close?.(),
  };
  if (inner.renamePrefix) driver.renamePrefix = inner.renamePrefix.bind(inner);
  return driver;
}

/** Wraps `inner` and counts the writes of probe scratch keys. */
function countProbeWrites(inner: StorageDriver): { driver: StorageDriver; probeWrites: () => number } {
  let count = 0;
  const driver = wrapDriver(inner, (key, body, options) => {
    if (/\/meta\/probe-/.test(key)) count += 1;
    return inner.write(key, body, options);
  });
  return { driver, probeWrites: () => count };
}

async function allKeys(driver: StorageDriver): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of driver.list("")) if (entry.type === "object") keys.push(entry.key);
  return keys.sort();
}

async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "resolved";
  } catch (error) {
    return isArtifactError(error) ? error.code : String(error);
  }
}

let work: string;
/** A folder holding one file `f.txt` with `text`. */
async function folderWith(text: string): Promise<string> {
  const dir = await mkdtemp(join(work, "src-"));
  await writeFile(join(dir, "f.txt"), text);
  return dir;
}

const freshUrl = () => `s3://${BUCKET}/t-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "am-conditional-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("an S3 server that ignores conditional writes (moto, If-None-Match and If-Match dropped)", () => {
  let moto: MotoServer;
  const drivers: StorageDriver[] = [];
  const s3Driver = async () => {
    const driver = await createDriver(freshUrl(), moto.storageOptions);
    drivers.push(driver);
    return driver;
  };
  beforeAll(async () => {
    moto = await startMoto();
    await moto.createBucket(BUCKET);
  });
  afterAll(async () => {
    for (const driver of drivers) await driver.close?.();
    await moto?.stop();
  });

  it("the filter works: a second create-only PutObject replaces the object (moto alone refuses it)", async () => {
    const driver = await s3Driver();
    await driver.write("k", "first", { ifNotExists: true });
    await driver.write("k", "second", { ifNotExists: true });
    expect((await readAll(await driver.read("k"))).toString()).toBe("second");
  });

  it("logFiles fails with UNSUPPORTED naming the ignored If-None-Match, and leaves nothing in the bucket", async () => {
    const driver = await s3Driver();
    const manager = new FileSystemArtifactManager({ driver, collection: "c" });
    const error = await manager.logFiles("model", await folderWith("weights")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactError);
    expect((error as ArtifactError).code).toBe("UNSUPPORTED");
    expect((error as ArtifactError).message).toMatch(/If-None-Match: \*/);
    expect((error as ArtifactError).message).toContain(driver.url);
    expect(await allKeys(driver)).toEqual([]);
  });

  it("probes once per driver: the verdict is kept, a second log writes no probe key", async () => {
    const { driver, probeWrites } = countProbeWrites(await s3Driver());
    const manager = new FileSystemArtifactManager({ driver, collection: "c" });
    const source = await folderWith("weights");
    expect(await codeOf(manager.logFiles("model", source))).toBe("UNSUPPORTED");
    expect(probeWrites()).toBe(2); // create, then the second create that should have been refused
    expect(await codeOf(manager.logFiles("other", source))).toBe("UNSUPPORTED");
    expect(probeWrites()).toBe(2);
    expect(await allKeys(driver)).toEqual([]);
  });

  it("collectGarbage is refused too (a dry run, which writes nothing, is not)", async () => {
    const driver = await s3Driver();
    // A version written by Python scaffold: a folder only, so that gc has an artifact to look at.
    await driver.write("c/model/v0/f.txt", "python");
    const manager = new FileSystemArtifactManager({ driver, collection: "c" });
    expect((await manager.collectGarbage({ olderThanMs: 0, dryRun: true })).items).toEqual([]);
    expect(await codeOf(manager.collectGarbage({ olderThanMs: 0 }))).toBe("UNSUPPORTED");
    expect(await allKeys(driver)).toEqual(["c/model/v0/f.txt"]);
  });

  it("two writers forced onto the same version number both get UNSUPPORTED, never each other's files", async () => {
    // The interleaving that loses data when the probe is missing, forced by hooks: both writers scan
    // before either claims (a barrier at the claim write), then writer A's files wait until writer B's
    // log has finished. With ignored conditions both claim v0, B commits v0, A overwrites B's files and
    // record, and both report success for v0.
    const url = freshUrl();
    let arrived = 0;
    let bothArrived!: () => void;
    const barrier = new Promise<void>((resolve) => {
      bothArrived = resolve;
    });
    let bDone!: () => void;
    const bFinished = new Promise<void>((resolve) => {
      bDone = resolve;
    });
    const writer = async (who: "A" | "B") => {
      const inner = await createDriver(url, moto.storageOptions);
      drivers.push(inner);
      const driver = wrapDriver(inner, async (key, body, options) => {
        if (key.endsWith(".claim")) {
          if (++arrived === 2) bothArrived();
          await barrier;
        }
        if (who === "A" && /^c\/model\/v\d+\//.test(key)) await bFinished;
        return inner.write(key, body, options);
      });
      const manager = new FileSystemArtifactManager({ driver, collection: "c" });
      const log = manager.logFiles("model", await folderWith(`written by ${who}`));
      if (who === "B") void log.finally(bDone).catch(() => {});
      try {
        const { version } = await log;
        const stored = await readAll(await inner.read(`c/model/${version}/f.txt`));
        return { version, holds: stored.toString("utf8") };
      } catch (error) {
        return { code: isArtifactError(error) ? error.code : String(error) };
      }
    };
    const outcomes = await Promise.all([writer("A"), writer("B")]);
    expect(outcomes).toEqual([{ code: "UNSUPPORTED" }, { code: "UNSUPPORTED" }]);
    const check = await createDriver(url, moto.storageOptions);
    drivers.push(check);
    expect(await allKeys(check)).toEqual([]);
  }, 60_000);
});

describe("plain moto (conditions reach the server)", () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto({ keepConditions: true });
    await moto.createBucket(BUCKET);
  });
  afterAll(async () => moto?.stop());

  it("honours If-None-Match: the probe passes once, logs and downloads work, no scratch key stays", async () => {
    const { driver, probeWrites } = countProbeWrites(await createDriver(freshUrl(), moto.storageOptions));
    try {
      const manager = new FileSystemArtifactManager({ driver, collection: "c" });
      expect((await manager.logFiles("model", await folderWith("one"))).version).toBe("v0");
      expect(probeWrites()).toBe(4); // create, refused create, replace with the etag, refused stale replace
      expect((await manager.logFiles("model", await folderWith("two"))).version).toBe("v1");
      expect(probeWrites()).toBe(4);
      await using tmp = await manager.downloadArtifact("model", { version: "v0" });
      expect(await readFile(join(tmp.path, "f.txt"), "utf8")).toBe("one");
      expect((await allKeys(driver)).filter((key) => key.includes("probe-"))).toEqual([]);
    } finally {
      await driver.close?.();
    }
  });
});

describe.each(CLOUD_BACKENDS)("the probe on $name", (backend) => {
  it("passes (create-only and If-Match enforced) and leaves no scratch key", async () => {
    const store = await backend.open();
    const { driver, probeWrites } = countProbeWrites(await createDriver(store.url, store.storageOptions));
    try {
      const manager = new FileSystemArtifactManager({ driver, collection: "c" });
      expect((await manager.logFiles("model", await folderWith("cloud"))).version).toBe("v0");
      expect(probeWrites()).toBe(4);
      expect((await allKeys(driver)).filter((key) => key.includes("probe-"))).toEqual([]);
    } finally {
      await store.cleanup();
      await driver.close?.();
      await store.close();
    }
  });
});

describe("the probe on memory:// and local drivers", () => {
  const memoryUrl = () => `memory://conditional-${randomBytes(4).toString("hex")}`;

  it("a wrapper that drops ifNotExists is refused, and leaves nothing behind", async () => {
    const url = memoryUrl();
    const inner = createMemoryDriver({ name: url.slice("memory://".length) });
    const driver = wrapDriver(inner, (key, body, { ifNotExists: _dropped, ...options }) =>
      inner.write(key, body, options),
    );
    const manager = new FileSystemArtifactManager({ driver, collection: "c" });
    const error = await manager.logFiles("model", await folderWith("x")).catch((e: unknown) => e);
    expect(isArtifactError(error, "UNSUPPORTED")).toBe(true);
    expect((error as Error).message).toMatch(/ifNotExists/);
    expect(await allKeys(inner)).toEqual([]);
    deleteMemoryStore(url.slice("memory://".length));
  });

  it("a wrapper that drops ifMatch (and claims it) is refused", async () => {
    const inner = createMemoryDriver({ name: memoryUrl().slice("memory://".length) });
    const driver = wrapDriver(inner, (key, body, { ifMatch: _dropped, ...options }) =>
      inner.write(key, body, options),
    );
    const manager = new FileSystemArtifactManager({ driver, collection: "c" });
    const error = await manager.logFiles("model", await folderWith("x")).catch((e: unknown) => e);
    expect(isArtifactError(error, "UNSUPPORTED")).toBe(true);
    expect((error as Error).message).toMatch(/ifMatch/);
    expect(await allKeys(inner)).toEqual([]);
  });

  it("a driver whose capabilities say writeIfNotExists: false is refused before any write", async () => {
    const inner = createMemoryDriver({ name: memoryUrl().slice("memory://".length) });
    let writes = 0;
    const driver = wrapDriver(
      inner,
      (key, body, options) => {
        writes += 1;
        return inner.write(key, body, options);
      },
      { ...inner.capabilities, writeIfNotExists: false },
    );
    const manager = new FileSystemArtifactManager({ driver, collection: "c" });
    expect(await codeOf(manager.logFiles("model", await folderWith("x")))).toBe("UNSUPPORTED");
    expect(writes).toBe(0);
  });

  it("a probe that failed for a passing reason is tried again by the next log", async () => {
    const inner = createMemoryDriver({ name: memoryUrl().slice("memory://".length) });
    let failNext = true;
    const driver = wrapDriver(inner, (key, body, options) => {
      if (failNext && key.includes("/meta/probe-")) {
        failNext = false;
        return Promise.reject(new ArtifactError("UNAVAILABLE", "connection reset", { retryable: true }));
      }
      return inner.write(key, body, options);
    });
    const manager = new FileSystemArtifactManager({ driver, collection: "c" });
    const source = await folderWith("x");
    expect(await codeOf(manager.logFiles("model", source))).toBe("UNAVAILABLE");
    expect((await manager.logFiles("model", source)).version).toBe("v0");
  });

  it("a caller's abort stops its wait; the probe still finishes, cleans up and counts", async () => {
    const inner = createMemoryDriver({ name: memoryUrl().slice("memory://".length) });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached!: () => void;
    const probing = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let probeWrites = 0;
    const driver = wrapDriver(inner, async (key, body, options) => {
      if (key.includes("/meta/probe-") && ++probeWrites === 1) {
        reached();
        await held;
      }
      return inner.write(key, body, options);
    });
    const manager = new FileSystemArtifactManager({ driver, collection: "c" });
    const controller = new AbortController();
    const source = await folderWith("x");
    const log = manager.logFiles("model", source, { signal: controller.signal });
    await probing; // the probe's first write is under way (and held)
    const reason = new Error("stopped by the test");
    controller.abort(reason);
    await expect(log).rejects.toBe(reason);
    release();
    expect((await manager.logFiles("model", source)).version).toBe("v0");
    expect(probeWrites).toBe(4);
    expect((await allKeys(inner)).filter((key) => key.includes("probe-"))).toEqual([]);
  });

  it("a local folder passes and keeps no scratch key", async () => {
    const root = await mkdtemp(join(work, "store-"));
    const manager = new FileSystemArtifactManager({ url: root, collection: "c" });
    expect((await manager.logFiles("model", await folderWith("local"))).version).toBe("v0");
    const keys = await allKeys(await manager.getDriver());
    expect(keys.filter((key) => key.includes("probe-"))).toEqual([]);
    await manager.close();
  });
});
