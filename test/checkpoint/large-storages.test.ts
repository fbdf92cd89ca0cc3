/**
 * Storages large enough for the fast paths: the writer's one-write-per-storage with its CRC computed
 * beside the write, and the reader's split reads (parts read at the same time into one buffer). Every
 * byte is checked, against torch 2.13 and Python's zipfile (which checks each record's CRC-32).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadCheckpoint, saveCheckpoint, Tensor } from "../../src/checkpoint/index.js";
import { torch2 } from "./torch2.js";

/** Odd sizes: the parts of a split read and the records' offsets do not fall on round boundaries. */
const BIG = (24 << 20) + 13;
const SMALL = 1001;

/** Byte i of storage `seed`: the same formula in Python below. */
function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = ((i % 251) * 7 + seed + Math.floor(i / 4099)) & 255;
  return out;
}
const PY_PATTERN = `
import torch
def pattern(n, seed):
    i = torch.arange(n, dtype=torch.int64)
    return (((i % 251) * 7 + seed + i // 4099) & 255).to(torch.uint8)
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ckpt-large-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("reads every byte of torch 2.13's large storages, from a path (split reads) and from bytes", async () => {
  const path = join(dir, "torch.pt");
  await torch2(
    `${PY_PATTERN}
import sys
torch.save({"small": pattern(${SMALL}, 1), "big": pattern(${BIG}, 2), "big2": pattern(${BIG} + 8, 3)}, sys.argv[1])`,
    [path],
  );
  const fromPath = (await loadCheckpoint(path)) as Record<string, Tensor>;
  const fromBytes = (await loadCheckpoint(await readFile(path))) as Record<string, Tensor>;
  for (const tree of [fromPath, fromBytes]) {
    expect(Buffer.compare(Buffer.from(tree.small?.bytes() ?? []), Buffer.from(pattern(SMALL, 1)))).toBe(0);
    expect(Buffer.compare(Buffer.from(tree.big?.bytes() ?? []), Buffer.from(pattern(BIG, 2)))).toBe(0);
    expect(Buffer.compare(Buffer.from(tree.big2?.bytes() ?? []), Buffer.from(pattern(BIG + 8, 3)))).toBe(0);
  }
});

it("writes large storages that torch 2.13 loads byte for byte, with CRCs Python's zipfile accepts", async () => {
  const path = join(dir, "ours.pt");
  const u8 = (data: Uint8Array) => new Tensor({ dtype: "uint8", shape: [data.length], data });
  await saveCheckpoint(path, {
    small: u8(pattern(SMALL, 1)),
    big: u8(pattern(BIG, 2)),
    big2: u8(pattern(BIG + 8, 3)),
  });
  const out = await torch2(
    `${PY_PATTERN}
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
assert bad is None, f"CRC-32 of {bad} is wrong"
state = torch.load(sys.argv[1])
assert torch.equal(state["small"], pattern(${SMALL}, 1)), "small differs"
assert torch.equal(state["big"], pattern(${BIG}, 2)), "big differs"
assert torch.equal(state["big2"], pattern(${BIG} + 8, 3)), "big2 differs"
print("ok", len(z.namelist()))`,
    [path],
  );
  expect(out.trim()).toBe("ok 5");
});
