import { describe, expect, it } from "vitest";
import { mapConcurrent } from "../../../src/storage/layers/map-concurrent.js";

describe("mapConcurrent", () => {
  it("keeps input order and never exceeds the concurrency", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapConcurrent(
      Array.from({ length: 40 }, (_, i) => i),
      async (i) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, (i * 7) % 5));
        running--;
        return i * 2;
      },
      { concurrency: 3 },
    );
    expect(out).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
  });

  it("consumes async iterables lazily and stops after the first error", async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield i;
      }
    }
    await expect(
      mapConcurrent(
        source(),
        async (i) => {
          if (i === 5) throw new Error("boom");
          return i;
        },
        { concurrency: 2 },
      ),
    ).rejects.toThrow("boom");
    expect(pulled).toBeLessThan(20);
  });

  it("rejects with the abort reason and validates concurrency", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    const run = mapConcurrent(
      [1, 2, 3, 4, 5, 6],
      async (i) => {
        if (i === 2) controller.abort(reason);
        await new Promise((r) => setTimeout(r, 1));
        return i;
      },
      { concurrency: 1, signal: controller.signal },
    );
    await expect(run).rejects.toBe(reason);
    await expect(mapConcurrent([1], async (i) => i, { concurrency: 0 })).rejects.toThrow(RangeError);
  });
});
