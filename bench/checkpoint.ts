/**
 * Checkpoint benchmark: writes and reads a ~1 GiB torch checkpoint (and the same tensors as
 * safetensors), next to a plain copy of a file of the same size and to torch 2.13's own `torch.save` /
 * `torch.load` of the same state dict (CPU, the project's `.venv`: scripts/setup-python.sh). Each phase
 * runs in its own process so its peak RSS is its own. Run: `npx tsx bench/checkpoint.ts [--gib 1]`.
 * Results: bench/README.md.
 */
import { execFileSync } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { copyFile, mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { loadCheckpoint, loadSafetensors, saveCheckpoint, saveSafetensors, Tensor } from "../src/index.js";

const DATA = fileURLToPath(new URL("./.data/checkpoint/", import.meta.url));
const TORCH_PYTHON = fileURLToPath(new URL("../.venv/bin/python", import.meta.url));
const TENSOR_MIB = 64;
/** Runs of each phase; the table shows the median. */
const ROUNDS = 3;

function tensors(gib: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  const count = Math.round((gib * 1024) / TENSOR_MIB);
  for (let i = 0; i < count; i++) {
    const data = new Float32Array((TENSOR_MIB << 20) / 4);
    for (let j = 0; j < data.length; j += 1024) data[j] = i + j;
    out[`layer${i}.weight`] = new Tensor({ dtype: "float32", shape: [data.length / 1024, 1024], data });
  }
  return out;
}

/** The same bytes written with plain fs writes: the floor for `write-pt`. */
async function writeRaw(path: string, list: Tensor[]): Promise<void> {
  const handle = await open(path, "w");
  for (const t of list) await handle.write(t.bytes());
  await handle.close();
}

/** Writes count once they are on disk: page-cache state would otherwise decide the numbers. */
async function fsync(path: string): Promise<void> {
  const handle = await open(path, "r+");
  await handle.sync();
  await handle.close();
}

/** What each phase reads and writes (under DATA). */
const FILES: Record<string, { input: string; output?: string }> = {
  "write-raw": { input: "raw.bin", output: "raw.bin" },
  "write-pt": { input: "state.pt", output: "state.pt" },
  "write-safetensors": { input: "state.safetensors", output: "state.safetensors" },
  copy: { input: "state.pt", output: "copy.bin" },
  "copy-stream": { input: "state.pt", output: "copy.bin" },
  "read-whole-file": { input: "state.pt" },
  "read-pt": { input: "state.pt" },
  "read-safetensors": { input: "state.safetensors" },
  "torch-save": { input: "torch.pt", output: "torch.pt" },
  "torch-load": { input: "torch.pt" },
};

/**
 * The peer: torch 2.13 saving the same state dict (`{"model": {layerN.weight: 64 MiB float32}}`) with
 * `torch.save`, fsync included, or loading it with `torch.load` (defaults: weights_only, no mmap).
 * Timed inside Python, after `import torch` and after building the tensors.
 */
const TORCH_PHASE = `
import sys, os, time, json, resource, torch
phase, path, gib, mib = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
if phase == "torch-save":
    tree = {}
    for i in range(round(gib * 1024 / mib)):
        t = torch.zeros((mib << 20) // 4, dtype=torch.float32)
        t[::1024] = torch.arange(0, t.numel(), 1024, dtype=torch.float32) + i
        tree[f"layer{i}.weight"] = t.view(-1, 1024)
    t0 = time.perf_counter()
    torch.save({"model": tree}, path)
    fd = os.open(path, os.O_RDWR); os.fsync(fd); os.close(fd)
else:
    t0 = time.perf_counter()
    state = torch.load(path)
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"name": phase, "bytes": os.stat(path).st_size, "seconds": seconds, "peakRss": peak}))
`;

async function run(name: string, input: string, output: string, tree: Record<string, Tensor>): Promise<void> {
  if (name === "write-raw") await writeRaw(output, Object.values(tree));
  else if (name === "write-pt") await saveCheckpoint(output, { model: tree });
  else if (name === "write-safetensors") await saveSafetensors(output, tree);
  else if (name === "copy") await copyFile(input, output);
  else if (name === "copy-stream") await pipeline(createReadStream(input), createWriteStream(output));
  else if (name === "read-whole-file") await readFile(input);
  else if (name === "read-pt") await loadCheckpoint(input);
  else if (name === "read-safetensors") await loadSafetensors(input);
}

async function phase(name: string, gib: number): Promise<void> {
  const files = FILES[name];
  if (files === undefined) throw new Error(`unknown phase ${name}`);
  const input = join(DATA, files.input);
  const output = join(DATA, files.output ?? "unused");
  // Every write goes to a new file: replacing a 1 GiB file would time the old file's deletion too.
  if (files.output !== undefined) await rm(output, { force: true });
  const tree = name.startsWith("write") ? tensors(gib) : {};
  const t0 = performance.now();
  await run(name, input, output, tree);
  if (files.output !== undefined) await fsync(output);
  const seconds = (performance.now() - t0) / 1000;
  const bytes = (await stat(files.output === undefined ? input : output)).size;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ name, bytes, seconds, peakRss }));
}

function torchPhase(name: string, gib: number): Buffer {
  const files = FILES[name] as { input: string; output?: string };
  const path = join(DATA, files.output ?? files.input);
  if (files.output !== undefined) execFileSync("rm", ["-f", path]);
  return execFileSync(TORCH_PYTHON, ["-c", TORCH_PHASE, name, path, String(gib), String(TENSOR_MIB)]);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const gib = Number(args[args.indexOf("--gib") + 1] ?? 1) || 1;
  const only = args.indexOf("--phase");
  if (only >= 0) return phase(args[only + 1] as string, gib);
  await mkdir(DATA, { recursive: true });
  const all = [
    "torch-save",
    "torch-load",
    "write-raw",
    "write-pt",
    "write-safetensors",
    "copy",
    "copy-stream",
    "read-whole-file",
    "read-pt",
    "read-safetensors",
  ];
  // --phases a,b limits the run to some phases (in this order); --rounds N changes the round count.
  const listed = args.indexOf("--phases");
  const phases = listed >= 0 ? (args[listed + 1] as string).split(",") : all;
  const roundsAt = args.indexOf("--rounds");
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : ROUNDS;
  const runs = new Map<string, { bytes: number; seconds: number; peakRss: number }[]>();
  for (let round = 0; round < rounds; round++) {
    for (const p of phases) {
      execFileSync("sync"); // start each phase without the previous phase's dirty pages
      const script = fileURLToPath(import.meta.url);
      const out = p.startsWith("torch-")
        ? torchPhase(p, gib)
        : execFileSync(process.execPath, ["--import", "tsx", script, "--phase", p, "--gib", String(gib)]);
      const result = JSON.parse(out.toString().trim().split("\n").pop() as string);
      runs.set(p, [...(runs.get(p) ?? []), result]);
      if (args.includes("--verbose"))
        console.error(round, p, (result.bytes / 1e6 / result.seconds).toFixed(0), "MB/s");
    }
  }
  const rows = phases.map((p) => {
    const list = runs.get(p) ?? [];
    const rates = list.map((r) => r.bytes / 1e6 / r.seconds).sort((a, b) => a - b);
    return {
      phase: p,
      MiB: Math.round((list[0]?.bytes ?? 0) / 2 ** 20),
      "median MB/s": Math.round(rates[Math.floor(rates.length / 2)] ?? 0),
      "min-max MB/s": `${Math.round(rates[0] ?? 0)}-${Math.round(rates[rates.length - 1] ?? 0)}`,
      "peak RSS MiB": Math.round(Math.max(...list.map((r) => r.peakRss)) / 2 ** 20),
    };
  });
  console.table(rows);
  await rm(DATA, { recursive: true, force: true });
}

await main();
