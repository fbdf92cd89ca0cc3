import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint, saveCheckpoint } from "../../src/checkpoint/index.js";
import { FIXTURES_DIR, toFixtureJson } from "./fixture-json.js";
import { python } from "./python.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ckpt-proto-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** torch.save with the given keyword arguments; prints verify_load's JSON encoding of torch.load's result. */
const SCRIPT = `
import collections, json, sys, torch
import numpy as np
sys.path.insert(0, sys.argv[1])
import verify_load
torch.manual_seed(1)
base = torch.arange(12, dtype=torch.float64).reshape(3, 4)
obj = {
    "views": [base, base.t(), base[1:, ::2]],
    "half": torch.randn(5).half(), "ids": torch.arange(4),
    "nested": {"t": (1, 2.5, None, "x" * 300), 7: [True, -2**40], "od": collections.OrderedDict(a=1)},
    "module": torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2)),
    "set": {1, 2}, "bytes": b"\\x00\\xff",
    "numpy": [np.float64(0.5), np.float32(2.0), np.int64(-3), np.uint8(200), np.bool_(True), np.int64(2**60)],
}
kwargs = json.loads(sys.argv[3])
torch.save(obj, sys.argv[2], **kwargs)
loaded = torch.load(sys.argv[2], weights_only=False)
loaded["numpy"] = [x.item() for x in loaded["numpy"]]  # the encoder knows Python numbers, not numpy's
value, _ = verify_load.encode_value(loaded)
print(json.dumps(value))
`;

const ENCODE = `
import json, sys, torch
sys.path.insert(0, sys.argv[1])
import verify_load
print(json.dumps(verify_load.encode_value(torch.load(sys.argv[2], weights_only=False))[0]))
`;

describe("torch.save variants", () => {
  const variants: Record<string, object> = {
    "pickle protocol 4": { pickle_protocol: 4 },
    "pickle protocol 3": { pickle_protocol: 3 },
    "legacy format, protocol 2": { _use_new_zipfile_serialization: false },
  };
  for (const [name, kwargs] of Object.entries(variants)) {
    it(`reads ${name} exactly as torch.load does`, async () => {
      const file = join(dir, `${name.replace(/\W+/g, "_")}.pt`);
      const result = await python(["-c", SCRIPT, FIXTURES_DIR, file, JSON.stringify(kwargs)]);
      expect(result.stderr).toBe("");
      const value = await loadCheckpoint(file);
      expect(toFixtureJson(value)).toEqual(JSON.parse(result.stdout));
      // and what we write back (module, set and bytes included) loads in torch to the same value
      const again = join(dir, "again.pt");
      await saveCheckpoint(again, value);
      const reloaded = await python(["-c", ENCODE, FIXTURES_DIR, again]);
      expect(reloaded.stderr).toBe("");
      expect(JSON.parse(reloaded.stdout)).toEqual(JSON.parse(result.stdout));
    });
  }
});
