/** mapConcurrent: order, the bound, failure and abort behaviour, option validation. */
import { describe, expect, it } from "vitest";
import { isArtifactError } from "../../src/errors.js";
import { mapConcurrent } from "../../src/util/map-concurrent.js";

/** A call that resolves when the test releases it, counting how many are in flight. */
function gate() {
  let inFlight = 0;
  let most = 0;
  const waiting: Array<() => void> = [];
  const call = async (value: number): Promise<number> => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight--;
    return value * 2;
  };
  const drain = async (done: { settled: boolean }) => {
    while (!done.settled) {
      await new Promise((resolve) => setImmediate(resolve));
      waiting.shift()?.();
    }
  };
  return { call, drain, most: () => most };
}

describe("mapConcurrent", () => {
  it("keeps input order, never exceeds the bound and passes the index", async () => {
    const g = gate();
    const done = { settled: false };
    const run = mapConcurrent([1, 2, 3, 4, 5, 6, 7], (n) => g.call(n), { concurrency: 3 }).finally(() => {
      done.settled = true;
    });
    await g.drain(done);
    expect(await run).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(g.most()).toBe(3);
    expect(await mapConcurrent(["a", "b"], async (item, index) => `${item}${index}`)).toEqual(["a0", "b1"]);
    expect(await mapConcurrent([], async () => 1, { concurrency: 4 })).toEqual([]);
  });

  it("stops starting calls after the first failure and rethrows it", async () => {
    const started: number[] = [];
    const boom = new Error("boom");
    const run = mapConcurrent(
      [0, 1, 2, 3, 4, 5],
      async (n) => {
        started.push(n);
        if (n === 1) throw boom;
        return n;
      },
      { concurrency: 2 },
    );
    await expect(run).rejects.toBe(boom);
    expect(started.length).toBeLessThan(6);
  });

  it("rejects with the signal's reason and starts nothing once aborted", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    const started: number[] = [];
    const run = mapConcurrent(
      [0, 1, 2, 3],
      async (n) => {
        started.push(n);
        if (n === 0) controller.abort(reason);
        return n;
      },
      { concurrency: 1, signal: controller.signal },
    );
    await expect(run).rejects.toBe(reason);
    expect(started).toEqual([0]);
  });

  it("lets every call in flight listen to the shared signal without Node's listener-leak warning", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const controller = new AbortController();
      await mapConcurrent(
        Array.from({ length: 32 }, (_, i) => i),
        async () => {
          // What a download holds: the retry layer's, the sink's and the socket exchange's listeners.
          const listeners = [0, 1, 2].map(() => () => undefined);
          for (const listener of listeners) controller.signal.addEventListener("abort", listener);
          await new Promise((resolve) => setTimeout(resolve, 5));
          for (const listener of listeners) controller.signal.removeEventListener("abort", listener);
        },
        { concurrency: 16, signal: controller.signal },
      );
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain("MaxListenersExceededWarning");
  });

  it("rejects a concurrency that is not a positive integer with INVALID_ARGUMENT", async () => {
    for (const concurrency of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = await mapConcurrent([1], async (n) => n, { concurrency }).catch((e: unknown) => e);
      expect(isArtifactError(error, "INVALID_ARGUMENT"), String(concurrency)).toBe(true);
    }
  });
});
