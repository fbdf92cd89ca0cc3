/**
 * A re-save keeps what it read (issue 23.9): frozenset stays frozenset, torch.Size and torch.device keep
 * their types, checked with torch 2.13 (its default weights_only loader where it allows them).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  FrozenSet,
  loadCheckpoint,
  saveCheckpoint,
  TorchDevice,
  TorchSize,
  Tuple,
} from "../../src/checkpoint/index.js";
import { torch2 } from "./torch2.js";

const WRITE = `
import sys, torch
torch.save({"size": torch.Size([2, 3]), "empty_size": torch.Size([]), "tup": (2, 3),
            "cuda0": torch.device("cuda", 0), "cpu": torch.device("cpu"), "cuda": torch.device("cuda"),
            "w": torch.ones(2)}, sys.argv[1])
torch.save({"fs": frozenset([1, "a"]), "s": {3}, "empty_fs": frozenset()}, sys.argv[2])
`;

const DESCRIBE = `
import sys, json, torch
def desc(v):
    if isinstance(v, (set, frozenset)): return [type(v).__name__, sorted(map(str, v))]
    if isinstance(v, torch.device): return [type(v).__name__, str(v)]
    if isinstance(v, torch.Tensor): return ["Tensor", v.tolist()]
    return [type(v).__name__, list(v)]
def load(path, mode):
    try:
        s = torch.load(path, weights_only=mode == "default")
    except Exception as e:
        return {"refused": type(e).__name__}
    return {k: desc(v) for k, v in s.items()}
args = sys.argv[1:]
print(json.dumps([load(args[i], args[i + 1]) for i in range(0, len(args), 2)]))
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "resave-types-"));
}, 180_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

it("keeps torch.Size, torch.device and frozenset through a load and a re-save", async () => {
  const [a, b, a2, b2] = ["a.pt", "b.pt", "a2.pt", "b2.pt"].map((f) => join(dir, f)) as [
    string,
    string,
    string,
    string,
  ];
  await torch2(WRITE, [a, b]);
  const s = (await loadCheckpoint(a)) as Record<string, unknown>;
  expect(s.size).toBeInstanceOf(TorchSize);
  expect([...(s.size as TorchSize)]).toEqual([2, 3]);
  expect(s.tup).toBeInstanceOf(Tuple);
  expect(s.tup).not.toBeInstanceOf(TorchSize);
  expect(s.cuda0).toEqual(new TorchDevice("cuda", 0));
  expect([String(s.cuda0), String(s.cpu), String(s.cuda)]).toEqual(["cuda:0", "cpu", "cuda"]);
  const t = (await loadCheckpoint(b)) as Record<string, unknown>;
  expect(t.fs).toBeInstanceOf(FrozenSet);
  // A Python set's order follows string hashing, randomised per process (PYTHONHASHSEED): compare members.
  expect([...(t.fs as Set<unknown>)].map(String).sort()).toEqual(["1", "a"]);
  expect(t.s).toBeInstanceOf(Set);
  expect(t.s).not.toBeInstanceOf(FrozenSet);

  await saveCheckpoint(a2, s as Record<string, never>);
  await saveCheckpoint(b2, t as Record<string, never>);
  const [original, resaved, bRefused, b2Refused, sets, sets2] = JSON.parse(
    await torch2(DESCRIBE, [
      a,
      "default",
      a2,
      "default",
      b,
      "default",
      b2,
      "default",
      b,
      "unsafe",
      b2,
      "unsafe",
    ]),
  );
  // torch.Size and torch.device are on torch's default (weights_only) allow-list: the re-save loads there
  expect(original.size).toEqual(["Size", [2, 3]]);
  expect(original.cuda0).toEqual(["device", "cuda:0"]);
  expect(resaved).toEqual(original);
  // frozenset is not (set is): torch refuses both files by default, and reads the same types without it
  expect([bRefused, b2Refused]).toEqual([{ refused: "UnpicklingError" }, { refused: "UnpicklingError" }]);
  expect(sets.fs).toEqual(["frozenset", ["1", "a"]]);
  expect(sets2).toEqual(sets);
}, 180_000);
