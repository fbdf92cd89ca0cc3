/**
 * Child process of the hostile-input tests: loads one crafted file under a memory cap and prints how it
 * ended as JSON (test/fixtures/capped-child.ts). A crash or a timeout shows as the child dying, which
 * the test reports as a failure.
 *
 * Usage: hostile-worker.ts <checkpoint|safetensors|module|materialise|tfjs-optimizer> <file>
 */
import { loadCheckpoint, loadSafetensors, moduleStateDict, Tensor } from "../../src/checkpoint/index.js";
import { restoreTfjsOptimizer, type TfjsModelLike } from "../../src/model-logger/tfjs.js";
import { reportCappedOutcome } from "../fixtures/capped-child.js";

/** Resident memory the child may reach (V8 and tsx take about 100 MB of it). */
const RSS_CAP = 512 << 20;

async function run(kind: string, file: string): Promise<unknown> {
  if (kind === "checkpoint") return loadCheckpoint(file);
  if (kind === "safetensors") return loadSafetensors(file);
  if (kind === "module") {
    const tree = (await loadCheckpoint(file)) as Record<string, unknown>;
    const out = moduleStateDict(tree.model as never);
    const proto = Object.getPrototypeOf(out);
    return {
      keys: out instanceof Map ? [...out.keys()] : Object.keys(out),
      proto:
        proto === Object.prototype
          ? "object"
          : proto === Map.prototype
            ? "map"
            : proto === null
              ? "null"
              : "replaced",
    };
  }
  if (kind === "materialise") {
    const tree = (await loadCheckpoint(file)) as Record<string, unknown>;
    let total = 0;
    for (const v of Object.values(tree)) if (v instanceof Tensor) total += v.bytes().byteLength;
    return total;
  }
  if (kind === "tfjs-optimizer") {
    // The load's own cap is raised: what is checked is the restore, with a model of one [2] weight.
    const state = await loadCheckpoint(file, { maxMaterializeRatio: 1e12 });
    const weight = {
      name: "dense/kernel",
      shape: [2],
      read: () => ({ shape: [2], dtype: "float32", data: async () => new Float32Array(2) }),
    };
    const model: TfjsModelLike = {
      layers: [{ name: "dense", weights: [weight] }],
      weights: [weight],
      setWeights() {},
    };
    const optimizer = {
      getClassName: () => "Adam",
      getConfig: () => ({}),
      getWeights: async () => [],
      setWeights: async () => {},
    };
    const tf = { tensor: (values: unknown) => values };
    await restoreTfjsOptimizer(optimizer, state, { tf, model });
    return "restored";
  }
  throw new Error(`unknown kind ${kind}`);
}

const [kind = "", file = ""] = process.argv.slice(2);
await reportCappedOutcome(RSS_CAP, async () => {
  const value = await run(kind, file);
  return kind === "module" ? value : undefined;
});
