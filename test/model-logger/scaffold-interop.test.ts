/**
 * ModelLogger and Python scaffold's own ModelLogger (test/vendor/scaffold, verbatim) on one local store,
 * both ways, under both fsspec versions users have: Debian's 2022.11 (with torch 1.13) and a current one
 * (2026.x, in the project's venv with torch 2.13). With fsspec 2022.11, scaffold cannot download a
 * version holding one file at its root; `v<N>/<name>/state.pt` (its own layout) works with both (issue 23).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSystemArtifactManager, getNumber, getTensor, ModelLogger, Tensor } from "../../src/index.js";
import { TORCH2_PYTHON } from "../checkpoint/torch2.js";

const run = promisify(execFile);
const SCAFFOLD = fileURLToPath(new URL("../vendor/scaffold", import.meta.url));
const PYTHONS = [
  { name: "Debian python3 (fsspec 2022.11, torch 1.13)", python: "/usr/bin/python3", fsspec: "2022.11" },
  { name: "the venv (fsspec 2026, torch 2.13)", python: TORCH2_PYTHON, fsspec: "2026." },
];

const RETRIEVE = `
import json, sys, fsspec
from scaffold.data.artifact_manager.filesystem import FileSystemArtifactManager
from scaffold.data.artifact_manager.artifact_logger import ModelLogger
state = ModelLogger(FileSystemArtifactManager(url=sys.argv[1])).retrieve_state_from_artifact(sys.argv[2], device="cpu")
print(json.dumps({"fsspec": fsspec.__version__, "weight": state["model"]["fc.weight"].tolist(), "epoch": state["epoch"]}))
`;

const LOG = `
import sys, torch, fsspec
from scaffold.data.artifact_manager.filesystem import FileSystemArtifactManager
from scaffold.data.artifact_manager.artifact_logger import ModelLogger
torch.manual_seed(0)
model = torch.nn.Linear(2, 1)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.5, -1.5]]))
    model.bias.fill_(0.25)
ModelLogger(FileSystemArtifactManager(url=sys.argv[1])).log_state_to_artifact(sys.argv[2], model, "from python", epoch=7)
print(fsspec.__version__)
`;

async function py(python: string, script: string, args: string[]): Promise<string> {
  if (!existsSync(python)) {
    throw new Error(
      `${python} is missing: run scripts/setup-test-machine.sh (python3-torch, scripts/setup-python.sh)`,
    );
  }
  const { stdout } = await run(python, ["-c", script, ...args], {
    env: { ...process.env, PYTHONPATH: SCAFFOLD },
    maxBuffer: 16 << 20,
  });
  return stdout.trim();
}

describe.each(PYTHONS)("ModelLogger ↔ scaffold's ModelLogger with $name", ({ python, fsspec }) => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "am-scaffold-ml-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("scaffold retrieves what we logged", async () => {
    const store = join(dir, "store");
    const weight = new Tensor({ dtype: "float32", shape: [1, 2], data: new Float32Array([0.5, -1.5]) });
    const logger = new ModelLogger(new FileSystemArtifactManager({ url: store }));
    await logger.logStateToArtifact(
      "ours",
      { stateDict: () => ({ "fc.weight": weight }) },
      { extra: { epoch: 3 } },
    );
    const result = JSON.parse(await py(python, RETRIEVE, [store, "ours"]));
    expect(result.fsspec.startsWith(fsspec)).toBe(true);
    expect(result).toMatchObject({ weight: [[0.5, -1.5]], epoch: 3 });
  });

  it("we retrieve what scaffold logged (a whole pickled nn.Module)", async () => {
    const store = join(dir, "store");
    expect((await py(python, LOG, [store, "theirs"])).startsWith(fsspec)).toBe(true);
    const state = await new ModelLogger(
      new FileSystemArtifactManager({ url: store }),
    ).retrieveStateFromArtifact("theirs");
    expect([...getTensor(state, "model.weight").toArray()]).toEqual([0.5, -1.5]);
    expect([...getTensor(state, "model.bias").toArray()]).toEqual([0.25]);
    expect(getNumber(state, "epoch")).toBe(7);
  });
});
