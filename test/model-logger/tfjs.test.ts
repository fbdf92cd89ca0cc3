import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import {
  restoreTfjsModel,
  restoreTfjsOptimizer,
  tfjsModelState,
  tfjsOptimizerState,
} from "../../src/model-logger/tfjs.js";
import { ModelLogger } from "../../src/model-logger.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tfjs-"));
  await tf.setBackend("cpu");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function buildModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [4], units: 8, activation: "relu" }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.dense({ units: 2 }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: "meanSquaredError" });
  return model;
}

const xs = tf.tensor2d([
  [1, 2, 3, 4],
  [0, 1, 0, 1],
  [4, 3, 2, 1],
  [1, 1, 1, 1],
]);
const ys = tf.tensor2d([
  [1, 0],
  [0, 1],
  [1, 1],
  [0, 0],
]);

async function weightsOf(model: tf.LayersModel): Promise<number[][]> {
  return Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
}

describe("TensorFlow.js adapter", () => {
  it("saves a trained model and optimizer, retrieves them, and restores into fresh instances", async () => {
    const manager = new FileSystemArtifactManager({ url: join(root, "store") });
    const logger = new ModelLogger(manager);
    const model = buildModel();
    await model.fit(xs, ys, { epochs: 3, shuffle: false, verbose: 0 });
    await logger.logStateToArtifact("tfjs_model", tfjsModelState(model), {
      optimizers: [tfjsOptimizerState(model.optimizer as tf.Optimizer & { getWeights: never })],
      extra: { epoch: 3 },
    });

    const state = await logger.retrieveStateFromArtifact("tfjs_model");
    expect(Object.keys(state.model as object)).toHaveLength(model.weights.length);
    const fresh = buildModel(); // new layer names: restored by position
    await restoreTfjsModel(fresh, state.model, { tf });
    expect(await weightsOf(fresh)).toEqual(await weightsOf(model));
    const a = (model.predict(xs) as tf.Tensor).dataSync();
    const b = (fresh.predict(xs) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));

    // A model of other shapes is refused before anything is allocated (issue 18.5)
    const other = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 8 })] });
    await expect(
      restoreTfjsOptimizer(fresh.optimizer as never, state.optimizer_state_dicts?.[0], { model: other }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await restoreTfjsOptimizer(fresh.optimizer as never, state.optimizer_state_dicts?.[0], { model: fresh });
    await model.fit(xs, ys, { epochs: 1, shuffle: false, verbose: 0 });
    await fresh.fit(xs, ys, { epochs: 1, shuffle: false, verbose: 0 });
    const after = await weightsOf(model);
    const afterFresh = await weightsOf(fresh);
    after.forEach((w, i) => {
      for (const [j, v] of w.entries()) expect(afterFresh[i]?.[j]).toBeCloseTo(v, 5);
    });
    expect(state.epoch).toBe(3);
    await manager.close();
  });

  it("rejects a state whose shapes do not match the model", async () => {
    const model = buildModel();
    const other = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 8 })] });
    const state = await tfjsModelState(other).stateDict();
    await expect(restoreTfjsModel(model, state, { tf })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });
});
