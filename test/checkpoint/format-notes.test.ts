/**
 * The format facts docs/checkpoints.md states where torch 2.13 contradicts older notes (issue 23),
 * measured with torch 2.13: pickle protocol 4 fails in the default loader ("Unsupported operand 149"),
 * frozenset and numpy scalars are not on its allow-list, and the 7th `_rebuild_tensor_v2` argument
 * occurs on CPU tensors. We read all of these files.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FrozenSet, loadCheckpoint, type Tensor } from "../../src/checkpoint/index.js";
import { torch2 } from "./torch2.js";

const SCRIPT = `
import sys, json, warnings, torch, numpy as np
warnings.simplefilter("ignore")
p4, fs, npy, conj = sys.argv[1:5]
torch.save({"w": torch.tensor([1.0, 2.0])}, p4, pickle_protocol=4)
torch.save({"s": frozenset([1])}, fs)
torch.save({"x": np.float64(0.5)}, npy)
torch.save({"z": torch.tensor([1 + 2j]).conj()}, conj)
def default_load(path):
    try:
        torch.load(path)
        return "ok"
    except Exception as e:
        return next((l.strip() for l in str(e).splitlines() if "Unsupported" in l), type(e).__name__)
print(json.dumps({k: default_load(v) for k, v in zip(["p4", "fs", "npy", "conj"], sys.argv[1:5])}))
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "format-notes-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it("torch 2.13's default loader: protocol 4 fails, frozenset and numpy scalars are refused; we read them", async () => {
  const [p4, fs, npy, conj] = ["p4.pt", "fs.pt", "np.pt", "conj.pt"].map((f) => join(dir, f)) as [
    string,
    string,
    string,
    string,
  ];
  const result = JSON.parse(await torch2(SCRIPT, [p4, fs, npy, conj])) as Record<string, string>;
  expect(result.p4).toContain("Unsupported operand 149"); // FRAME (0x95): not "only a warning"
  expect(result.fs).toContain("GLOBAL frozenset was not an allowed global");
  expect(result.npy).toContain("numpy._core.multiarray.scalar was not an allowed global");
  expect(result.conj).toBe("ok");
  // the conj bit of a CPU tensor is the 7th _rebuild_tensor_v2 argument, {'conj': True}
  expect((await readFile(conj)).includes(Buffer.from("X\u0004\u0000\u0000\u0000conj"))).toBe(true);

  expect(((await loadCheckpoint(p4)) as { w: Tensor }).w.toArray()).toEqual([1, 2]);
  expect(((await loadCheckpoint(fs)) as { s: unknown }).s).toEqual(new FrozenSet([1]));
  expect(((await loadCheckpoint(npy)) as { x: unknown }).x).toBe(0.5);
  expect(((await loadCheckpoint(conj)) as { z: Tensor }).z.toArray()).toEqual([[1, -2]]);
}, 180_000);
