/**
 * The file loop's two limits: files of 64 KiB or less go `smallFileConcurrency` at a time on an object
 * store, larger ones `concurrency` at a time; a local store uses `concurrency` for both.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createLocalDriver } from "../../../src/drivers/local.js";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { mapFiles } from "../../../src/managers/filesystem/map-files.js";
import type { StorageDriver } from "../../../src/storage/driver.js";
import { tempFolder } from "./helpers.js";

const SMALL = 64 * 1024;
const LARGE = SMALL + 1;

interface Peaks {
  small: number;
  large: number;
  total: number;
}

/** Runs mapFiles over `sizes`, each call holding for a few event-loop turns; returns the peaks in flight. */
async function peaksOf(
  driver: StorageDriver,
  sizes: number[],
  limits: { concurrency: number; smallFileConcurrency?: number },
): Promise<{ peaks: Peaks; results: number[] }> {
  const now = { small: 0, large: 0, total: 0 };
  const peaks = { small: 0, large: 0, total: 0 };
  const results = await mapFiles(
    driver,
    sizes.map((size, index) => ({ size, index })),
    (item) => item.size,
    async (item) => {
      const kind = item.size <= SMALL ? "small" : "large";
      now[kind] += 1;
      now.total += 1;
      peaks[kind] = Math.max(peaks[kind], now[kind]);
      peaks.total = Math.max(peaks.total, now.total);
      for (let i = 0; i < 3 + (item.index % 5); i++) await new Promise((resolve) => setImmediate(resolve));
      now[kind] -= 1;
      now.total -= 1;
      return item.index;
    },
    limits,
  );
  return { peaks, results };
}

/** 300 small and 60 large files, interleaved (every sixth is large). */
const MIXED = Array.from({ length: 360 }, (_, i) => (i % 6 === 5 ? LARGE : i % 2 === 0 ? SMALL : 100));

describe("mapFiles", () => {
  let folder: { path: string; remove: () => Promise<void> } | undefined;
  afterEach(async () => {
    await folder?.remove();
    folder = undefined;
  });

  it("runs small files of an object store at smallFileConcurrency, large ones at concurrency, side by side", async () => {
    const { peaks, results } = await peaksOf(createMemoryDriver(), MIXED, {
      concurrency: 4,
      smallFileConcurrency: 24,
    });
    expect(peaks).toEqual({ small: 24, large: 4, total: 28 });
    expect(results).toEqual(MIXED.map((_, i) => i));
  });

  it("holds to a smallFileConcurrency lower than concurrency, without holding up the large files", async () => {
    const { peaks, results } = await peaksOf(createMemoryDriver(), MIXED, {
      concurrency: 12,
      smallFileConcurrency: 2,
    });
    expect(peaks).toEqual({ small: 2, large: 12, total: 14 });
    expect(results).toEqual(MIXED.map((_, i) => i));
  });

  it("uses concurrency for every file of a local store", async () => {
    folder = await tempFolder("map-files-");
    const local = createLocalDriver({ root: folder.path });
    const sizes = Array.from({ length: 200 }, () => 10);
    const { peaks } = await peaksOf(local, sizes, { concurrency: 4, smallFileConcurrency: 24 });
    expect(peaks.total).toBe(4);
  });

  it("uses concurrency for every file when smallFileConcurrency is not given", async () => {
    const { peaks } = await peaksOf(createMemoryDriver(), MIXED, { concurrency: 5 });
    expect(peaks.total).toBe(5);
  });

  it.each([
    ["small", 10],
    ["large", 9],
  ])(
    "stops starting files in both queues after the first failure (a %s file) and rethrows it",
    async (_, failing) => {
      let started = 0;
      const failure = new Error("boom");
      await expect(
        mapFiles(
          createMemoryDriver(),
          Array.from({ length: 500 }, (_, i) => i),
          (i) => (i % 3 === 0 ? LARGE : 10),
          async (i) => {
            started += 1;
            await new Promise((resolve) => setImmediate(resolve));
            if (i === failing) throw failure;
            return i;
          },
          { concurrency: 2, smallFileConcurrency: 8 },
        ),
      ).rejects.toBe(failure);
      expect(started).toBeLessThan(40);
    },
  );
});
