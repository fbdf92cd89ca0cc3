import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  encodeCheckpoint,
  loadCheckpoint,
  orderedDict,
  pyFloat,
  saveCheckpoint,
  Tensor,
  tuple,
} from "../../src/checkpoint/index.js";
import { FIXTURE_NAMES, FIXTURES_DIR, fixtureJson, toFixtureJson, VERIFY_LOAD } from "./fixture-json.js";
import { python } from "./python.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ckpt-save-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("saveCheckpoint", () => {
  for (const name of FIXTURE_NAMES) {
    it(`round-trips ${name} and torch.load accepts it (verify_load.py)`, async () => {
      const expected = fixtureJson(name);
      const out = join(dir, `${name}.pt`);
      await saveCheckpoint(out, await loadCheckpoint(`${FIXTURES_DIR}${name}.pt`));
      expect(toFixtureJson(await loadCheckpoint(out))).toEqual(expected.value);
      const args = [VERIFY_LOAD, out, `${FIXTURES_DIR}${name}.json`, "--check-layout", "--zip-lint"];
      const result = await python([...args, ...(expected.verify_args ?? [])]);
      expect(result.stdout.trim() + result.stderr).toMatch(/^ok/);
      expect(result.code).toBe(0);
    });
  }

  for (const name of ["a_flat_state_dict", "f_model_logger_state_dict", "i_params_and_grads"]) {
    it(`writes ${name} byte-for-byte as torch.save does`, async () => {
      const original = await readFile(`${FIXTURES_DIR}${name}.pt`);
      const archiveName = name.startsWith("f_") ? "state" : name;
      const bytes = await encodeCheckpoint(await loadCheckpoint(original), { archiveName });
      expect(Buffer.compare(Buffer.from(bytes), original)).toBe(0);
    });
  }

  it("keeps ints, floats, tuples, int keys and ordered dicts apart", async () => {
    const tree = {
      epoch: 1,
      loss: 0.1,
      one: pyFloat(1),
      big: 2n ** 70n,
      betas: tuple(0.9, 0.999),
      state: new Map([
        [0, { step: new Tensor({ dtype: "float32", shape: [], data: new Float32Array([3]) }) }],
      ]),
      model: orderedDict({
        w: new Tensor({ dtype: "int64", shape: [2], data: new BigInt64Array([1n, -2n]) }),
      }),
    };
    const back = await loadCheckpoint(await encodeCheckpoint(tree));
    expect(toFixtureJson(back)).toEqual(toFixtureJson(tree));
  });

  it("writes zip64 fields that Python's zipfile and our reader accept", async () => {
    const out = join(dir, "zip64.pt");
    const tree = { w: new Tensor({ dtype: "float32", shape: [300], data: new Float32Array(300).fill(1.5) }) };
    await saveCheckpoint(out, tree, { zip64Threshold: 100 });
    expect(toFixtureJson(await loadCheckpoint(out))).toEqual(toFixtureJson(tree));
    const check = await python([
      "-c",
      "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(sorted(z.namelist()))",
      out,
    ]);
    expect(check.stderr).toBe("");
    expect(check.stdout).toContain("zip64/data/0");
  });

  it("reports progress per storage, validates options and leaves no file when aborted", async () => {
    const tree = {
      a: new Tensor({ dtype: "float32", shape: [4] }),
      b: new Tensor({ dtype: "int32", shape: [2] }),
    };
    const out = join(dir, "progress.pt");
    const saved: string[] = [];
    await saveCheckpoint(out, tree, {
      onProgress: (e) => e.type === "file" && saved.push(`${e.path}:${e.bytes}`),
    });
    expect(saved).toEqual(["data/0:16", "data/1:8"]);
    const loaded: string[] = [];
    await loadCheckpoint(out, { onProgress: (e) => e.type === "file" && loaded.push(e.path) });
    expect(loaded).toEqual(["data/0", "data/1"]);
    await expect(encodeCheckpoint(tree, { archiveName: "a/b" })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(loadCheckpoint(42 as never)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    const controller = new AbortController();
    const aborted = join(dir, "aborted.pt");
    const reason = new Error("stop");
    const save = saveCheckpoint(aborted, tree, {
      signal: controller.signal,
      onProgress: () => controller.abort(reason),
    });
    await expect(save).rejects.toBe(reason);
    await expect(readFile(aborted)).rejects.toMatchObject({ code: "ENOENT" });
    expect((await readdir(dir)).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  it("a big storage reports progress and can be cancelled within it, slice by slice; the bytes stay right", async () => {
    const data = new Float32Array(64 * 1024).map((_, i) => i); // 256 KiB
    const tree = { big: new Tensor({ dtype: "float32", shape: [data.length], data }) };
    const out = join(dir, "sliced.pt");
    const seen: number[] = [];
    await saveCheckpoint(out, tree, {
      writeSliceBytes: 64 * 1024,
      onProgress: (e) => e.type === "file" && seen.push(e.bytes),
    });
    expect(seen).toEqual([65536, 131072, 196608, 262144]);
    const back = (await loadCheckpoint(out)) as { big: Tensor };
    expect(Buffer.from(back.big.bytes())).toEqual(Buffer.from(data.buffer));
    expect(
      Buffer.compare(
        await readFile(out),
        Buffer.from(await encodeCheckpoint(tree, { archiveName: "sliced" })),
      ),
    ).toBe(0);
    // Cancelled after the first slice: the save stops there and leaves no file.
    const controller = new AbortController();
    const reason = new Error("stop");
    const cancelled = join(dir, "sliced-cancelled.pt");
    const events: number[] = [];
    const save = saveCheckpoint(cancelled, tree, {
      writeSliceBytes: 64 * 1024,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type !== "file") return;
        events.push(e.bytes);
        controller.abort(reason);
      },
    });
    await expect(save).rejects.toBe(reason);
    expect(events).toEqual([65536]);
    await expect(readFile(cancelled)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("rejects values that are not state tree values", async () => {
    await expect(encodeCheckpoint({ f: (() => 1) as never })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(encodeCheckpoint({ d: new Date() as never })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });
});
