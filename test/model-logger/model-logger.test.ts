import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadCheckpoint, type StateValue, type Tensor } from "../../src/checkpoint/index.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { ModelLogger } from "../../src/model-logger.js";
import { FIXTURES_DIR, toFixtureJson, toFixtureJsonText, VERIFY_LOAD } from "../checkpoint/fixture-json.js";
import { python } from "../checkpoint/python.js";

let root: string;
let manager: FileSystemArtifactManager;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "model-logger-"));
  manager = new FileSystemArtifactManager({ url: join(root, "store") });
});
afterEach(async () => {
  await manager.close();
  await rm(root, { recursive: true, force: true });
});

/** Model and Adam state as PyTorch produced them (fixture f: Conv2d(3,3,3) after one Adam step). */
async function torchStates() {
  const f = (await loadCheckpoint(`${FIXTURES_DIR}f_model_logger_state_dict.pt`)) as Record<
    string,
    StateValue
  >;
  return {
    model: f.model as Record<string, Tensor>,
    optimizer: (f.optimizer_state_dicts as StateValue[])[0] as StateValue,
  };
}

const PY_CHECK = `
import sys, torch
state = torch.load(sys.argv[1], weights_only=False)
assert list(state) == ["model", "optimizer_state_dicts", "scheduler_state_dicts", "epoch", "loss"], list(state)
model = torch.nn.Conv2d(3, 3, 3)
model.load_state_dict(state["model"])
opt = torch.optim.Adam(model.parameters())
opt.load_state_dict(state["optimizer_state_dicts"][0])
assert sorted(opt.state_dict()["state"]) == [0, 1]
model(torch.randn(1, 3, 8, 8)).sum().backward()
opt.step()
sched = state["scheduler_state_dicts"][0]
assert sched["interval"] == "epoch" and sched["scheduler"]["last_epoch"] == 1, sched
assert state["epoch"] == 1 and isinstance(state["epoch"], int) and state["loss"] == 0.1
print("ok", float(state["model"]["weight"].double().sum()))
`;

describe("ModelLogger", () => {
  it("logs <name>/state.pt (scaffold's layout on file stores) and retrieves the same tree", async () => {
    const { model, optimizer } = await torchStates();
    const logger = new ModelLogger(manager);
    const artifact = await logger.logStateToArtifact(
      "my_model_state",
      { stateDict: async () => model },
      {
        description: "conv after one step",
        optimizers: [{ stateDict: () => optimizer }],
        schedulers: [
          { scheduler: { stateDict: () => ({ last_epoch: 1, base_lrs: [0.001] }) }, interval: "epoch" },
        ],
        extra: { epoch: 1, loss: 0.1 },
      },
    );
    expect(artifact).toEqual({ name: "my_model_state", collection: "default", version: "v0" });
    expect((await stat(join(root, "store/default/my_model_state/v0/my_model_state/state.pt"))).isFile()).toBe(
      true,
    );
    const state = await logger.retrieveStateFromArtifact("my_model_state", { version: "v0", device: "cpu" });
    expect(Object.keys(state)).toEqual([
      "model",
      "optimizer_state_dicts",
      "scheduler_state_dicts",
      "epoch",
      "loss",
    ]);
    expect(toFixtureJson(state.model as StateValue)).toEqual(toFixtureJson(model));
    expect(toFixtureJson(state.optimizer_state_dicts as StateValue)).toEqual(toFixtureJson([optimizer]));
    expect(state.epoch).toBe(1);
    expect(state.loss).toBe(0.1);
  });

  it("writes a checkpoint that Python torch.load + load_state_dict accept", async () => {
    const { model, optimizer } = await torchStates();
    const logger = new ModelLogger(manager);
    await logger.logStateToArtifact("interop", model, {
      optimizers: [optimizer],
      schedulers: [{ scheduler: { last_epoch: 1, base_lrs: [0.001] }, interval: "epoch" }],
      extra: { epoch: 1, loss: 0.1 },
    });
    const out = join(root, "download");
    await manager.downloadArtifact("interop", { to: out });
    const result = await python(["-c", PY_CHECK, join(out, "interop", "state.pt")]);
    expect(result.stderr).toBe("");
    const sum = (model.weight as Tensor)
      .toArray()
      .reduce((a, b) => (a as number) + (b as number), 0) as number;
    expect(result.stdout).toMatch(/^ok /);
    expect(Number(result.stdout.split(" ")[1])).toBeCloseTo(sum, 5);
    // torch >= 2.0's weights_only loader (verify_load.py's emulation) also accepts it, with equal values
    const expected = join(root, "expected.json");
    const tree = await new ModelLogger(manager).buildState(model, {
      optimizers: [optimizer],
      schedulers: [{ scheduler: { last_epoch: 1, base_lrs: [0.001] }, interval: "epoch" }],
      extra: { epoch: 1, loss: 0.1 },
    });
    await writeFile(expected, toFixtureJsonText(tree));
    const verify = await python([
      VERIFY_LOAD,
      join(out, "interop", "state.pt"),
      expected,
      "--emulated",
      "--zip-lint",
    ]);
    expect(verify.stdout.trim()).toBe("ok");
  });

  it("retrieves a checkpoint logged by Python scaffold (whole module, nested folder)", async () => {
    const version = join(root, "store/models/py_model/v0/py_model");
    await mkdir(version, { recursive: true });
    await copyFile(`${FIXTURES_DIR}e_model_logger_module.pt`, join(version, "state.pt"));
    const state = await new ModelLogger(manager).retrieveStateFromArtifact("py_model", {
      collection: "models",
    });
    const { model } = await torchStates();
    expect(Object.keys(state.model as object)).toEqual(["weight", "bias"]);
    expect((state.model as Record<string, Tensor>).weight?.toArray()).toEqual(model.weight?.toArray());
    expect(state.epoch).toBe(1);
    const kept = await new ModelLogger(manager).retrieveStateFromArtifact("py_model", {
      collection: "models",
      keepModuleObject: true,
    });
    expect((kept.model as { className: string }).className).toBe("torch.nn.modules.conv.Conv2d");
  });

  it("fails clearly for artifacts without state.pt and for bad options", async () => {
    const dir = join(root, "plain");
    await mkdir(dir);
    await writeFile(join(dir, "notes.txt"), "hello");
    await manager.logFiles("plain", dir);
    const logger = new ModelLogger(manager);
    await expect(logger.retrieveStateFromArtifact("plain")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(logger.logStateToArtifact("x", {}, { extra: { model: 1 } })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(logger.retrieveStateFromArtifact("plain", { device: "cuda" })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(logger.logStateToArtifact("x", {}, { optimizers: {} as never })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(logger.logStateToArtifact("x", {}, { extra: [1] as never })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(() => new ModelLogger({} as never)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });
});
