import { describe, expect, it } from "vitest";
import { loadCheckpoint, type StateValue, Tensor, tuple } from "../../src/checkpoint/index.js";
import type { ArtifactManager } from "../../src/managers/artifact-manager.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { ModelLogger } from "../../src/model-logger.js";
import { FIXTURES_DIR, toFixtureJson } from "../checkpoint/fixture-json.js";
import { startFixture } from "../managers/wandb/fixtures.js";

/** Logs the fixture's model + Adam state through `manager` and checks the retrieved tree is identical. */
async function roundTrip(manager: ArtifactManager): Promise<void> {
  const f = (await loadCheckpoint(`${FIXTURES_DIR}f_model_logger_state_dict.pt`)) as Record<
    string,
    StateValue
  >;
  const logger = new ModelLogger(manager);
  const extra = { epoch: 2, shape: tuple(3, 3), scale: new Tensor({ dtype: "float64", shape: [] }) };
  const first = await logger.logStateToArtifact("conv_state", f.model as StateValue, {
    optimizers: f.optimizer_state_dicts as StateValue[],
    extra,
  });
  const second = await logger.logStateToArtifact("conv_state", f.model as StateValue, {
    extra: { epoch: 3 },
  });
  expect([first.version, second.version]).toEqual(["v0", "v1"]);
  const state = await logger.retrieveStateFromArtifact("conv_state", { version: "v0" });
  expect(toFixtureJson(state as StateValue)).toEqual(
    toFixtureJson({
      model: f.model as StateValue,
      optimizer_state_dicts: f.optimizer_state_dicts as StateValue,
      ...extra,
    }),
  );
  expect((await logger.retrieveStateFromArtifact("conv_state")).epoch).toBe(3);
}

describe("ModelLogger on other ArtifactManagers", () => {
  it("works on a memory:// store", async () => {
    const manager = new FileSystemArtifactManager({ url: `memory://model-logger-${process.pid}` });
    await roundTrip(manager);
    await manager.close();
  });

  it("works on Weights & Biases (emulator)", async () => {
    const fixture = await startFixture();
    try {
      const manager = fixture.manager();
      await roundTrip(manager);
      await manager.close();
    } finally {
      await fixture.close();
    }
  });
});
