/**
 * The manager's `smallFileConcurrency`: logs, downloads and verifies of an object store run that many
 * files of 64 KiB or less at once, and `concurrency` larger ones. A real memory driver, wrapped to count
 * the file writes and reads in flight (a read lasts until its stream closes).
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import type { StorageDriver } from "../../../src/storage/driver.js";
import { randomFiles, tempFolder } from "./helpers.js";

/** Peak numbers of the version's file writes and reads in flight at once. */
interface Peaks {
  writes: number;
  reads: number;
}

/** Turns of the event loop, so that other transfers run before this one ends (no timer). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

function countingDriver(): { driver: StorageDriver; peaks: Peaks } {
  const base = createMemoryDriver();
  const peaks = { writes: 0, reads: 0 };
  let writes = 0;
  let reads = 0;
  const isFile = (key: string) => key.endsWith(".bin");
  const driver: StorageDriver = {
    backend: base.backend,
    url: base.url,
    capabilities: base.capabilities,
    stat: (key, opts) => base.stat(key, opts),
    list: (prefix, opts) => base.list(prefix, opts),
    delete: (key, opts) => base.delete(key, opts),
    renamePrefix: (from, to, opts) =>
      (base.renamePrefix as NonNullable<typeof base.renamePrefix>)(from, to, opts),
    write: async (key, body, opts) => {
      if (!isFile(key)) return base.write(key, body, opts);
      writes += 1;
      peaks.writes = Math.max(peaks.writes, writes);
      try {
        await turns(5);
        return await base.write(key, body, opts);
      } finally {
        writes -= 1;
      }
    },
    read: async (key, opts) => {
      if (!isFile(key)) return base.read(key, opts);
      reads += 1;
      peaks.reads = Math.max(peaks.reads, reads);
      await turns(5);
      const stream = await base.read(key, opts);
      stream.once("close", () => {
        reads -= 1;
      });
      return stream;
    },
  };
  return { driver, peaks };
}

describe("smallFileConcurrency", () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempFolder("am-small-files-");
  });
  afterEach(() => dir.remove());

  const folder = (count: number, size: number) =>
    randomFiles(dir.path, `files-${count}x${size}`, count, size);

  it("logs, downloads and verifies small files that many at once", async () => {
    const { driver, peaks } = countingDriver();
    const manager = new FileSystemArtifactManager({ driver, concurrency: 3, smallFileConcurrency: 20 });
    await manager.logFiles("data", await folder(60, 4096));
    expect(peaks.writes).toBe(20);
    await manager.downloadArtifact("data", { to: join(dir.path, "out") });
    expect(peaks.reads).toBe(20);
    peaks.reads = 0;
    expect(await manager.verify("data")).toMatchObject({ ok: true });
    expect(peaks.reads).toBe(20);
  });

  it("keeps files above 64 KiB at concurrency", async () => {
    const { driver, peaks } = countingDriver();
    const manager = new FileSystemArtifactManager({ driver, concurrency: 3, smallFileConcurrency: 20 });
    await manager.logFiles("data", await folder(12, 64 * 1024 + 1));
    expect(peaks.writes).toBe(3);
    await manager.downloadArtifact("data", { to: join(dir.path, "out") });
    expect(peaks.reads).toBe(3);
  });

  it("defaults to 64 small files at once", async () => {
    const { driver, peaks } = countingDriver();
    const manager = new FileSystemArtifactManager({ driver });
    await manager.logFiles("data", await folder(150, 100));
    expect(peaks.writes).toBe(64);
  });

  it.each([0, -1, 1.5, Number.NaN])("rejects smallFileConcurrency %s", (value) => {
    expect(() => new FileSystemArtifactManager({ url: "memory://x", smallFileConcurrency: value })).toThrow(
      expect.objectContaining({
        code: "INVALID_ARGUMENT",
        message: expect.stringContaining("smallFileConcurrency"),
      }),
    );
  });
});
