/**
 * Quantized, sparse and meta tensors (issue 23.6), from files torch 2.13 writes: read as plain data
 * (integers + scale/zero point, indices + values, shape + dtype), checked against torch's own view of
 * them, and saved back so that torch 2.13's default loader gives equal tensors. What is not read (packed
 * 4-bit quantized, nested tensors) is UNSUPPORTED naming the kind.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  loadCheckpoint,
  MetaTensor,
  QuantizedTensor,
  SparseTensor,
  saveCheckpoint,
  type Tensor,
} from "../../src/checkpoint/index.js";
import { torch2 } from "./torch2.js";

const WRITE = `
import sys, json, warnings, torch
warnings.simplefilter("ignore")
x = torch.tensor([[-1.0, 0.5, 2.0], [0.25, 3.0, -2.5]])
state = {
  "qt": torch.quantize_per_tensor(x, 0.1, 3, torch.quint8),
  "qc": torch.quantize_per_channel(x, torch.tensor([0.1, 0.2]), torch.tensor([0, 1]), 0, torch.qint8),
  "qc1": torch.quantize_per_channel(x, torch.tensor([0.5, 0.25, 0.125]), torch.tensor([1, 0, 2]), 1, torch.quint8),
  "q32": torch.quantize_per_tensor(x, 0.01, 0, torch.qint32),
  "qf": torch.quantize_per_channel(x, torch.tensor([0.1, 0.2]), torch.tensor([0.5, -1.0]), 0, torch.quint8),
  "qview": torch.quantize_per_tensor(x, 0.1, 3, torch.quint8)[:, 1:],
  "coo": torch.sparse_coo_tensor(torch.tensor([[0, 1], [2, 0]]), torch.tensor([3., 4.]), (2, 3)),
  "coalesced": torch.sparse_coo_tensor(torch.tensor([[0, 1]]), torch.tensor([5., 6.]), (4,)).coalesce(),
  "csr": x.to_sparse_csr(),
  "csc": x.to_sparse_csc(),
  "bsr": torch.arange(16.).reshape(4, 4).to_sparse_bsr((2, 2)),
  "meta": torch.empty(2, 3, device="meta"),
  "meta_h": torch.empty(5, dtype=torch.float16, device="meta").t(),
}
torch.save(state, sys.argv[1])
qt, qc, qc1, q32, qf = state["qt"], state["qc"], state["qc1"], state["q32"], state["qf"]
print(json.dumps({
  "qt": [qt.int_repr().flatten().tolist(), qt.dequantize().flatten().tolist()],
  "qc": [qc.int_repr().flatten().tolist(), qc.dequantize().flatten().tolist()],
  "qc1": [qc1.int_repr().flatten().tolist(), qc1.dequantize().flatten().tolist()],
  "qf": [qf.int_repr().flatten().tolist(), qf.dequantize().flatten().tolist(), str(qf.qscheme())],
  "q32": [q32.int_repr().flatten().tolist(), q32.dequantize().flatten().tolist()],
  "qview": [state["qview"].int_repr().flatten().tolist(), state["qview"].dequantize().flatten().tolist()],
  "csr": [t.tolist() for t in (state["csr"].crow_indices(), state["csr"].col_indices(), state["csr"].values())],
  "csc": [t.tolist() for t in (state["csc"].ccol_indices(), state["csc"].row_indices(), state["csc"].values())],
  "bsr": [state["bsr"].crow_indices().tolist(), state["bsr"].values().tolist()],
}))
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tensor-kinds-"));
}, 180_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const ints = (t: Tensor | undefined) => t?.toArray().map(Number);

it("reads quantized, sparse and meta tensors as data; torch 2.13 loads our re-save as equal tensors", async () => {
  const file = join(dir, "kinds.pt");
  const want = JSON.parse(await torch2(WRITE, [file])) as Record<string, (number[] | string)[]>;
  const s = (await loadCheckpoint(file)) as Record<string, unknown>;

  expect(want.qf?.[2]).toBe("torch.per_channel_affine_float_qparams");
  expect((s.qf as QuantizedTensor).scheme).toBe("per_channel_affine_float_qparams");
  for (const key of ["qt", "qc", "qc1", "q32", "qf", "qview"]) {
    const q = s[key] as QuantizedTensor;
    expect(q, key).toBeInstanceOf(QuantizedTensor);
    expect(ints(q.values), key).toEqual(want[key]?.[0]);
    expect([...q.dequantize()], key).toEqual(want[key]?.[1]);
  }
  const qt = s.qt as QuantizedTensor;
  expect([qt.dtype, qt.scheme, qt.scale, qt.zeroPoint, qt.shape]).toEqual([
    "quint8",
    "per_tensor_affine",
    0.1,
    3,
    [2, 3],
  ]);
  const qc = s.qc as QuantizedTensor;
  expect([qc.dtype, qc.scheme, qc.axis, qc.values.dtype]).toEqual(["qint8", "per_channel_affine", 0, "int8"]);
  expect((qc.scale as Tensor).toArray()).toEqual([Math.fround(0.1), Math.fround(0.2)]);
  expect((s.q32 as QuantizedTensor).values.dtype).toBe("int32");

  const coo = s.coo as SparseTensor;
  expect(coo).toBeInstanceOf(SparseTensor);
  expect([coo.layout, coo.shape, coo.isCoalesced]).toEqual(["sparse_coo", [2, 3], false]);
  expect(ints(coo.indices)).toEqual([0, 1, 2, 0]);
  expect(coo.indices?.shape).toEqual([2, 2]);
  expect(coo.values.toArray()).toEqual([3, 4]);
  expect((s.coalesced as SparseTensor).isCoalesced).toBe(true);
  for (const key of ["csr", "csc"]) {
    const t = s[key] as SparseTensor;
    expect([ints(t.compressedIndices), ints(t.plainIndices), t.values.toArray()], key).toEqual(want[key]);
  }
  const bsr = s.bsr as SparseTensor;
  expect([bsr.layout, ints(bsr.compressedIndices), bsr.values.shape]).toEqual([
    "sparse_bsr",
    want.bsr?.[0],
    [4, 2, 2],
  ]);

  expect(s.meta).toEqual(new MetaTensor("float32", [2, 3], [3, 1], false));
  expect(s.meta_h).toEqual(new MetaTensor("float16", [5], [1], false));

  const resaved = join(dir, "resaved.pt");
  await saveCheckpoint(resaved, s as Record<string, never>);
  const same = await torch2(
    `
import sys, warnings, torch
warnings.simplefilter("ignore")
a = torch.load(sys.argv[1])
b = torch.load(sys.argv[2])  # torch 2.13's default loader (weights_only)
out = []
for k, v in a.items():
    w = b[k]
    if v.is_quantized:
        ok = (w.is_quantized and w.qscheme() == v.qscheme() and w.dtype == v.dtype
              and torch.equal(w.int_repr(), v.int_repr()) and torch.equal(w.dequantize(), v.dequantize()))
    elif v.is_meta:
        ok = w.is_meta and w.shape == v.shape and w.stride() == v.stride() and w.dtype == v.dtype
    elif v.layout != torch.strided:
        ok = w.layout == v.layout and torch.equal(w.to_dense(), v.to_dense())
    else:
        ok = torch.equal(w, v)
    out.append(f"{k}={ok}")
print(" ".join(out))
`,
    [file, resaved],
  );
  expect(same.trim().split(" ")).toEqual(Object.keys(s).map((k) => `${k}=True`));
}, 180_000);

it("refuses packed 4-bit quantized and nested tensors with UNSUPPORTED naming the kind", async () => {
  const q4 = join(dir, "q4.pt");
  const nested = join(dir, "nested.pt");
  await torch2(
    `
import sys, warnings, torch
warnings.simplefilter("ignore")
torch.save({"q4": torch.quantize_per_tensor(torch.tensor([0., 1., 2., 3.]), 1.0, 0, torch.quint4x2)}, sys.argv[1])
torch.save({"n": torch.nested.nested_tensor([torch.ones(2), torch.ones(3)])}, sys.argv[2])
`,
    [q4, nested],
  );
  await expect(loadCheckpoint(q4)).rejects.toMatchObject({
    code: "UNSUPPORTED",
    message: expect.stringContaining("torch.quint4x2"),
  });
  await expect(loadCheckpoint(nested)).rejects.toMatchObject({
    code: "UNSUPPORTED",
    message: expect.stringContaining("nested tensor"),
  });
}, 180_000);
