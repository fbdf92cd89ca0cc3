import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  loadCheckpoint,
  moduleStateDict,
  type PickledObject,
  type Tensor,
} from "../../src/checkpoint/index.js";
import { cudaCheckpoint } from "./craft.js";
import { FIXTURE_NAMES, FIXTURES_DIR, fixtureJson, toFixtureJson } from "./fixture-json.js";
import { python } from "./python.js";

describe("loadCheckpoint on torch.save fixtures", () => {
  for (const name of FIXTURE_NAMES) {
    it(`decodes ${name}.pt to exactly its JSON (from a path)`, async () => {
      const value = await loadCheckpoint(`${FIXTURES_DIR}${name}.pt`);
      expect(toFixtureJson(value)).toEqual(fixtureJson(name).value);
    });
  }

  it("decodes from bytes as from a path", async () => {
    const bytes = await readFile(`${FIXTURES_DIR}c_views.pt`);
    expect(toFixtureJson(await loadCheckpoint(bytes))).toEqual(fixtureJson("c_views").value);
  });

  it("keeps shared storages shared and views as views", async () => {
    const value = (await loadCheckpoint(`${FIXTURES_DIR}c_views.pt`)) as Record<string, Tensor>;
    expect(value.transposed?.storage).toBe(value.base?.storage);
    expect(value.alias_1).toBe(value.alias_2);
    expect(value.transposed?.isContiguous).toBe(false);
    expect(value.sliced?.storageOffset).toBe(8);
  });

  it("gives a pickled module's state dict with PyTorch's keys and order", async () => {
    const value = (await loadCheckpoint(`${FIXTURES_DIR}e_model_logger_module.pt`)) as Record<
      string,
      unknown
    >;
    const model = value.model as PickledObject;
    expect(model.className).toBe("torch.nn.modules.conv.Conv2d");
    const sd = moduleStateDict(model) as Record<string, Tensor>;
    expect(Object.keys(sd)).toEqual(["weight", "bias"]);
    const f = (await loadCheckpoint(`${FIXTURES_DIR}f_model_logger_state_dict.pt`)) as Record<
      string,
      unknown
    >;
    const expected = f.model as Record<string, Tensor>;
    for (const key of Object.keys(expected)) {
      expect((sd[key] as Tensor).toArray()).toEqual(expected[key]?.toArray());
    }
  });

  it("rejects a pickled module when allowObjects is false", async () => {
    await expect(
      loadCheckpoint(`${FIXTURES_DIR}e_model_logger_module.pt`, { allowObjects: false }),
    ).rejects.toMatchObject({ code: "CHECKPOINT_INVALID" });
  });

  it("reads storages saved from cuda:0 and keeps their location", async () => {
    const value = (await loadCheckpoint(await cudaCheckpoint())) as Record<string, Tensor>;
    expect(value.w?.toArray()).toEqual([2, 4]);
    expect(value.w?.storage.location).toBe("cuda:0");
  });

  it("reads a checkpoint re-zipped with deflate by Python's zipfile (torch loads those too)", async () => {
    const out = join(await mkdtemp(join(tmpdir(), "ckpt-deflate-")), "deflated.pt");
    const script = [
      "import sys, zipfile",
      "src = zipfile.ZipFile(sys.argv[1])",
      "with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as dst:",
      "    for name in src.namelist(): dst.writestr(name, src.read(name))",
    ].join("\n");
    const result = await python(["-c", script, `${FIXTURES_DIR}c_views.pt`, out]);
    expect(result.stderr).toBe("");
    expect(toFixtureJson(await loadCheckpoint(out))).toEqual(fixtureJson("c_views").value);
    await rm(dirname(out), { recursive: true, force: true });
  });

  it("reports a missing file as NOT_FOUND", async () => {
    await expect(loadCheckpoint(`${FIXTURES_DIR}nope.pt`)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
