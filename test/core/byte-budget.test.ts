import { describe, expect, it } from "vitest";
import { ByteBudget } from "../../src/core/byte-budget.js";

/** A task that runs until `finish()` is called, recording when it started. */
function gate(log: string[], name: string) {
  let finish = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    run: async () => {
      log.push(name);
      await done;
    },
    finish: () => finish(),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("ByteBudget", () => {
  it("starts work only while its bytes fit, first come first served; bigger than the limit runs alone", async () => {
    const budget = new ByteBudget(100);
    const log: string[] = [];
    const [a, b, c, d] = ["a", "b", "c", "d"].map((name) => gate(log, name)) as [
      ReturnType<typeof gate>,
      ReturnType<typeof gate>,
      ReturnType<typeof gate>,
      ReturnType<typeof gate>,
    ];
    const runs = [budget.use(60, a.run), budget.use(500, b.run), budget.use(10, c.run)];
    await tick();
    expect(log).toEqual(["a"]); // b waits for the whole budget; c waits behind b
    a.finish();
    await tick();
    expect(log).toEqual(["a", "b"]);
    runs.push(budget.use(10, d.run));
    b.finish();
    await tick();
    expect(log).toEqual(["a", "b", "c", "d"]);
    c.finish();
    d.finish();
    await Promise.all(runs);
  });

  it("a waiter whose signal aborts rejects with the reason and frees its place in the queue", async () => {
    const budget = new ByteBudget(10);
    const log: string[] = [];
    const first = gate(log, "first");
    const running = budget.use(10, first.run);
    const controller = new AbortController();
    const reason = new Error("stop");
    const waiting = budget.use(5, async () => log.push("never"), controller.signal);
    const after = budget.use(5, async () => log.push("after"));
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    first.finish();
    await Promise.all([running, after]);
    expect(log).toEqual(["first", "after"]);
  });

  it("a limit that is not a positive integer is INVALID_ARGUMENT", () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      expect(() => new ByteBudget(limit)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
  });
});
