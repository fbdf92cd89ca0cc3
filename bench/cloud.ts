/**
 * Cloud benchmark (not a test): log and download 1×1 GiB and 10,000×4 KiB with FileSystemArtifactManager
 * on radosgw, azurite and the GCS fake, next to `rclone copy` of the same data to the same server.
 *   npx tsx bench/cloud.ts [--big-mib 1024] [--small 10000] [--only s3,azure,gcs] [--rclone no]
 * `--rclone no` measures our side only; `--options '{"readConcurrency":4}'` adds storage options.
 * Prints a Markdown table (seconds, MiB/s or files/s, peak RSS of our process during each operation).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { FileSystemArtifactManager } from "../src/managers/file-system-artifact-manager.js";
import { azuriteTarget, type BenchTarget, gcsFakeTarget, radosgwTarget } from "./cloud-servers.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const run = promisify(execFile);
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const BIG_MIB = Number(arg("big-mib", "1024"));
const SMALL = Number(arg("small", "10000"));
const ONLY = arg("only", "s3,azure,gcs").split(",");
const RCLONE = arg("rclone", "yes") !== "no";
const EXTRA_OPTIONS = JSON.parse(arg("options", "{}")) as Record<string, unknown>;
const RCLONE_FLAGS = [
  "--transfers",
  "16",
  "--checkers",
  "16",
  "--s3-upload-concurrency",
  "4",
  "--s3-chunk-size",
  "16M",
];

interface Row {
  target: string;
  data: string;
  op: string;
  tool: string;
  seconds: number;
  rate: string;
  rssMiB?: number;
}

async function makeData(dir: string): Promise<{ big: string; small: string }> {
  const big = join(dir, "big", "big.bin");
  await mkdir(join(dir, "big"), { recursive: true });
  const out = createWriteStream(big);
  const chunk = randomBytes(16 * 1024 * 1024);
  for (let i = 0; i < BIG_MIB / 16; i++) {
    chunk.writeUInt32LE(i, 0);
    if (!out.write(Buffer.from(chunk))) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  const small = join(dir, "small");
  for (let d = 0; d < SMALL / 500; d++) {
    await mkdir(join(small, `d${d}`), { recursive: true });
    for (let f = 0; f < 500; f++) await writeFile(join(small, `d${d}`, `f${f}.bin`), randomBytes(4096));
  }
  return { big: join(dir, "big"), small };
}

/** Runs `fn`, returning seconds and the peak RSS (MiB) sampled every 50 ms. */
async function timed(fn: () => Promise<unknown>): Promise<{ seconds: number; rssMiB: number }> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const start = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(sampler);
  }
  return { seconds: (performance.now() - start) / 1000, rssMiB: Math.round(peak / 1048576) };
}

async function benchTarget(
  target: BenchTarget,
  data: { big: string; small: string },
  work: string,
): Promise<Row[]> {
  const rows: Row[] = [];
  const manager = new FileSystemArtifactManager({
    url: target.url,
    storageOptions: { ...target.storageOptions, ...EXTRA_OPTIONS },
  });
  const sets = [
    [`1×${BIG_MIB} MiB`, data.big, BIG_MIB * 1048576, 1],
    [`${SMALL}×4 KiB`, data.small, SMALL * 4096, SMALL],
  ] as const;
  // `--small 0` / `--big-mib 0` leave a set out.
  for (const [label, path, bytes, files] of sets.filter(([, , b, f]) => b > 0 && f > 0)) {
    const rate = (s: number) =>
      files === 1 ? `${Math.round(bytes / 1048576 / s)} MiB/s` : `${Math.round(files / s)} files/s`;
    const name = files === 1 ? "big" : "small";
    const log = await timed(() => manager.logFiles(name, path));
    rows.push({
      target: target.name,
      data: label,
      op: "upload",
      tool: "ours",
      seconds: log.seconds,
      rate: rate(log.seconds),
      rssMiB: log.rssMiB,
    });
    const to = join(work, `ours-${name}-${Date.now()}`);
    const get = await timed(() => manager.downloadArtifact(name, { to }));
    rows.push({
      target: target.name,
      data: label,
      op: "download",
      tool: "ours",
      seconds: get.seconds,
      rate: rate(get.seconds),
      rssMiB: get.rssMiB,
    });
    await rm(to, { recursive: true, force: true });
    if (!RCLONE) continue;
    const remote = `${target.rcloneRemote}/rclone-${name}`;
    const env = { ...process.env };
    delete env.AWS_CA_BUNDLE;
    const up = await timed(() =>
      run("rclone", ["copy", path, remote, ...RCLONE_FLAGS], { env, maxBuffer: 1 << 24 }),
    );
    rows.push({
      target: target.name,
      data: label,
      op: "upload",
      tool: "rclone copy",
      seconds: up.seconds,
      rate: rate(up.seconds),
    });
    const dst = join(work, `rclone-${name}-${Date.now()}`);
    const down = await timed(() =>
      run("rclone", ["copy", remote, dst, ...RCLONE_FLAGS], { env, maxBuffer: 1 << 24 }),
    );
    rows.push({
      target: target.name,
      data: label,
      op: "download",
      tool: "rclone copy",
      seconds: down.seconds,
      rate: rate(down.seconds),
    });
    await rm(dst, { recursive: true, force: true });
  }
  await (await manager.getDriver()).close?.();
  return rows;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "am-bench-cloud-"));
  const rows: Row[] = [];
  try {
    const data = await makeData(work);
    const starters = { s3: radosgwTarget, azure: azuriteTarget, gcs: gcsFakeTarget } as const;
    for (const key of ONLY as (keyof typeof starters)[]) {
      const target = await starters[key]();
      try {
        const got = await benchTarget(target, data, work);
        rows.push(...got);
        for (const r of got) process.stderr.write(`${JSON.stringify(r)}\n`);
      } finally {
        await target.stop();
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  process.stdout.write(
    "| server | data | op | tool | seconds | rate | peak RSS MiB |\n| --- | --- | --- | --- | --- | --- | --- |\n",
  );
  for (const r of rows) {
    process.stdout.write(
      `| ${r.target} | ${r.data} | ${r.op} | ${r.tool} | ${r.seconds.toFixed(1)} | ${r.rate} | ${r.rssMiB ?? "–"} |\n`,
    );
  }
}

await main();
