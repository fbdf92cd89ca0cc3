import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint, moduleStateDict, type Tensor } from "../../src/checkpoint/index.js";
import { python } from "./python.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ckpt-module-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Saves a nested module with torch and prints its state_dict keys and each tensor's sum. */
const SCRIPT = `
import json, sys, torch
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(4, 3, bias=False), torch.nn.BatchNorm1d(3), torch.nn.ReLU())
        self.head = torch.nn.Linear(3, 2)
        self.skip = None
        self.register_buffer("scale", torch.tensor([2.0]))
        self.register_buffer("cache", torch.zeros(2), persistent=False)
torch.manual_seed(0)
net = Net()
net.body[1].running_mean += 0.5
torch.save({"model": net}, sys.argv[1])
print(json.dumps([[k, float(v.double().sum())] for k, v in net.state_dict().items()]))
`;

describe("moduleStateDict", () => {
  it("gives the keys, order and values of PyTorch's state_dict() for a nested module", async () => {
    const file = join(dir, "net.pt");
    const result = await python(["-c", SCRIPT, file]);
    expect(result.stderr).toBe("");
    const expected = JSON.parse(result.stdout) as [string, number][];
    const tree = (await loadCheckpoint(file)) as Record<string, unknown>;
    const sd = moduleStateDict(tree.model as never) as Record<string, Tensor>;
    expect(Object.keys(sd)).toEqual(expected.map(([k]) => k));
    for (const [key, sum] of expected) {
      const values = (sd[key] as Tensor).toArray().map(Number);
      expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(sum, 4);
    }
  });

  it("rejects values that are not modules or state dicts", () => {
    expect(() => moduleStateDict([1, 2])).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });
});
