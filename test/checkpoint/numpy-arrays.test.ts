/**
 * NumPy arrays inside torch.save files (issue 23.2): every Hugging Face Trainer `rng_state.pth` holds
 * `np.random.get_state()`. Files written by torch 2.13 with numpy 2.x; our re-saves read back by it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadCheckpoint, saveCheckpoint } from "../../src/checkpoint/index.js";
import { NdArray } from "../../src/checkpoint/numpy-arrays.js";
import { Tuple } from "../../src/checkpoint/values.js";
import { torch2 } from "./torch2.js";

/** {key: [dtype (torch's name), shape, row-major values]}; 64-bit integers as strings. */
const DESCRIBE = `
import json, math, numpy as np, torch
def value(v):
  if isinstance(v, complex): return [v.real, v.imag]
  if isinstance(v, float) and not math.isfinite(v): return str(v)
  return v
def describe(arrays):
  out = {}
  for k, a in arrays.items():
    name = {"b": "bool", "c": "complex"}.get(a.dtype.kind, "") or ("u" if a.dtype.kind == "u" else "") + {"i": "int", "u": "int", "f": "float"}[a.dtype.kind]
    name = name if a.dtype.kind == "b" else name + str(a.dtype.itemsize * 8)
    vals = [value(v) for v in a.flatten(order="C").tolist()]
    if a.dtype.kind in "iu" and a.dtype.itemsize == 8: vals = [str(v) for v in vals]
    out[k] = [name, list(a.shape), vals]
  return out
`;

const WRITE = `${DESCRIBE}
import sys
np.random.seed(7)
state = {
  "rng": np.random.get_state(),
  "hist": np.arange(12, dtype=np.float32).reshape(3, 4),
  "fortran": np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)),
  "big_endian": np.array([1.5, -2.25, float("inf")], dtype=">f8"),
  "big_endian_fortran": np.asfortranarray(np.arange(6, dtype=">u2").reshape(3, 2)),
  "zero_d": np.array(-5, dtype=np.int16),
  "empty": np.zeros((0, 3), dtype=np.float64),
  "flags": np.array([True, False, True]),
  "half": np.array([0.5, -65504, 1e-7], dtype=np.float16),
  "c16": np.array([1 + 2j, -3.5j], dtype=np.complex128),
  "c8": np.array([[0.25 - 1j]], dtype=np.complex64),
  "u64": np.array([2**64 - 1, 0], dtype=np.uint64),
  "i64": np.array([-(2**63), 2**53 + 1], dtype=np.int64),
  "i8": np.array([-128, 127], dtype=np.int8), "u8": np.array([255], dtype=np.uint8),
  "u32": np.array([2**32 - 1], dtype=np.uint32), "f64_3d": np.linspace(0, 1, 24).reshape(2, 3, 4),
  "strided": np.arange(10, dtype=np.float32)[::3],
}
torch.save(state, sys.argv[1])
arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
arrays["rng_keys"] = state["rng"][1]
print(json.dumps({"arrays": describe(arrays), "rng": [state["rng"][0], *state["rng"][2:]]}))
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "numpy-arrays-"));
}, 180_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

function describe(a: NdArray): [string, readonly number[], unknown[]] {
  const values = a.toArray().map((v) => {
    if (typeof v === "bigint") return String(v);
    if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
    return v;
  });
  return [a.dtype, a.shape, values];
}

it("reads NumPy arrays (rng state, dtypes, Fortran order, big-endian, 0-d, empty) as torch 2.13 saves them", async () => {
  const file = join(dir, "arrays.pt");
  const expected = JSON.parse(await torch2(WRITE, [file])) as {
    arrays: Record<string, [string, number[], unknown[]]>;
    rng: unknown[];
  };
  const state = (await loadCheckpoint(file)) as Record<string, unknown>;
  const rng = state.rng as Tuple;
  expect(rng).toBeInstanceOf(Tuple);
  expect([rng[0], +(rng[2] as number), +(rng[3] as number), +(rng[4] as number)]).toEqual(expected.rng);
  const arrays: Record<string, NdArray> = { rng_keys: rng[1] as unknown as NdArray };
  for (const [key, value] of Object.entries(state)) if (value instanceof NdArray) arrays[key] = value;
  expect(Object.keys(arrays).sort()).toEqual(Object.keys(expected.arrays).sort());
  for (const [key, want] of Object.entries(expected.arrays)) {
    expect([key, ...describe(arrays[key] as NdArray)]).toEqual([key, ...want]);
  }
  expect((state.fortran as NdArray).fortranOrder).toBe(true);
  expect((rng[1] as unknown as NdArray).data).toBeInstanceOf(Uint32Array);

  // Saved back: torch 2.13 (weights_only=False) reads the same arrays, and the same rng state.
  const resaved = join(dir, "resaved.pt");
  await saveCheckpoint(resaved, state as Record<string, never>);
  const back = JSON.parse(
    await torch2(
      `${DESCRIBE}
import sys, warnings
warnings.simplefilter("error")
state = torch.load(sys.argv[1], weights_only=False)
np.random.set_state(state["rng"])
arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
arrays["rng_keys"] = state["rng"][1]
print(json.dumps({"arrays": describe(arrays), "rng": [state["rng"][0], *state["rng"][2:]], "next": np.random.random()}))
`,
      [resaved],
    ),
  ) as typeof expected & { next: number };
  expect(back.arrays).toEqual(expected.arrays);
  expect(back.rng).toEqual(expected.rng);
  const next = await torch2("import numpy as np; np.random.seed(7); print(np.random.random())");
  expect(back.next).toBe(Number(next));
}, 180_000);

it("torch 2.13's default torch.load refuses NumPy arrays (its own files and our re-saves alike)", async () => {
  const file = join(dir, "rng.pt");
  const resaved = join(dir, "rng-resaved.pt");
  await torch2("import sys, numpy as np, torch; torch.save({'rng': np.random.get_state()}, sys.argv[1])", [
    file,
  ]);
  await saveCheckpoint(resaved, await loadCheckpoint(file));
  const out = await torch2(
    `
import sys, torch
for f in sys.argv[1:]:
  try:
    torch.load(f); print("loaded")
  except Exception as e:
    print("refused" if "Weights only load failed" in str(e) else repr(e))
`,
    [file, resaved],
  );
  expect(out.trim().split("\n")).toEqual(["refused", "refused"]);
}, 180_000);

it("builds an NdArray that numpy reads", async () => {
  const file = join(dir, "built.pt");
  const a = new NdArray({ dtype: "float32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4.5]) });
  await saveCheckpoint(file, {
    a,
    zero: new NdArray({ dtype: "uint64", shape: [], data: new BigUint64Array([9n]) }),
  });
  const out = await torch2(
    `
import sys, torch, numpy as np
s = torch.load(sys.argv[1], weights_only=False)
print(s["a"].dtype, s["a"].shape, s["a"].tolist(), s["zero"].dtype, s["zero"].shape, int(s["zero"]))
`,
    [file],
  );
  expect(out.trim()).toBe("float32 (2, 2) [[1.0, 2.0], [3.0, 4.5]] uint64 () 9");
  expect(() => new NdArray({ dtype: "bfloat16", shape: [1], data: new Uint16Array(1) })).toThrow(
    /NumPy has no dtype/,
  );
}, 180_000);

it("refuses object, string and structured NumPy arrays with UNSUPPORTED naming the dtype", async () => {
  const files = ["object", "unicode", "structured"].map((n) => join(dir, `${n}.pt`));
  await torch2(
    `
import sys, numpy as np, torch
torch.save({"a": np.array([1, "x"], dtype=object)}, sys.argv[1])
torch.save({"a": np.array(["ab"])}, sys.argv[2])
torch.save({"a": np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")])}, sys.argv[3])
`,
    files,
  );
  const messages: string[] = [];
  for (const file of files) {
    const error = await loadCheckpoint(file).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNSUPPORTED" });
    messages.push(String((error as Error).message));
  }
  expect(messages[0]).toMatch(/object array \(dtype 'O'\)/);
  expect(messages[1]).toMatch(/dtype 'U2'/);
  expect(messages[2]).toMatch(/structured/);
}, 180_000);
