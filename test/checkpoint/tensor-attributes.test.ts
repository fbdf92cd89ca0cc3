/**
 * Tensors with Python attributes and tensor subclasses (issue 23.5): torch 2.13 saves them through
 * `_rebuild_from_type_v2` and `_rebuild_parameter_with_state`. The tensor is read, its attributes kept as
 * inert data (the subclass is never run), and a re-save gives torch the same tensors and attributes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadCheckpoint, saveCheckpoint, Tensor } from "../../src/checkpoint/index.js";
import { torch2 } from "./torch2.js";

const WRITE = `
import sys, torch
class Scaled(torch.Tensor):
    pass
p = torch.nn.Parameter(torch.arange(4.))
p.my_attr = "hello"
p.ids = [1, 2]
t = torch.arange(3.)
t.note = {"a": 1}
s = torch.tensor([[1., 2.], [3., 4.]]).as_subclass(Scaled)
s.factor = 0.5
bare = torch.tensor([7, 8]).as_subclass(Scaled)
frozen = torch.nn.Parameter(torch.ones(2), requires_grad=False)
frozen.tag = None
torch.save({"p": p, "t": t, "frozen": frozen, "plain": torch.zeros(1)}, sys.argv[1])
torch.save({"s": s, "bare": bare}, sys.argv[2])
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tensor-attrs-"));
}, 180_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

it("keeps a Parameter's and a tensor's Python attributes as data; torch reads them back from a re-save", async () => {
  const attrs = join(dir, "attrs.pt");
  await torch2(WRITE, [attrs, join(dir, "sub.pt")]);
  const s = (await loadCheckpoint(attrs)) as Record<string, Tensor>;
  const { p, t, frozen, plain } = s as Record<string, Tensor>;
  expect(p).toBeInstanceOf(Tensor);
  expect(p?.toArray()).toEqual([0, 1, 2, 3]);
  expect([p?.isParameter, p?.requiresGrad]).toEqual([true, true]);
  expect(p?.attributes).toEqual({ my_attr: "hello", ids: [1, 2] });
  expect(t?.toArray()).toEqual([0, 1, 2]);
  expect([t?.isParameter, t?.subclass]).toEqual([false, undefined]);
  expect(t?.attributes).toEqual({ note: { a: 1 } });
  expect([frozen?.isParameter, frozen?.requiresGrad, frozen?.attributes]).toEqual([
    true,
    false,
    { tag: null },
  ]);
  expect(plain?.attributes).toBeUndefined();

  const resaved = join(dir, "attrs-resaved.pt");
  await saveCheckpoint(resaved, s);
  const back = await torch2(
    `
import sys, json, torch
s = torch.load(sys.argv[1])  # torch 2.13's default loader (weights_only)
p, t, f = s["p"], s["t"], s["frozen"]
print(json.dumps([type(p).__name__, p.tolist(), p.requires_grad, p.my_attr, p.ids,
                  type(t).__name__, t.tolist(), t.note, f.requires_grad, f.tag, hasattr(s["plain"], "note")]))
`,
    [resaved],
  );
  expect(JSON.parse(back)).toEqual([
    "Parameter",
    [0, 1, 2, 3],
    true,
    "hello",
    [1, 2],
    "Tensor",
    [0, 1, 2],
    { a: 1 },
    false,
    null,
    false,
  ]);
}, 180_000);

it("reads a tensor subclass as a plain tensor naming the class, never running it; refuses it with allowObjects: false", async () => {
  const sub = join(dir, "sub2.pt");
  await torch2(WRITE, [join(dir, "attrs2.pt"), sub]);
  const s = (await loadCheckpoint(sub)) as Record<string, Tensor>;
  expect(s.s?.toArray()).toEqual([1, 2, 3, 4]);
  expect(s.s?.shape).toEqual([2, 2]);
  expect(s.s?.subclass).toBe("__main__.Scaled");
  expect(s.s?.attributes).toEqual({ factor: 0.5 });
  expect(s.bare?.subclass).toBe("__main__.Scaled");
  expect(s.bare?.attributes).toBeUndefined();
  expect(s.bare?.toArray()).toEqual([7n, 8n]);
  // torch.load(weights_only=True) refuses the unknown class; so does allowObjects: false
  await expect(loadCheckpoint(sub, { allowObjects: false })).rejects.toMatchObject({
    code: "CHECKPOINT_INVALID",
    message: expect.stringContaining("__main__.Scaled"),
  });

  // Saved back under the same class: torch (with the class defined) gets the subclass and attributes.
  const resaved = join(dir, "sub-resaved.pt");
  await saveCheckpoint(resaved, s);
  const back = await torch2(
    `
import sys, json, torch, __main__
class Scaled(torch.Tensor):
    pass
__main__.Scaled = Scaled
s = torch.load(sys.argv[1], weights_only=False)
print(json.dumps([type(s["s"]).__name__, s["s"].tolist(), s["s"].factor, type(s["bare"]).__name__, s["bare"].tolist()]))
`,
    [resaved],
  );
  expect(JSON.parse(back)).toEqual([
    "Scaled",
    [
      [1, 2],
      [3, 4],
    ],
    0.5,
    "Scaled",
    [7, 8],
  ]);
}, 180_000);
