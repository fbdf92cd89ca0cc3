import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint, loadSafetensors, saveSafetensors, Tensor } from "../../src/checkpoint/index.js";
import { FIXTURES_DIR, toFixtureJson } from "./fixture-json.js";
import { python } from "./python.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ckpt-st-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Reads a safetensors file with the standard library + torch (no safetensors package) and prints JSON. */
const PY_READ = `
import json, struct, sys, torch
DT = {"F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32, "F64": torch.float64, "I8": torch.int8,
      "U8": torch.uint8, "I16": torch.int16, "I32": torch.int32, "I64": torch.int64, "BOOL": torch.bool,
      "C64": torch.complex64, "C128": torch.complex128}
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
assert n % 8 == 0, "header not padded to 8 bytes"
header = json.loads(data[8:8 + n])
out = {"__metadata__": header.pop("__metadata__", {})}
for name, e in header.items():
    b, end = e["data_offsets"]
    raw = bytearray(data[8 + n + b:8 + n + end])
    t = torch.frombuffer(raw, dtype=DT[e["dtype"]]) if raw else torch.empty(0, dtype=DT[e["dtype"]])
    t = t.reshape(e["shape"])
    out[name] = {"dtype": e["dtype"], "shape": list(t.shape), "sum": float(t.double().sum()) if not t.is_complex() else None}
print(json.dumps(out, sort_keys=True))
`;

describe("safetensors", () => {
  it("round-trips every dtype, views and metadata", async () => {
    const fixture = (await loadCheckpoint(`${FIXTURES_DIR}b_dtypes.pt`)) as Record<string, Tensor>;
    const views = (await loadCheckpoint(`${FIXTURES_DIR}c_views.pt`)) as Record<string, Tensor>;
    // complex128 has no safetensors dtype the reference implementation knows: refused (below).
    const complex128 = Object.entries(fixture).filter(([, t]) => t.dtype === "complex128");
    expect(complex128.length).toBeGreaterThan(0);
    for (const [name, t] of complex128) {
      await expect(saveSafetensors(join(dir, "c128.safetensors"), { [name]: t })).rejects.toMatchObject({
        code: "UNSUPPORTED",
      });
    }
    const tensors = {
      ...Object.fromEntries(Object.entries(fixture).filter(([, t]) => t.dtype !== "complex128")),
      transposed: views.transposed as Tensor,
      expanded: views.expanded as Tensor,
    };
    const out = join(dir, "all.safetensors");
    await saveSafetensors(out, tensors, { metadata: { format: "pt" } });
    const back = await loadSafetensors(out);
    expect(back.metadata).toEqual({ format: "pt" });
    expect(Object.keys(back.tensors)).toEqual(Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      const got = back.tensors[name] as Tensor;
      expect(got.shape).toEqual(t.shape);
      expect(toFixtureJson(got.toArray() as never)).toEqual(toFixtureJson(t.toArray() as never));
    }
  });

  it("writes files a torch reader of the spec accepts", async () => {
    const out = join(dir, "py.safetensors");
    const w = new Tensor({ dtype: "float32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) });
    const ids = new Tensor({ dtype: "int64", shape: [2], data: new BigInt64Array([7n, -9n]) });
    await saveSafetensors(out, { w, ids }, { metadata: { epoch: "3" } });
    const result = await python(["-c", PY_READ, out]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({
      __metadata__: { epoch: "3" },
      ids: { dtype: "I64", shape: [2], sum: -2 },
      w: { dtype: "F32", shape: [2, 3], sum: 21.5 },
    });
  });

  it("reads a file written from Python by the spec", async () => {
    const out = join(dir, "from-py.safetensors");
    const script = `
import json, struct, sys, torch
a = torch.arange(6, dtype=torch.float16).reshape(3, 2)
b = torch.tensor([True, False])
blob = a.numpy().tobytes() + b.numpy().tobytes()
h = json.dumps({"a": {"dtype": "F16", "shape": [3, 2], "data_offsets": [0, 12]},
                "b": {"dtype": "BOOL", "shape": [2], "data_offsets": [12, 14]}}).encode()
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + blob)
`;
    const result = await python(["-c", script, out]);
    expect(result.stderr).toBe("");
    const { tensors } = await loadSafetensors(await readFile(out));
    expect(tensors.a?.toArray()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(tensors.a?.shape).toEqual([3, 2]);
    expect(tensors.b?.toArray()).toEqual([true, false]);
  });

  it("rejects offsets beyond the data and mismatched shapes", async () => {
    const make = (entry: object) => {
      const h = new TextEncoder().encode(JSON.stringify({ x: entry }));
      const bytes = new Uint8Array(8 + h.byteLength + 16);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(h.byteLength), true);
      bytes.set(h, 8);
      return bytes;
    };
    const invalid = { code: "CHECKPOINT_INVALID" };
    await expect(
      loadSafetensors(make({ dtype: "F32", shape: [8], data_offsets: [0, 32] })),
    ).rejects.toMatchObject(invalid);
    await expect(
      loadSafetensors(make({ dtype: "F32", shape: [2 ** 40], data_offsets: [0, 16] })),
    ).rejects.toMatchObject(invalid);
    await expect(
      loadSafetensors(make({ dtype: "X9", shape: [1], data_offsets: [0, 4] })),
    ).rejects.toMatchObject(invalid);
    expect(
      (await loadSafetensors(make({ dtype: "F32", shape: [4], data_offsets: [0, 16] }))).tensors.x?.numel,
    ).toBe(4);
  });
});
