/** Typed reads of a loaded checkpoint: getTensor(state, "model.fc.weight") and friends, no casts. */
import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../src/checkpoint/load-checkpoint.js";
import { encodeCheckpoint } from "../../src/checkpoint/save-checkpoint.js";
import {
  getBoolean,
  getNumber,
  getStateDict,
  getStateValue,
  getString,
  getTensor,
  isStateDict,
  tensorEntries,
} from "../../src/checkpoint/state-accessors.js";
import { Tensor } from "../../src/checkpoint/tensor.js";
import { pyFloat } from "../../src/checkpoint/values.js";
import { FIXTURES_DIR } from "./fixture-json.js";

describe("state accessors on a checkpoint torch wrote", () => {
  it("reads tensors and numbers by dotted path, through dicts, lists and int-keyed dicts", async () => {
    const state = await loadCheckpoint(`${FIXTURES_DIR}f_model_logger_state_dict.pt`);
    const weight: Tensor = getTensor(state, "model.weight");
    expect([weight.dtype, weight.shape]).toEqual(["float32", [3, 3, 3, 3]]);
    expect(getTensor(state, "optimizer_state_dicts.0.state.1.exp_avg").shape).toEqual([3]);
    expect(typeof getNumber(state, "epoch")).toBe("number");
    expect(isStateDict(getStateDict(state, "model"))).toBe(true);
    const paths = [...tensorEntries(state)].map(([path]) => path);
    expect(paths.slice(0, 2)).toEqual(["model.weight", "model.bias"]);
    for (const path of paths) expect(getTensor(state, path)).toBeInstanceOf(Tensor);
  });

  it("a missing path is NOT_FOUND naming what is there; another type is INVALID_ARGUMENT naming it", async () => {
    const state = await loadCheckpoint(`${FIXTURES_DIR}f_model_logger_state_dict.pt`);
    expect(() => getTensor(state, "model.fc.weight")).toThrow(
      expect.objectContaining({
        code: "NOT_FOUND",
        message: expect.stringContaining("'model' holds: weight, bias"),
      }),
    );
    expect(() => getTensor(state, "epoch")).toThrow(
      expect.objectContaining({
        code: "INVALID_ARGUMENT",
        message: "'epoch' of the checkpoint is a number, not a tensor",
      }),
    );
    expect(() => getNumber(state, "model.weight")).toThrow(
      expect.objectContaining({
        message: expect.stringContaining("is a tensor (float32 [3, 3, 3, 3]), not a number"),
      }),
    );
  });
});

describe("state accessors on a state written and read back", () => {
  it("keys holding dots resolve (state_dict keys), as do nested ones; scalars of each kind", async () => {
    const fc = new Tensor({ dtype: "float32", shape: [2], data: new Float32Array([1, 2]) });
    const bias = new Tensor({ dtype: "int64", shape: [1], data: new BigInt64Array([5n]) });
    const state = await loadCheckpoint(
      await encodeCheckpoint({
        model: { "fc.weight": fc, head: { bias } },
        "flat.key.tensor": fc,
        lr: pyFloat(1),
        name: "run-1",
        done: true,
        layers: [fc, [bias]],
      }),
    );
    expect(getTensor(state, "model.fc.weight").toArray()).toEqual([1, 2]);
    expect(getTensor(state, "model.head.bias").dtype).toBe("int64");
    expect(getTensor(state, "flat.key.tensor").shape).toEqual([2]);
    expect(getTensor(state, "layers.1.0").dtype).toBe("int64");
    expect(getNumber(state, "lr")).toBe(1);
    expect(getString(state, "name")).toBe("run-1");
    expect(getBoolean(state, "done")).toBe(true);
    expect(getStateValue(state, "layers.2")).toBeUndefined();
    expect(getStateValue(state, ["model", "fc.weight"])).toBeInstanceOf(Tensor);
    expect([...tensorEntries(state)].map(([p]) => p)).toEqual([
      "model.fc.weight",
      "model.head.bias",
      "flat.key.tensor",
      "layers.0",
      "layers.1.0",
    ]);
  });
});
