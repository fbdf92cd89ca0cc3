/**
 * The manager's cap on upload bytes in flight (`maxUploadBytesInFlight`): a real memory driver that
 * claims to buffer `writeBufferBytes` per write, wrapped so that it records how many bytes its writes
 * could hold at once (min(body size, writeBufferBytes) per write of a file).
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import type { StorageDriver } from "../../../src/storage/driver.js";
import { randomFiles, tempFolder } from "./helpers.js";

const KiB = 1024;

/** What the recording driver saw. */
interface WriteStats {
  /** Bytes the writes in flight could hold, now and at most. */
  held: number;
  peakHeld: number;
  /** Largest number of file writes in flight while a file of at least `bigSize` bytes was written. */
  bigSize: number;
  inFlight: number;
  peakInFlightWithBig: number;
}

/** A memory driver whose writes report `writeBufferBytes` (or nothing) and are measured. */
function recordingDriver(writeBufferBytes: number | undefined): { driver: StorageDriver; stats: WriteStats } {
  const base = createMemoryDriver();
  const stats: WriteStats = { held: 0, peakHeld: 0, bigSize: Infinity, inFlight: 0, peakInFlightWithBig: 0 };
  let bigInFlight = 0;
  const driver: StorageDriver = {
    backend: base.backend,
    url: base.url,
    capabilities: {
      ...base.capabilities,
      ...(writeBufferBytes === undefined ? {} : { writeBufferBytes }),
    },
    stat: (key, opts) => base.stat(key, opts),
    read: (key, opts) => base.read(key, opts),
    list: (prefix, opts) => base.list(prefix, opts),
    delete: (key, opts) => base.delete(key, opts),
    renamePrefix: (from, to, opts) =>
      (base.renamePrefix as NonNullable<typeof base.renamePrefix>)(from, to, opts),
    write: async (key, body, opts = {}) => {
      // Only the files of a version are written with a size (claims, records and readmes are not).
      if (opts.size === undefined) return base.write(key, body, opts);
      const held = Math.min(opts.size, writeBufferBytes ?? opts.size);
      const big = opts.size >= stats.bigSize;
      stats.held += held;
      stats.peakHeld = Math.max(stats.peakHeld, stats.held);
      stats.inFlight += 1;
      if (big) bigInFlight += 1;
      if (bigInFlight > 0) stats.peakInFlightWithBig = Math.max(stats.peakInFlightWithBig, stats.inFlight);
      try {
        // Let the other uploads run before this one finishes (turns of the event loop, no timer).
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
        return await base.write(key, body, opts);
      } finally {
        stats.held -= held;
        stats.inFlight -= 1;
        if (big) bigInFlight -= 1;
      }
    },
  };
  return { driver, stats };
}

describe("maxUploadBytesInFlight", () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempFolder("am-bytes-in-flight-");
  });
  afterEach(() => dir.remove());

  const folder = (name: string, count: number, size: number) => randomFiles(dir.path, name, count, size);

  it("without a tight cap, the measured writes do overlap well past it (the measure can see a breach)", async () => {
    const { driver, stats } = recordingDriver(1024 * KiB);
    const manager = new FileSystemArtifactManager({ driver });
    await manager.logFiles("data", await folder("a", 12, 256 * KiB));
    expect(stats.peakHeld).toBeGreaterThan(768 * KiB);
  });

  it("bounds the bytes held by uploads, over concurrent logs of one manager, without serialising them", async () => {
    const { driver, stats } = recordingDriver(1024 * KiB);
    const manager = new FileSystemArtifactManager({ driver, maxUploadBytesInFlight: 768 * KiB });
    const a = await folder("a", 12, 256 * KiB);
    const b = await folder("b", 12, 256 * KiB);
    await Promise.all([manager.logFiles("a", a), manager.logFiles("b", b)]);
    expect(stats.peakHeld).toBeLessThanOrEqual(768 * KiB);
    expect(stats.peakHeld).toBeGreaterThan(256 * KiB);
    expect(await manager.listVersions("a")).toEqual(["v0"]);
    expect(await manager.listVersions("b")).toEqual(["v0"]);
  });

  it("reserves only what one driver write buffers for files bigger than that", async () => {
    const { driver, stats } = recordingDriver(256 * KiB);
    const manager = new FileSystemArtifactManager({ driver, maxUploadBytesInFlight: 512 * KiB });
    await manager.logFiles("data", await folder("a", 6, 1024 * KiB));
    expect(stats.peakHeld).toBeLessThanOrEqual(512 * KiB);
    expect(stats.peakHeld).toBeGreaterThan(256 * KiB);
  });

  it("uploads a file bigger than the whole cap alone, and completes", async () => {
    const { driver, stats } = recordingDriver(undefined); // unknown: a write may hold the whole file
    stats.bigSize = 1024 * KiB;
    const manager = new FileSystemArtifactManager({ driver, maxUploadBytesInFlight: 100 * KiB });
    const path = await folder("a", 4, 80 * KiB);
    const big = randomBytes(1024 * KiB);
    await writeFile(join(path, "big.bin"), big);
    const artifact = await manager.logFiles("data", path);
    expect(stats.peakInFlightWithBig).toBe(1);
    await using tmp = await manager.downloadArtifact("data", { version: artifact.version });
    expect((await readFile(join(tmp.path, "big.bin"))).equals(big)).toBe(true);
    expect(await manager.verify("data")).toMatchObject({ ok: true });
  });

  it.each([0, -1, 1.5, Number.NaN])("rejects maxUploadBytesInFlight %s", (value) => {
    expect(() => new FileSystemArtifactManager({ url: "memory://x", maxUploadBytesInFlight: value })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});
