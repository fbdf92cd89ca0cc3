/**
 * The checkpoint reader's limits reach `retrieveStateFromArtifact` (issue 18): a state with an expanded
 * tensor, or a module sharing submodules level after level, is refused by default with the option to
 * raise named, and read when the option is raised.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type PickledObject, Storage, type Tensor, tuple } from "../../src/checkpoint/index.js";
import { viewUnchecked } from "../../src/checkpoint/tensor.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { ModelLogger } from "../../src/model-logger.js";
import { moduleOf } from "../checkpoint/hostile.js";

let root: string;
let manager: FileSystemArtifactManager;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "model-logger-limits-"));
  manager = new FileSystemArtifactManager({ url: join(root, "store") });
});
afterEach(async () => {
  await manager.close();
  await rm(root, { recursive: true, force: true });
});

it("passes maxMaterializeRatio to the load", async () => {
  const storage = new Storage("float32", new Uint8Array(Float32Array.of(2).buffer));
  const logger = new ModelLogger(manager);
  await logger.logStateToArtifact("expanded", { w: viewUnchecked(storage, 0, [1 << 20], [0]) });
  await expect(logger.retrieveStateFromArtifact("expanded")).rejects.toMatchObject({
    code: "CHECKPOINT_INVALID",
    message: expect.stringContaining("maxMaterializeRatio"),
  });
  const state = await logger.retrieveStateFromArtifact("expanded", { maxMaterializeRatio: 10_000 });
  expect((state.model as Record<string, Tensor>).w?.data).toHaveLength(1 << 20);
});

it("passes maxPickleWorkRatio and maxInflateRatio to the load (validated there)", async () => {
  const logger = new ModelLogger(manager);
  await logger.logStateToArtifact("small", { b: tuple(1, 2) });
  await expect(logger.retrieveStateFromArtifact("small", { maxPickleWorkRatio: -1 })).rejects.toMatchObject({
    code: "INVALID_ARGUMENT",
    message: expect.stringContaining("maxPickleWorkRatio"),
  });
  await expect(logger.retrieveStateFromArtifact("small", { maxInflateRatio: -1 })).rejects.toMatchObject({
    code: "INVALID_ARGUMENT",
    message: expect.stringContaining("maxInflateRatio"),
  });
});

it("passes maxStateDictWork to moduleStateDict", async () => {
  const storage = new Storage("float32", new Uint8Array(4));
  let m: PickledObject = moduleOf({ weight: viewUnchecked(storage, 0, [1], [1]) });
  for (let i = 0; i < 8; i++) m = moduleOf({}, { a: m, b: m }); // 256 paths to the weight
  const logger = new ModelLogger(manager);
  await logger.logStateToArtifact("shared", m);
  const state = await logger.retrieveStateFromArtifact("shared");
  expect(Object.keys(state.model as object)).toHaveLength(256);
  await expect(logger.retrieveStateFromArtifact("shared", { maxStateDictWork: 100 })).rejects.toMatchObject({
    code: "CHECKPOINT_INVALID",
    message: expect.stringContaining("maxStateDictWork"),
  });
});
