/**
 * Hostile checkpoints (issue 18, items 1–5): each small file would make the old reader allocate far
 * more than its size, or run for minutes. Each is loaded in a child process with a memory cap and a
 * time limit (see hostile.ts) and must end in a typed error (or a correct result) within them.
 */
import { describe, expect, it } from "vitest";
import {
  encodeCheckpoint,
  loadCheckpoint,
  loadSafetensors,
  moduleStateDict,
  type StateValue,
  Tensor,
} from "../../src/checkpoint/index.js";
import {
  copyingCallsCheckpoint,
  deflatedCheckpoint,
  expandedCheckpoint,
  loadHostile,
  moduleOf,
  safetensorsWith,
  sharedModulesCheckpoint,
  tfjsOptimizerCheckpoint,
} from "./hostile.js";

const MiB = 1 << 20;

describe("hostile safetensors", () => {
  it("refuses tensors whose data_offsets overlap (100 tensors over the same 8 MiB)", async () => {
    const entries = Array.from({ length: 100 }, (_, i): [string, number, number] => [`t${i}`, 0, 8 * MiB]);
    const result = await loadHostile("safetensors", safetensorsWith(entries, 8 * MiB));
    expect(result).toMatchObject({
      outcome: "CHECKPOINT_INVALID",
      message: expect.stringContaining("overlaps"),
    });
  });

  it("refuses gaps between tensors and data past the last one", async () => {
    await expect(
      loadSafetensors(
        safetensorsWith(
          [
            ["a", 0, 4],
            ["b", 8, 12],
          ],
          12,
        ),
      ),
    ).rejects.toMatchObject({
      code: "CHECKPOINT_INVALID",
      message: expect.stringContaining("gap"),
    });
    await expect(loadSafetensors(safetensorsWith([["a", 0, 4]], 12))).rejects.toMatchObject({
      code: "CHECKPOINT_INVALID",
    });
    const ok = await loadSafetensors(
      safetensorsWith(
        [
          ["b", 4, 12],
          ["a", 0, 4],
          ["e", 4, 4],
        ],
        12,
      ),
    );
    expect(Object.keys(ok.tensors)).toEqual(["b", "a", "e"]);
  });
});

describe("hostile modules (moduleStateDict)", () => {
  it("refuses submodules shared level after level (2^40 paths) within the limits", async () => {
    const result = await loadHostile("module", await sharedModulesCheckpoint(40));
    expect(result).toMatchObject({
      outcome: "CHECKPOINT_INVALID",
      message: expect.stringContaining("steps"),
    });
  });

  it("keeps PyTorch's keys for a module shared a few times", async () => {
    const out = moduleStateDict(
      ((await loadCheckpoint(await sharedModulesCheckpoint(2))) as { model: never }).model,
    );
    expect(Object.keys(out)).toEqual(["a.a.weight", "a.b.weight", "b.a.weight", "b.b.weight"]);
  });

  it("refuses a module that contains itself with a typed error", async () => {
    const m = moduleOf({});
    (m.state as { _modules: Record<string, unknown> })._modules.self = m;
    const result = await loadHostile("module", await encodeCheckpoint({ model: m }));
    expect(result).toMatchObject({
      outcome: "CHECKPOINT_INVALID",
      message: expect.stringContaining("contains itself"),
    });
  });

  it("keeps a parameter named __proto__ as a key, not the result's prototype", async () => {
    const weight = new Tensor({ dtype: "float32", shape: [1], data: new Float32Array(1) });
    const evil = new Map<string, StateValue>([["__proto__", weight]]);
    const result = await loadHostile("module", await encodeCheckpoint({ model: moduleOf(evil) }));
    expect(result).toMatchObject({ outcome: "ok", value: { keys: ["__proto__"], proto: "map" } });
  });
});

describe("hostile zips", () => {
  it("refuses central-directory entries that share compressed bytes (30 × 64 MiB from 65 KB)", async () => {
    const bytes = deflatedCheckpoint(30, 64, true);
    expect(bytes.byteLength).toBeLessThan(100_000);
    const result = await loadHostile("checkpoint", bytes);
    expect(result).toMatchObject({
      outcome: "CHECKPOINT_INVALID",
      message: expect.stringContaining("overlap"),
    });
  });

  it("caps what a file's deflated records inflate to, relative to its size (maxInflateRatio)", async () => {
    const bytes = deflatedCheckpoint(2, 4, false); // 8 MiB of zeros in about 16 KB
    await expect(loadCheckpoint(bytes)).rejects.toMatchObject({
      code: "CHECKPOINT_INVALID",
      message: expect.stringContaining("maxInflateRatio"),
    });
    const tree = (await loadCheckpoint(bytes, { maxInflateRatio: 1100 })) as Record<string, Tensor>;
    expect(tree.t1?.shape).toEqual([1 << 20]);
    await expect(loadCheckpoint(bytes, { maxInflateRatio: -1 })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });
});

describe("hostile pickles", () => {
  it("bounds the work of allow-listed calls that copy (torch.Size of a big memoised list, over and over)", async () => {
    const bytes = await copyingCallsCheckpoint(20_000, 30_000);
    expect(bytes.byteLength).toBeLessThan(300_000);
    const result = await loadHostile("checkpoint", bytes);
    expect(result).toMatchObject({
      outcome: "CHECKPOINT_INVALID",
      message: expect.stringContaining("maxPickleWorkRatio"),
    });
  });

  it("reads the same calls within the budget, or when the option raises it", async () => {
    const small = (await loadCheckpoint(await copyingCallsCheckpoint(100, 10))) as unknown[];
    expect(small).toHaveLength(10);
    const bytes = await copyingCallsCheckpoint(2000, 3000);
    await expect(loadCheckpoint(bytes)).rejects.toMatchObject({ code: "CHECKPOINT_INVALID" });
    expect(await loadCheckpoint(bytes, { maxPickleWorkRatio: 1000 })).toHaveLength(3000);
  });
});

describe("hostile views (stride 0)", () => {
  it("refuses an expanded tensor that would materialise to 4 GiB (maxMaterializeRatio)", async () => {
    const bytes = await expandedCheckpoint(2 ** 30);
    expect(bytes.byteLength).toBeLessThan(1000);
    const result = await loadHostile("materialise", bytes);
    expect(result).toMatchObject({
      outcome: "CHECKPOINT_INVALID",
      message: expect.stringContaining("maxMaterializeRatio"),
    });
  });

  it("reads expanded tensors within the cap, or when the option raises it", async () => {
    const small = (await loadCheckpoint(await expandedCheckpoint(1000))) as Record<string, Tensor>;
    expect(small.t?.stride).toEqual([0]);
    expect(small.t?.toArray()).toEqual(new Array(1000).fill(1.5));
    const big = await expandedCheckpoint(1 << 20); // 4 MiB once materialised, from under 1 KB
    await expect(loadCheckpoint(big)).rejects.toMatchObject({ code: "CHECKPOINT_INVALID" });
    const tree = (await loadCheckpoint(big, { maxMaterializeRatio: 10_000 })) as Record<string, Tensor>;
    expect(tree.t?.data).toHaveLength(1 << 20);
    await expect(loadCheckpoint(big, { maxMaterializeRatio: Number.NaN })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("restoreTfjsOptimizer refuses slots whose shapes differ from the model's before allocating", async () => {
    const result = await loadHostile("tfjs-optimizer", await tfjsOptimizerCheckpoint(2 ** 30));
    expect(result).toMatchObject({
      outcome: "INVALID_ARGUMENT",
      message: expect.stringContaining("dense/kernel/v"),
    });
    const fits = await loadHostile("tfjs-optimizer", await tfjsOptimizerCheckpoint(2));
    expect(fits).toMatchObject({ outcome: "ok" });
  });
});
