/**
 * One-off check of real zip64 (> 4 GiB): writes a checkpoint with a 4 GiB − 1 byte storage (zip64 size
 * fields) followed by records past 4 GiB (zip64 offsets), has PyTorch load it with weights_only=True and
 * Python's zipfile check every CRC, then reads it back here. Needs ~5 GiB of RAM and disk and
 * `python3-torch`. Run: `npx tsx bench/checkpoint-zip64.ts`.
 */
import { execFileSync } from "node:child_process";
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCheckpoint, saveCheckpoint, Tensor } from "../src/index.js";

const DATA = fileURLToPath(new URL("./.data/zip64/", import.meta.url));
const FILE = join(DATA, "state.pt");
const BIG = 0xffffffff;
const MARKS: [number, number][] = [
  [0, 11],
  [2 ** 31, 22],
  [BIG - 1, 33],
];

const PY = `
import sys, zipfile, torch
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None, "bad CRC"
s = torch.load(sys.argv[1], weights_only=True)
b = s["big"]
assert b.dtype == torch.uint8 and b.numel() == ${BIG}, (b.dtype, b.numel())
assert [int(b[0]), int(b[2**31]), int(b[${BIG} - 1])] == [11, 22, 33]
assert s["small"].tolist() == [1.5, 2.5, 3.5]
print("python ok")
`;

async function write(): Promise<void> {
  const big = new Uint8Array(BIG);
  for (const [at, v] of MARKS) big[at] = v;
  const tree = {
    big: new Tensor({ dtype: "uint8", shape: [BIG], data: big }),
    small: new Tensor({ dtype: "float32", shape: [3], data: Float32Array.from([1.5, 2.5, 3.5]) }),
  };
  const t0 = performance.now();
  await saveCheckpoint(FILE, tree);
  const size = (await stat(FILE)).size;
  console.log(`wrote ${size} bytes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function read(): Promise<void> {
  const t0 = performance.now();
  const tree = (await loadCheckpoint(FILE)) as Record<string, Tensor>;
  const big = tree.big?.data as Uint8Array;
  if (big.length !== BIG || !MARKS.every(([at, v]) => big[at] === v)) throw new Error("big tensor differs");
  if (tree.small?.toArray().join() !== "1.5,2.5,3.5") throw new Error("small tensor differs");
  console.log(`read back in ${((performance.now() - t0) / 1000).toFixed(1)} s: ok`);
}

const step = process.argv[2];
if (step === "write") await write();
else if (step === "read") await read();
else {
  await mkdir(DATA, { recursive: true });
  const self = fileURLToPath(import.meta.url);
  try {
    for (const s of ["write", "read"]) {
      if (s === "read") console.log(execFileSync("/usr/bin/python3", ["-c", PY, FILE]).toString().trim());
      console.log(execFileSync(process.execPath, ["--import", "tsx", self, s]).toString().trim());
    }
  } finally {
    await rm(DATA, { recursive: true, force: true });
  }
}
