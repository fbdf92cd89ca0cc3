/**
 * Download cache benchmark (not a test): one version of `--files` files totalling `--mib` MiB (default
 * 16 × 64 MiB = 1 GiB, random) logged to radosgw, then per round, each `get` in a fresh process
 * (bench/cache-get.ts, as the CLI would run): a first get into an empty cache (downloads and fills it),
 * a second get (every file from the cache), a get with `cache: false` (the same download without the
 * cache) and, as the floor of a cached get, `cp -r` of the first get's folder.
 *   npx tsx bench/cache.ts [--mib 1024] [--files 16] [--repeat 3]
 * Prints a Markdown table: median seconds and every round, and the peak RSS of the get's process.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { FileSystemArtifactManager } from "../src/managers/file-system-artifact-manager.js";
import { radosgwTarget } from "./cloud-servers.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const run = promisify(execFile);
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const MIB = Number(arg("mib", "1024"));
const FILES = Number(arg("files", "16"));
const REPEAT = Number(arg("repeat", "3"));
const GET = join(import.meta.dirname, "cache-get.ts");

interface Timed {
  seconds: number;
  /** CPU seconds of the get's own process (user + system); cp: not measured. */
  cpuSeconds?: number;
  maxRssMiB: number;
}

/** One get in a fresh process; it reports its own time (the download call only) and peak RSS. */
async function get(
  url: string,
  options: object,
  to: string,
  cache: string,
  useCache: boolean,
): Promise<Timed> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", GET, url, to, String(useCache)], {
    env: { ...process.env, STORAGE_OPTIONS: JSON.stringify(options), ARTIFACTS_CACHE_DIR: cache },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as Timed;
}

async function timedCp(from: string, to: string): Promise<Timed> {
  const start = performance.now();
  await run("cp", ["-r", from, to]);
  return { seconds: (performance.now() - start) / 1000, maxRssMiB: Number.NaN };
}

/** Flushes dirty pages and waits a moment, so that no step pays for the one before. */
async function settle(): Promise<void> {
  await run("sync");
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

const target = await radosgwTarget();
const work = await mkdtemp(join(tmpdir(), "bench-cache-"));
try {
  const source = join(work, "src");
  await mkdir(source);
  const size = Math.floor((MIB * 1024 * 1024) / FILES);
  for (let i = 0; i < FILES; i++) await writeFile(join(source, `part-${i}.bin`), randomBytes(size));
  const manager = new FileSystemArtifactManager({ url: target.url, storageOptions: target.storageOptions });
  await manager.logFiles("bench-cache", source);
  await manager.close();
  await rm(source, { recursive: true, force: true });
  const rows: Record<string, Timed[]> = {
    "first get (fills the cache)": [],
    "second get (from the cache)": [],
    "get, cache: false": [],
    "cp -r (floor)": [],
  };
  for (let round = 0; round < REPEAT; round++) {
    const cache = join(work, `cache-${round}`);
    const dir = (name: string) => join(work, `${name}-${round}`);
    const steps: [string, () => Promise<Timed>][] = [
      ["first get (fills the cache)", () => get(target.url, target.storageOptions, dir("a"), cache, true)],
      ["second get (from the cache)", () => get(target.url, target.storageOptions, dir("b"), cache, true)],
      ["get, cache: false", () => get(target.url, target.storageOptions, dir("c"), cache, false)],
      ["cp -r (floor)", () => timedCp(dir("a"), dir("d"))],
    ];
    for (const [name, step] of steps) {
      await settle();
      const timed = await step();
      rows[name]?.push(timed);
      process.stderr.write(
        `round ${round + 1} ${name}: ${timed.seconds.toFixed(2)} s, cpu ${timed.cpuSeconds?.toFixed(2) ?? "-"} s, ${timed.maxRssMiB} MiB\n`,
      );
      // Only the first get's folder is needed later (cp's source): at most 3 copies on disk at once.
      if (name.startsWith("second") || name.startsWith("get,")) {
        await rm(dir(name.startsWith("second") ? "b" : "c"), { recursive: true, force: true });
      }
    }
    for (const name of ["a", "b", "c", "d"]) await rm(dir(name), { recursive: true, force: true });
    await rm(cache, { recursive: true, force: true });
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const first = median((rows["first get (fills the cache)"] ?? []).map((t) => t.seconds));
  console.log(`${FILES} × ${size} B = ${MIB} MiB on ${target.name}, ${REPEAT} rounds\n`);
  console.log(`TMPDIR ${tmpdir()}\n`);
  console.log(
    "| step | median s | rounds s | × faster than the first get | CPU s (our process), median | peak RSS MiB, median (rounds) |",
  );
  console.log("|---|---:|---|---:|---:|---:|");
  for (const [name, timed] of Object.entries(rows)) {
    const seconds = timed.map((t) => t.seconds);
    const rss = timed.map((t) => t.maxRssMiB).filter((v) => !Number.isNaN(v));
    const cpu = timed.map((t) => t.cpuSeconds).filter((v) => v !== undefined);
    const cpuText = cpu.length ? median(cpu).toFixed(2) : "–";
    const rssText = rss.length ? `${median(rss)} (${rss.join(", ")})` : "–";
    console.log(
      `| ${name} | ${median(seconds).toFixed(2)} | ${seconds.map((s) => s.toFixed(2)).join(", ")} | ${(first / median(seconds)).toFixed(1)} | ${cpuText} | ${rssText} |`,
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
  await target.stop();
}
