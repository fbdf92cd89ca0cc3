/**
 * Hostile checkpoints (issue 18, items 1–5): each small file would make the old reader allocate far
 * more than its size, or run for minutes. Each is loaded in a child process with a memory cap and a
 * time limit (see hostile.ts) and must end in a typed error (or a correct result) within them.
 */
import { describe, expect, it } from "vitest";
import { loadSafetensors } from "../../src/checkpoint/index.js";
import { loadHostile, safetensorsWith } from "./hostile.js";

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
