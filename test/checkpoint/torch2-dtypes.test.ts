/**
 * The dtypes only torch 2.x saves (issue 23.3): `_rebuild_tensor_v3` on an `UntypedStorage` with a dtype
 * global (float8, uint16/32/64, complex32, float4_e2m1fn_x2), and the same dtypes in safetensors. Files
 * written by torch 2.13; our re-saves read back by torch 2.13 with equal bits.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  loadCheckpoint,
  loadSafetensors,
  saveCheckpoint,
  saveSafetensors,
  Tensor,
} from "../../src/checkpoint/index.js";
import { torch2 } from "./torch2.js";

/** Prints {key: {dtype, shape, hex, values}} of a state dict (values: `.float()` for float8). */
const DESCRIBE = `
import json, math, torch
def describe(sd):
  out = {}
  for k, t in sd.items():
    c = t.detach().clone().contiguous()
    values = None
    if c.dtype in (torch.float8_e4m3fn, torch.float8_e5m2, torch.float8_e4m3fnuz, torch.float8_e5m2fnuz, torch.float8_e8m0fnu):
      values = [v if math.isfinite(v) else str(v) for v in c.float().flatten().tolist()]
    if c.dtype == torch.complex32:
      values = [[v.real, v.imag] for v in c.to(torch.complex64).flatten().tolist()]
    out[k] = {"dtype": str(c.dtype).removeprefix("torch."), "shape": list(c.shape), "hex": bytes(c.untyped_storage()).hex(), "values": values,
              "param": isinstance(t, torch.nn.Parameter)}
  return out
`;

const WRITE = `${DESCRIBE}
import sys
bits = torch.arange(256, dtype=torch.int32).to(torch.uint8)
u64 = torch.tensor([1, 3, -1], dtype=torch.int64).view(torch.uint64)
sd = {
  "e4m3fn": bits.clone().view(torch.float8_e4m3fn), "e5m2": bits.clone().view(torch.float8_e5m2),
  "e4m3fnuz": bits.clone().view(torch.float8_e4m3fnuz), "e5m2fnuz": bits.clone().view(torch.float8_e5m2fnuz),
  "e8m0": bits.clone().view(torch.float8_e8m0fnu), "f4x2": bits[:6].clone().view(torch.float4_e2m1fn_x2).reshape(2, 3),
  "u16": torch.tensor([0, 1, 65535], dtype=torch.int32).to(torch.uint16),
  "u32": torch.tensor([0, 7, 2**32 - 1], dtype=torch.int64).to(torch.uint32).reshape(3, 1),
  "u64": u64, "u64_slice": u64[1:],
  "c32": torch.tensor([1 + 2j, -0.5 - 65504j, 0j], dtype=torch.complex64).to(torch.complex32),
  "f8_t": torch.tensor([[1.0, -2.0], [0.5, 448.0]]).to(torch.float8_e4m3fn).t(),
  "f8_param": torch.nn.Parameter(torch.tensor([0.25, -3.0]).to(torch.float8_e5m2), requires_grad=False),
  "u16_0d": torch.tensor(40000, dtype=torch.int32).to(torch.uint16),
  "f32": torch.tensor([1.5]),
}
torch.save(sd, sys.argv[1])
print(json.dumps(describe(sd)))
`;

const READ = `${DESCRIBE}
import sys
print(json.dumps(describe(torch.load(sys.argv[1]))))
`;

type Described = Record<
  string,
  { dtype: string; shape: number[]; hex: string; values: unknown[] | null; param: boolean }
>;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "torch2-dtypes-"));
}, 180_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

function hex(t: Tensor): string {
  return Buffer.from(t.bytes()).toString("hex");
}

function plain(t: Tensor): unknown[] {
  return t
    .toArray()
    .map((v) =>
      typeof v === "number" && !Number.isFinite(v)
        ? String(Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf")
        : v,
    );
}

it("reads torch 2.13's float8, uint16/32/64, complex32 and float4 tensors bit for bit, and re-saves them", async () => {
  const file = join(dir, "dtypes.pt");
  const expected = JSON.parse(await torch2(WRITE, [file])) as Described;
  const state = (await loadCheckpoint(file)) as Record<string, Tensor>;
  for (const [key, want] of Object.entries(expected)) {
    const t = state[key] as Tensor;
    expect([key, t.dtype, t.shape, hex(t), t.isParameter]).toEqual([
      key,
      want.dtype,
      want.shape,
      want.hex,
      want.param,
    ]);
    if (want.values !== null) expect([key, plain(t)]).toEqual([key, want.values]);
  }
  expect(state.u64?.toArray()).toEqual([1n, 3n, 2n ** 64n - 1n]);
  expect(state.u64_slice?.storage).toBe(state.u64?.storage); // a view of one untyped storage
  expect(state.u32?.data).toBeInstanceOf(Uint32Array);

  const resaved = join(dir, "resaved.pt");
  await saveCheckpoint(resaved, state);
  const back = JSON.parse(await torch2(READ, [resaved])) as Described;
  expect(back).toEqual(expected);
}, 180_000);

it("builds new tensors of the torch 2.x dtypes that torch 2.13 loads", async () => {
  const file = join(dir, "built.pt");
  await saveCheckpoint(file, {
    u64: new Tensor({ dtype: "uint64", shape: [2], data: new BigUint64Array([5n, 2n ** 64n - 2n]) }),
    e5m2: new Tensor({ dtype: "float8_e5m2", shape: [1, 2], data: new Uint8Array([0x3c, 0xfc]) }),
  });
  const back = JSON.parse(await torch2(READ, [file])) as Described;
  expect(back.u64).toMatchObject({ dtype: "uint64", shape: [2], hex: "0500000000000000feffffffffffffff" });
  expect(back.e5m2).toMatchObject({ dtype: "float8_e5m2", shape: [1, 2], values: [1, "-inf"] });
}, 180_000);

it("refuses a torch dtype it does not read, and packed 4-bit quantized storages, with UNSUPPORTED naming them", async () => {
  const bits8 = join(dir, "bits8.pt");
  const quantized = join(dir, "quantized.pt");
  await torch2(
    `
import sys, torch, warnings
warnings.simplefilter("ignore")
torch.save({"x": torch.empty(2, dtype=torch.bits8)}, sys.argv[1])
torch.save({"q": torch.quantize_per_tensor(torch.ones(2), 0.1, 0, torch.quint4x2)}, sys.argv[2])
`,
    [bits8, quantized],
  );
  const e1 = await loadCheckpoint(bits8).catch((e: unknown) => e);
  expect(e1).toMatchObject({ code: "UNSUPPORTED" });
  expect(String((e1 as Error).message)).toMatch(/torch\.bits8/);
  const e2 = await loadCheckpoint(quantized).catch((e: unknown) => e);
  expect(e2).toMatchObject({ code: "UNSUPPORTED" });
  expect(String((e2 as Error).message)).toMatch(/torch\.quint4x2/); // quint8/qint8/qint32 are read: tensor-kinds.test.ts
}, 180_000);

const ST_WRITE = `
import sys, json, torch
from safetensors.torch import save_file
bits = torch.arange(256, dtype=torch.int32).to(torch.uint8)
sd = {"e4m3": bits.clone().view(torch.float8_e4m3fn), "e5m2": bits.clone().view(torch.float8_e5m2).reshape(16, 16),
      "e4m3fnuz": bits.clone().view(torch.float8_e4m3fnuz), "e5m2fnuz": bits.clone().view(torch.float8_e5m2fnuz),
      "e8m0": bits.clone().view(torch.float8_e8m0fnu), "f4": bits[:8].clone().view(torch.float4_e2m1fn_x2).reshape(2, 4),
      "u16": torch.tensor([1, 65535], dtype=torch.int32).to(torch.uint16),
      "u32": torch.tensor([2**32 - 1], dtype=torch.int64).to(torch.uint32),
      "u64": torch.tensor([2**62], dtype=torch.int64).to(torch.uint64)}
save_file(sd, sys.argv[1])
print(json.dumps({k: [str(t.dtype).removeprefix("torch."), list(t.shape), bytes(t.contiguous().untyped_storage()).hex()] for k, t in sd.items()}))
`;

const ST_READ = `
import sys, json, torch
from safetensors.torch import load_file
sd = load_file(sys.argv[1])
print(json.dumps({k: [str(t.dtype).removeprefix("torch."), list(t.shape), bytes(t.contiguous().untyped_storage()).hex()] for k, t in sd.items()}))
`;

it("reads and writes the same dtypes in safetensors (F8_*, F4, U16/U32/U64) as safetensors 0.8 does", async () => {
  const file = join(dir, "dtypes.safetensors");
  const expected = JSON.parse(await torch2(ST_WRITE, [file])) as Record<string, [string, number[], string]>;
  const { tensors } = await loadSafetensors(file);
  for (const [key, [dtype, shape, bytes]] of Object.entries(expected)) {
    const t = tensors[key] as Tensor;
    expect([key, t.dtype, t.shape, hex(t)]).toEqual([key, dtype, shape, bytes]);
  }
  const resaved = join(dir, "resaved.safetensors");
  await saveSafetensors(resaved, tensors);
  expect(JSON.parse(await torch2(ST_READ, [resaved]))).toEqual(expected);

  const c32 = new Tensor({ dtype: "complex32", shape: [1], data: new Uint16Array(2) });
  await expect(saveSafetensors(join(dir, "c32.safetensors"), { c32 })).rejects.toMatchObject({
    code: "UNSUPPORTED",
  });
}, 180_000);
