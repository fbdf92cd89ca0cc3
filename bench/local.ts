/**
 * Local-store benchmark (not a test): logs and downloads 1×512 MiB, 100×10 MiB and 5,000×4 KiB with
 * FileSystemArtifactManager and compares with `cp -r` (and `cp -r` + `sync -f`, the durable peer of a log,
 * which fsyncs before it commits), one bare sha256 pass and Python fsspec `put`
 * (what scaffold's backend calls). Every operation runs in its own process (peak RSS is its own);
 * each is repeated BENCH_REPEAT times (default 5), interleaved, and the best time is reported. The
 * order of the operations rotates from one round to the next: on this VM a write into memory that was
 * not freed moments ago costs up to ~1 s more system time per 512 MiB (see bench/README.md), so a fixed
 * order charged that to whichever operation always came last (the download). `sync`
 * runs before every operation; the page cache stays warm (the data was just written), as it would after
 * a training run wrote its checkpoint.
 *   npm run bench:local            (BENCH_ONLY=small to run one data set)
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const MiB = 1024 * 1024;
const OP_SCRIPT = fileURLToPath(new URL("./local-op.ts", import.meta.url));
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);

interface DataSet {
  name: string;
  files: number;
  size: number;
}
const DATA_SETS: DataSet[] = [
  { name: "large", files: 1, size: 512 * MiB },
  { name: "medium", files: 100, size: 10 * MiB },
  { name: "small", files: 5000, size: 4 * 1024 },
];

interface Measure {
  seconds: number;
  maxRssMiB: number;
}

async function writeDataSet(folder: string, set: DataSet): Promise<void> {
  await mkdir(folder, { recursive: true });
  const block = randomBytes(Math.min(set.size, MiB));
  for (let i = 0; i < set.files; i++) {
    const out = createWriteStream(join(folder, `file-${String(i).padStart(5, "0")}.bin`));
    for (let written = 0; written < set.size; written += block.length) {
      block.writeUInt32LE(i ^ written, 0);
      const chunk = Buffer.from(block.subarray(0, Math.min(block.length, set.size - written)));
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    }
    await new Promise((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve(null))),
    );
  }
}

async function ours(args: string[]): Promise<Measure> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", OP_SCRIPT, ...args], { maxBuffer: MiB });
  return JSON.parse(stdout) as Measure;
}

async function timed(command: string, args: string[]): Promise<Measure> {
  const { stderr } = await run("/usr/bin/time", ["-f", "%e %M", command, ...args], { maxBuffer: MiB });
  const [seconds, kib] = (stderr.trim().split("\n").at(-1) ?? "").split(" ").map(Number);
  return { seconds: seconds ?? Number.NaN, maxRssMiB: (kib ?? Number.NaN) / 1024 };
}

const FSSPEC_PUT = `
import fsspec, resource, sys, time
fs = fsspec.filesystem("file")
t = time.perf_counter()
fs.put(sys.argv[1].rstrip("/") + "/", sys.argv[2] + "/", recursive=True)
print('{"seconds": %f, "maxRssMiB": %f}' % (time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
`;

async function fsspecPut(source: string, target: string): Promise<Measure> {
  const { stdout } = await run("/usr/bin/python3", ["-c", FSSPEC_PUT, source, target]);
  return JSON.parse(stdout) as Measure;
}

async function benchDataSet(root: string, set: DataSet): Promise<Record<string, Measure>> {
  const source = join(root, `src-${set.name}`);
  await writeDataSet(source, set);
  const best: Record<string, Measure> = {};
  // Each operation starts with no dirty pages from the previous one (writeback would be charged to it).
  const settle = () => run("sync");
  const keep = (op: string, m: Measure) => {
    const prior = best[op];
    best[op] = prior && prior.seconds <= m.seconds ? prior : m;
  };
  // The downloads read a store logged once up front, so that they can run in any position.
  const store = join(root, `store-${set.name}`);
  await ours(["log", store, set.name, source]);
  for (let r = 0; r < REPEAT; r++) {
    const out = join(root, `out-${r}`);
    await mkdir(out, { recursive: true });
    const operations: Array<[string, () => Promise<Measure>]> = [
      ["cp -r", () => timed("cp", ["-r", source, join(out, "cp")])],
      // The durable peer: a log returns with its bytes on disk (fsync), so compare with a copy that does.
      [
        "cp -r + sync",
        () => timed("sh", ["-c", 'cp -r "$0" "$1" && sync -f "$1"', source, join(out, "cp-sync")]),
      ],
      ["sha256 pass", () => ours(["sha256", source])],
      ["fsspec put", () => fsspecPut(source, join(out, "fsspec"))],
      ["log (ours)", () => ours(["log", join(out, "store"), set.name, source])],
      ["download (ours)", () => ours(["download", store, set.name, join(out, "download")])],
    ];
    for (let i = 0; i < operations.length; i++) {
      const [op, measure] = operations[(i + r) % operations.length] as [string, () => Promise<Measure>];
      await settle();
      keep(op, await measure());
    }
    await rm(out, { recursive: true, force: true });
  }
  await rm(store, { recursive: true, force: true });
  await rm(source, { recursive: true, force: true });
  return best;
}

function report(set: DataSet, results: Record<string, Measure>): string[] {
  const bytes = set.files * set.size;
  const lines = Object.entries(results).map(([op, m]) => {
    const mbps = bytes / MiB / m.seconds;
    const fps = set.files / m.seconds;
    return `| ${set.files}×${set.size >= MiB ? `${set.size / MiB} MiB` : `${set.size / 1024} KiB`} | ${op} | ${m.seconds.toFixed(3)} | ${mbps.toFixed(0)} | ${fps.toFixed(0)} | ${m.maxRssMiB.toFixed(0)} |`;
  });
  const t = (op: string) => results[op]?.seconds ?? Number.NaN;
  const floor = Math.max(t("cp -r"), t("sha256 pass"));
  lines.push(
    `|  | log / max(cp, sha256) = ${(t("log (ours)") / floor).toFixed(2)}×; download / max(cp, sha256) = ${(t("download (ours)") / floor).toFixed(2)}×; log / fsspec put = ${(t("log (ours)") / t("fsspec put")).toFixed(2)}×; log / (cp -r + sync) = ${(t("log (ours)") / t("cp -r + sync")).toFixed(2)}×; download speed / cp speed = ${(t("cp -r") / t("download (ours)")).toFixed(2)}× |  |  |  |  |`,
  );
  return lines;
}

const root = await mkdtemp(join(tmpdir(), "am-bench-"));
try {
  const lines = [
    "| data | operation | seconds | MB/s | files/s | peak RSS MiB |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const set of DATA_SETS.filter((s) => !process.env.BENCH_ONLY || s.name === process.env.BENCH_ONLY)) {
    process.stderr.write(`benchmarking ${set.name}…\n`);
    lines.push(...report(set, await benchDataSet(root, set)));
  }
  process.stdout.write(`${lines.join("\n")}\n`);
} finally {
  await rm(root, { recursive: true, force: true });
}
