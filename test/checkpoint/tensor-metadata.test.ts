/**
 * The 7th `_rebuild_tensor_v2` argument, as torch 2.13 writes it for conj and neg views (CPU tensors
 * too): applied, never ignored (issue 23.1: we returned un-conjugated and sign-flipped values), and any
 * key we do not understand is UNSUPPORTED. Files written by torch 2.13 itself.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadCheckpoint, saveCheckpoint, type Tensor } from "../../src/checkpoint/index.js";
import { torch2 } from "./torch2.js";

const VIEWS = `
import json, sys, torch
x = torch.tensor([1+2j, -3-4j, 0.5-0j], dtype=torch.complex64)
z = torch.tensor([1.25+2j, -3-4.5j], dtype=torch.complex128)
y = torch.tensor([1.5, -2.0, 0.0, float("inf")], dtype=torch.float32)
h = torch.tensor([[1.5, -2.0], [0.25, 8.0]], dtype=torch.float16)
b = torch.tensor([3.0, -0.5], dtype=torch.bfloat16)
sd = {
  "plain": x, "conj": x.conj(), "neg": torch._neg_view(y), "conj_neg": torch._neg_view(x).conj(),
  "conj128": z.conj(), "neg_half_t": torch._neg_view(h).t(), "neg_bf16": torch._neg_view(b),
  "conj_real": y.conj(),
}
torch.save(sd, sys.argv[1])
def plain(t):
  t = t.resolve_conj().resolve_neg()
  if t.is_complex(): return [[v.real, v.imag] for v in t.flatten().tolist()]
  return [float(v) if v == v and abs(v) != float("inf") else str(v) for v in t.flatten().float().tolist()]
print(json.dumps({k: {"shape": list(v.shape), "values": plain(v), "flags": [v.is_conj(), v.is_neg()]} for k, v in sd.items()}))
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tensor-metadata-"));
}, 180_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

function plainValues(tensor: Tensor): unknown[] {
  return tensor
    .toArray()
    .map((v) =>
      Array.isArray(v)
        ? v
        : Number.isFinite(v as number)
          ? Number(v)
          : String(v === Infinity ? "inf" : "-inf"),
    );
}

it("reads conj and neg views as torch 2.13 resolves them, and re-saves them resolved", async () => {
  const file = join(dir, "views.pt");
  const expected = JSON.parse(await torch2(VIEWS, [file])) as Record<
    string,
    { shape: number[]; values: unknown[]; flags: [boolean, boolean] }
  >;
  // The fixture really holds views (else this test would prove nothing).
  expect(expected.conj?.flags).toEqual([true, false]);
  expect(expected.neg?.flags).toEqual([false, true]);
  expect(expected.conj_neg?.flags).toEqual([true, true]);
  const state = (await loadCheckpoint(file)) as Record<string, Tensor>;
  for (const [key, want] of Object.entries(expected)) {
    const tensor = state[key] as Tensor;
    expect([key, tensor.shape]).toEqual([key, want.shape]);
    expect([key, plainValues(tensor)]).toEqual([key, want.values]);
  }
  // The base tensor shares its storage with the views: untouched.
  expect(plainValues(state.plain as Tensor)).toEqual(expected.plain?.values);
  // Saved back (resolved, no metadata), torch 2.13 reads the same values.
  const resaved = join(dir, "resaved.pt");
  await saveCheckpoint(resaved, state);
  const check = `
import json, sys, torch
sd = torch.load(sys.argv[1])
print(json.dumps({k: [[v.real, v.imag] for v in t.flatten().tolist()] if t.is_complex() else [str(v) for v in t.flatten().float().tolist()] for k, t in sd.items()}))
`;
  const back = JSON.parse(await torch2(check, [resaved])) as Record<string, unknown[]>;
  expect(back.conj).toEqual(expected.conj?.values);
  expect(back.neg).toEqual(["-1.5", "2.0", "-0.0", "-inf"]);
}, 180_000);

it("refuses tensor metadata it does not understand with UNSUPPORTED (never ignores it)", async () => {
  const file = join(dir, "unknown.pt");
  // torch.save asks torch._utils.get_tensor_metadata for the 7th argument: make it say something new.
  await torch2(
    `
import sys, torch
torch._utils.get_tensor_metadata = lambda t: {"future_bit": True}
torch.save({"w": torch.ones(2)}, sys.argv[1])
`,
    [file],
  );
  const error = await loadCheckpoint(file).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: "UNSUPPORTED" });
  expect(String((error as Error).message)).toMatch(/"future_bit"/);
}, 180_000);
