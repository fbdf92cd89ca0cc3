/**
 * Cloud benchmark (not a test): log and download 1×1 GiB and 10,000×4 KiB with FileSystemArtifactManager
 * on radosgw, azurite and the GCS fake, next to `rclone copy` of the same data to the same server.
 *   npx tsx bench/cloud.ts [--big-mib 1024] [--small 10000] [--only s3,azure,gcs] [--rclone no] [--cli no] [--repeat 3]
 *     [--delay-ms 0] [--rclone-transfers 16] [--fresh-server azure] [--http-clients own,undici]
 * Tools: ours (the library in this long-lived process), ours (CLI) (`artifacts log` / `get` of the built
 * CLI, a fresh process per step as rclone is; needs `npm run build`) and `rclone copy`.
 * `--rclone no` / `--cli no` leave those out; `--options '{"readConcurrency":4}'` adds storage options.
 * `--delay-ms N` puts each server behind a proxy that delays every packet N ms each way (a 2N ms round
 * trip, bench/delay-proxy.ts); `--rclone-transfers N` sets rclone's `--transfers` and `--checkers`.
 * After an untimed warm-up, each round runs every tool (rotating which goes first) into fresh names;
 * prints a Markdown table (median seconds and every round, rate at the median, the server's CPU seconds
 * in the median round, our peak RSS). `--fresh-server LIST` (default `azure`; `none` for none) starts
 * those servers anew, with a warm-up, before every tool's turn (its upload and download): azurite keeps
 * deleted blobs in memory, so whichever tool came later met a bigger, slower server.
 * `--http-clients own,undici` measures instead the HTTP client of the drivers' direct GETs (issue 19):
 * the data sets are logged once per server, then each round downloads them with one manager per client
 * (the same driver download path, its direct getter made by src/drivers/direct-getter.ts's factory),
 * rotating which client goes first, and times 500 sequential small-object reads through each driver.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { promisify } from "node:util";
import {
  type DirectGetter,
  type DirectGetterFactory,
  useDirectGetters,
} from "../src/drivers/direct-getter.js";
import { ZeroCopyGetter } from "../src/drivers/zero-copy-get.js";
import { FileSystemArtifactManager } from "../src/managers/file-system-artifact-manager.js";
import { deletePrefix } from "../src/managers/filesystem/transfer.js";
import {
  azuriteTarget,
  type BenchTarget,
  delayedTarget,
  gcsFakeTarget,
  radosgwTarget,
} from "./cloud-servers.js";
import { UndiciGetter } from "./undici-getter.js";

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
const CLI = arg("cli", "yes") !== "no";
/** The built CLI (`npm run build`): a fresh process per step, as `rclone copy` is. */
const CLI_BIN = join(process.cwd(), "dist", "cli-bundle", "bin.js");
const REPEAT = Number(arg("repeat", "3"));
const EXTRA_OPTIONS = JSON.parse(arg("options", "{}")) as Record<string, unknown>;
const DELAY_MS = Number(arg("delay-ms", "0"));
const RCLONE_TRANSFERS = arg("rclone-transfers", "16");
const FRESH_SERVER = arg("fresh-server", "azure").split(",");
const HTTP_CLIENTS = arg("http-clients", "")
  .split(",")
  .filter((name) => name !== "");
/** GETs made through each client's getters: printed, to show each manager really used its client. */
const GETS: Record<string, number> = {};
const counted = (client: string, getter: { get: DirectGetter["get"]; close(): void }): DirectGetter => ({
  get: (url, headers, signal) => {
    GETS[client] = (GETS[client] ?? 0) + 1;
    return getter.get(url, headers, signal);
  },
  close: () => getter.close(),
});
const GETTERS: Record<string, DirectGetterFactory> = {
  own: (origin, options) => counted("own", new ZeroCopyGetter(origin, options)),
  undici: (origin, options) => counted("undici", new UndiciGetter(origin, options)),
  "undici-pooled": (origin, options) =>
    counted("undici-pooled", new UndiciGetter(origin, { ...options, pooled: true })),
};
const RCLONE_FLAGS = [
  "--transfers",
  RCLONE_TRANSFERS,
  "--checkers",
  RCLONE_TRANSFERS,
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
  /** Seconds of each round, in run order. */
  seconds: number[];
  /** The server's CPU seconds (user + system, all its processes) in each round. */
  serverCpuS: number[];
  /** Rate of the median round. */
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

/** Garbage collections seen so far (count and milliseconds), for the per-round diagnostics. */
const gcSeen = { count: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcSeen.count++;
    gcSeen.ms += entry.duration;
  }
}).observe({ entryTypes: ["gc"] });

/** What one timed step cost our process: CPU seconds (user + system, all threads) and GC pauses. */
interface StepCost {
  seconds: number;
  /** CPU seconds the server's processes used meanwhile. */
  serverCpuS: number;
  rssMiB: number;
  cpuS: number;
  sysS: number;
  gcs: number;
  gcMs: number;
  pageFaults: number;
}

/**
 * Runs `fn`, returning seconds, the peak RSS (MiB) sampled every 50 ms, our CPU time, GC pauses and the
 * CPU time of the server's processes `serverPids`.
 */
async function timed(fn: () => Promise<unknown>, serverPids: readonly number[]): Promise<StepCost> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const gcBefore = { ...gcSeen };
  const faults = process.resourceUsage().minorPageFault;
  const server = await cpuSeconds(serverPids);
  const cpu = process.cpuUsage();
  const start = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    seconds,
    serverCpuS: round2((await cpuSeconds(serverPids)) - server),
    rssMiB: Math.round(peak / 1048576),
    cpuS: round2((used.user + used.system) / 1e6),
    sysS: round2(used.system / 1e6),
    gcs: gcSeen.count - gcBefore.count,
    gcMs: Math.round(gcSeen.ms - gcBefore.ms),
    pageFaults: process.resourceUsage().minorPageFault - faults,
  };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/** User + system CPU seconds of the processes `pids` so far (`/proc/PID/stat`; a process gone counts 0). */
async function cpuSeconds(pids: readonly number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks / CLOCK_TICKS;
}

/** `getconf CLK_TCK`: 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100;

/** Untimed preparation before every timed operation (see {@link settler}). */
type Settle = () => Promise<void>;

/**
 * Untimed, before every timed operation:
 * - Writes and deletes a throwaway file of 1.5× the data set (at least 256 MiB). This VM returns freed
 *   memory to its host (free page reporting), and the first write into memory the host took back
 *   costs ~3 s per GiB in the kernel instead of ~0.2 s (`dd` of 1 GiB into the page cache; bench/README,
 *   "Where the kernel-time swings came from"). Which tool met such memory depended on what the servers
 *   and the tools before it had allocated and freed; this step gives each the same warm free memory.
 * - Flushes the disk: this VM's root fs is ext4 with online `discard`, so the previous round's deleted
 *   gigabyte is trimmed at the next commit and stalls whichever tool writes next.
 * - Lets the servers settle for a second.
 */
function settler(work: string, bytes: number): Settle {
  const warmBytes = Math.max(256 * 1048576, Math.ceil((bytes * 1.5) / 1048576) * 1048576);
  const chunk = Buffer.alloc(1048576, 0x5a);
  return async () => {
    const path = join(work, "memory-warmer.bin");
    const file = await open(path, "w");
    try {
      for (let written = 0; written < warmBytes; written += chunk.length) await file.write(chunk);
    } finally {
      await file.close();
    }
    await rm(path);
    await run("sync", []);
    await new Promise((r) => setTimeout(r, 1000));
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** What one tool's turn (an upload and a download of one data set) measured. */
interface TurnResult {
  up: StepCost;
  down: StepCost;
  /** Our process's peak RSS and CPU: only for the library, which runs in this process. */
  ours?: { rssMiB: number; up: Partial<StepCost>; down: Partial<StepCost> };
}

/** One tool's upload and download of one data set, round `round` (fresh names every round). */
type Side = (context: SideContext, round: number) => Promise<TurnResult>;

/** What every tool's side of one data set needs. */
interface SideContext {
  target: BenchTarget;
  /** The processes of the target's server, whose CPU time each step reports. */
  serverPids: readonly number[];
  /** Our manager on the target: the library's side, and deletes after the CLI's. */
  manager: FileSystemArtifactManager;
  /** `big` or `small`: part of every artifact, remote folder and download folder name. */
  name: string;
  /** The local data set. */
  path: string;
  /** The benchmark's folder, for downloads. */
  work: string;
  settle: Settle;
}

const oursSide: Side = async ({ manager, name, path, work, settle, serverPids }, round) => {
  await settle();
  const log = await timed(() => manager.logFiles(`${name}-r${round}`, path), serverPids);
  await settle();
  const to = join(work, `ours-${name}-${round}`);
  const get = await timed(() => manager.downloadArtifact(`${name}-r${round}`, { to }), serverPids);
  await rm(to, { recursive: true, force: true });
  // Untimed: radosgw's memstore holds 3 GiB, so every round's data goes before the next one.
  await deletePrefix(await manager.getDriver(), `default/${name}-r${round}/`);
  const own = ({ seconds: _, rssMiB: __, serverCpuS: ___, ...rest }: StepCost) => rest;
  return {
    up: log,
    down: get,
    ours: { rssMiB: Math.max(log.rssMiB, get.rssMiB), up: own(log), down: own(get) },
  };
};

/**
 * Our CLI, one fresh process per step like rclone: `artifacts log` and `artifacts get`, configured by
 * environment. Includes Node's start and loading the cloud SDK (what a shell user waits for), and none
 * of the long-lived process's history (its garbage-collector state; bench/README).
 */
const cliSide: Side = async ({ target, manager, name, path, work, settle, serverPids }, round) => {
  const env = { ...process.env, ...target.cliEnv };
  const cli = (args: string[]) =>
    run(process.execPath, [CLI_BIN, ...args, "--store", target.url, "--quiet"], { env, maxBuffer: 1 << 24 });
  const artifact = `${name}-cli-r${round}`;
  await settle();
  const up = await timed(() => cli(["log", path, artifact]), serverPids);
  const to = join(work, `cli-${name}-${round}`);
  await settle();
  const down = await timed(() => cli(["get", artifact, "--to", to]), serverPids);
  await rm(to, { recursive: true, force: true });
  await deletePrefix(await manager.getDriver(), `default/${artifact}/`);
  return { up, down };
};

const rcloneSide: Side = async ({ target, name, path, work, settle, serverPids }, round) => {
  const env = { ...process.env };
  delete env.AWS_CA_BUNDLE;
  const rclone = (args: string[]) => run("rclone", [...args, ...RCLONE_FLAGS], { env, maxBuffer: 1 << 24 });
  // A fresh remote folder every round: `rclone copy` skips files that are already there.
  const remote = `${target.rcloneRemote}/rclone-${name}-r${round}`;
  await settle();
  const up = await timed(() => rclone(["copy", path, remote]), serverPids);
  const dst = join(work, `rclone-${name}-${round}`);
  await settle();
  const down = await timed(() => rclone(["copy", remote, dst]), serverPids);
  await rm(dst, { recursive: true, force: true });
  await run("rclone", ["purge", remote], { env });
  return { up, down };
};

/** Untimed: wakes the server (radosgw's first upload is ~2× slower than the next ones) and the client. */
async function warmUp(manager: FileSystemArtifactManager, work: string): Promise<void> {
  const dir = join(work, "warm-up");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "big.bin"), randomBytes(64 * 1048576));
  for (let i = 0; i < 200; i++) await writeFile(join(dir, `s${i}.bin`), randomBytes(4096));
  await manager.logFiles("warm-up", dir);
  await manager.downloadArtifact("warm-up", { to: join(work, "warm-up-down") });
  await rm(join(work, "warm-up-down"), { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
}

/** A started server with our manager on it, warmed up. */
interface Server {
  target: BenchTarget;
  manager: FileSystemArtifactManager;
  serverPids: readonly number[];
  stop(): Promise<void>;
}

async function startServer(start: () => Promise<BenchTarget>, work: string): Promise<Server> {
  const target = await start();
  try {
    const manager = new FileSystemArtifactManager({
      url: target.url,
      storageOptions: { ...target.storageOptions, ...EXTRA_OPTIONS },
    });
    await warmUp(manager, work);
    const serverPids = await target.serverPids();
    const stop = async () => {
      await (await manager.getDriver()).close?.();
      await target.stop();
    };
    return { target, manager, serverPids, stop };
  } catch (error) {
    await target.stop();
    throw error;
  }
}

/** Runs every data set on the server `start` starts; `fresh`: a new server before every tool's turn. */
async function benchTarget(
  start: () => Promise<BenchTarget>,
  fresh: boolean,
  data: { big: string; small: string },
  work: string,
): Promise<Row[]> {
  const rows: Row[] = [];
  let server = await startServer(start, work);
  try {
    const sets = [
      [`1×${BIG_MIB} MiB`, data.big, BIG_MIB * 1048576, 1],
      [`${SMALL}×4 KiB`, data.small, SMALL * 4096, SMALL],
    ] as const;
    // `--small 0` / `--big-mib 0` leave a set out.
    for (const [label, path, bytes, files] of sets.filter(([, , b, f]) => b > 0 && f > 0)) {
      const rate = (s: number) =>
        files === 1 ? `${Math.round(bytes / 1048576 / s)} MiB/s` : `${Math.round(files / s)} files/s`;
      const name = files === 1 ? "big" : "small";
      const settle = settler(work, bytes);
      const sides: [string, Side][] = [["ours", oursSide]];
      if (CLI) sides.push(["ours (CLI)", cliSide]);
      if (RCLONE) sides.push(["rclone copy", rcloneSide]);
      const results = new Map<string, { up: StepCost[]; down: StepCost[]; rss: number }>();
      for (let round = 0; round < REPEAT; round++) {
        // Rotate which tool goes first, so none always meets a cold (or tired) server.
        const order = sides.map((_, i) => sides[(i + round) % sides.length] as [string, Side]);
        for (const [tool, side] of order) {
          if (fresh) {
            await server.stop();
            server = await startServer(start, work);
          }
          const got = await side({ ...server, name, path, work, settle }, round);
          const brief = (step: StepCost) => ({ s: round2(step.seconds), serverCpuS: step.serverCpuS });
          const line = { up: brief(got.up), down: brief(got.down), ours: got.ours };
          process.stderr.write(
            `${server.target.name} ${label} ${tool} round ${round}: ${JSON.stringify(line)}\n`,
          );
          const acc = results.get(tool) ?? { up: [], down: [], rss: 0 };
          acc.up.push(got.up);
          acc.down.push(got.down);
          acc.rss = Math.max(acc.rss, got.ours?.rssMiB ?? 0);
          results.set(tool, acc);
        }
      }
      for (const [tool, acc] of results) {
        for (const op of ["upload", "download"] as const) {
          const steps = op === "upload" ? acc.up : acc.down;
          const seconds = steps.map((step) => step.seconds);
          rows.push({
            target: server.target.name,
            data: label,
            op,
            tool,
            seconds,
            serverCpuS: steps.map((step) => step.serverCpuS),
            rate: rate(median(seconds)),
            ...(tool === "ours" ? { rssMiB: acc.rss } : {}),
          });
        }
      }
    }
  } finally {
    await server.stop();
  }
  return rows;
}

/** One client's steps on one data set: every round's cost. */
interface ClientRow {
  target: string;
  data: string;
  client: string;
  steps: StepCost[];
  /** Median milliseconds of one sequential small-object read, per round (small data set only). */
  readMs: number[];
}

/**
 * `--http-clients`: the same downloads through the drivers' direct GETs on each HTTP client. Logs the
 * data sets once, builds one manager per client (its driver's direct getters made while that client's
 * factory is in force), then per round downloads each set with every client, rotating the order.
 */
async function benchHttpClients(
  start: () => Promise<BenchTarget>,
  data: { big: string; small: string },
  work: string,
): Promise<ClientRow[]> {
  const server = await startServer(start, work);
  const managers = new Map<string, FileSystemArtifactManager>();
  const rows: ClientRow[] = [];
  try {
    const sets = [
      [`1×${BIG_MIB} MiB`, "big", data.big, BIG_MIB * 1048576],
      [`${SMALL}×4 KiB`, "small", data.small, SMALL * 4096],
    ] as const;
    const used = sets.filter(([, , , bytes]) => bytes > 0);
    for (const [, name, path] of used) await server.manager.logFiles(`${name}-http`, path);
    for (const client of HTTP_CLIENTS) {
      const make = GETTERS[client];
      if (make === undefined)
        throw new Error(`--http-clients: no client ${client} (${Object.keys(GETTERS).join(", ")})`);
      useDirectGetters(make);
      try {
        const manager = new FileSystemArtifactManager({
          url: server.target.url,
          storageOptions: { ...server.target.storageOptions, ...EXTRA_OPTIONS },
        });
        // Untimed: builds the driver and its direct readers (S3's on its first read) with this client.
        const to = join(work, `warm-${client}`);
        await manager.downloadArtifact("warm-up", { to, cache: false });
        await rm(to, { recursive: true, force: true });
        managers.set(client, manager);
      } finally {
        useDirectGetters(undefined);
      }
    }
    for (const [label, name, , bytes] of used) {
      const settle = settler(work, bytes);
      const byClient = new Map<string, ClientRow>();
      for (const client of HTTP_CLIENTS) {
        const row = { target: server.target.name, data: label, client, steps: [], readMs: [] };
        byClient.set(client, row);
      }
      // Sequential reads of single small objects: the keys of the small set's files.
      const keys: string[] = [];
      if (name === "small") {
        const driver = await server.manager.getDriver();
        for await (const entry of driver.list(`default/${name}-http/`)) {
          if (keys.length < 500) keys.push(entry.key);
        }
      }
      for (let round = 0; round < REPEAT; round++) {
        // Rotate which client goes first (own, undici / undici, own / …).
        const order = HTTP_CLIENTS.map((_, i) => HTTP_CLIENTS[(i + round) % HTTP_CLIENTS.length] as string);
        for (const client of order) {
          const manager = managers.get(client) as FileSystemArtifactManager;
          const row = byClient.get(client) as ClientRow;
          await settle();
          const to = join(work, `http-${client}-${name}-${round}`);
          const step = await timed(
            () => manager.downloadArtifact(`${name}-http`, { to, cache: false }),
            server.serverPids,
          );
          await rm(to, { recursive: true, force: true });
          row.steps.push(step);
          if (keys.length > 0) row.readMs.push(await sequentialReadMs(manager, keys));
          const load = loadavg().map((value) => value.toFixed(2));
          process.stderr.write(
            `${server.target.name} ${label} ${client} round ${round}: ${round2(step.seconds)} s, cpu ${step.cpuS} s, rss ${step.rssMiB} MiB, faults ${step.pageFaults}, read ${row.readMs.at(-1) ?? "-"} ms, load ${load.join(" ")}\n`,
          );
        }
      }
      rows.push(...byClient.values());
    }
  } finally {
    for (const manager of managers.values()) await (await manager.getDriver()).close?.();
    await server.stop();
  }
  return rows;
}

/** Median milliseconds of one read (opened and drained) of each of `keys` in turn, through `manager`'s driver. */
async function sequentialReadMs(
  manager: FileSystemArtifactManager,
  keys: readonly string[],
): Promise<number> {
  const driver = await manager.getDriver();
  const times: number[] = [];
  for (const key of keys) {
    const start = performance.now();
    for await (const _ of await driver.read(key)) {
      // drained
    }
    times.push(performance.now() - start);
  }
  return Math.round(median(times) * 1000) / 1000;
}

const spread = (values: number[], digits: number) =>
  `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;

function printClientRows(rows: ClientRow[]): void {
  process.stdout.write(
    "| server | data | client | download s: median (min–max) | rate at median | our CPU s | peak RSS MiB | page faults (median) | server CPU s | one small read ms |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
  );
  for (const r of rows) {
    const seconds = r.steps.map((step) => step.seconds);
    const big = r.data.startsWith("1×");
    const files = big ? 1 : SMALL;
    const m = median(seconds);
    const rate = big ? `${Math.round(BIG_MIB / m)} MiB/s` : `${Math.round(files / m)} files/s`;
    const cells = [
      r.target,
      r.data,
      r.client,
      spread(seconds, 2),
      rate,
      spread(
        r.steps.map((step) => step.cpuS),
        2,
      ),
      String(Math.max(...r.steps.map((step) => step.rssMiB))),
      String(median(r.steps.map((step) => step.pageFaults))),
      spread(
        r.steps.map((step) => step.serverCpuS),
        1,
      ),
      r.readMs.length > 0 ? spread(r.readMs, 2) : "–",
    ];
    process.stdout.write(`| ${cells.join(" | ")} |\n`);
  }
}

/** True when `dir` is on an ext4 without a journal (its `/sys/fs/ext4/<device>/journal_task` is `<none>`). */
async function withoutJournal(dir: string): Promise<boolean> {
  try {
    const { stdout } = await run("findmnt", ["-n", "-o", "FSTYPE,SOURCE", "--target", dir]);
    const [type, source] = stdout.trim().split(/\s+/);
    if (type !== "ext4" || source === undefined) return false;
    const task = await readFile(`/sys/fs/ext4/${basename(source)}/journal_task`, "utf8");
    return task.trim() === "<none>";
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  // radosgw's memstore keeps every deleted byte until its garbage collection (hours later): past ~10 GiB
  // in all, the OSD (12 GiB memstore, ~1.7× that in RSS) fills this VM's memory and every write stalls.
  const tools = 1 + (CLI ? 1 : 0) + (RCLONE ? 1 : 0);
  const turns = FRESH_SERVER.includes("s3") ? 1 : REPEAT * tools;
  const s3MiB = turns * (BIG_MIB + (SMALL * 4) / 1024) + 64;
  if (ONLY.includes("s3") && s3MiB > 10 * 1024) {
    throw new Error(
      `the S3 rounds would store ${(s3MiB / 1024).toFixed(1)} GiB on radosgw, which frees nothing before the run ends; keep it under 10 GiB (--repeat 3 with three tools and 1 GiB), or run s3 separately`,
    );
  }
  if (CLI && !existsSync(CLI_BIN)) {
    throw new Error(`${CLI_BIN} is missing: run \`npm run build\` first, or pass --cli no`);
  }
  const work = await mkdtemp(join(tmpdir(), "am-bench-cloud-"));
  if (await withoutJournal(work)) {
    process.stderr.write(
      `warning: ${work} is on ext4 without a journal, where creating files after many deletions costs seconds of kernel time; see bench/journaled-fs.sh\n`,
    );
  }
  const rows: Row[] = [];
  const clientRows: ClientRow[] = [];
  process.stderr.write(
    `load average at start: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(" ")}\n`,
  );
  try {
    const data = await makeData(work);
    const starters = { s3: radosgwTarget, azure: azuriteTarget, gcs: gcsFakeTarget } as const;
    for (const key of ONLY as (keyof typeof starters)[]) {
      const start = async () => {
        const server = await starters[key]();
        if (DELAY_MS <= 0) return server;
        return await delayedTarget(server, DELAY_MS).catch(async (error: unknown) => {
          await server.stop();
          throw error;
        });
      };
      if (HTTP_CLIENTS.length > 0) {
        clientRows.push(...(await benchHttpClients(start, data, work)));
        continue;
      }
      const got = await benchTarget(start, FRESH_SERVER.includes(key), data, work);
      rows.push(...got);
      for (const r of got) process.stderr.write(`${JSON.stringify(r)}\n`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  process.stderr.write(
    `load average at end: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(" ")}\n`,
  );
  if (HTTP_CLIENTS.length > 0) {
    process.stderr.write(`direct GETs per client: ${JSON.stringify(GETS)}\n`);
    printClientRows(clientRows);
    return;
  }
  process.stdout.write(
    "| server | data | op | tool | median s (rounds) | rate at median | server CPU s at median | peak RSS MiB |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n",
  );
  for (const r of rows) {
    const rounds = r.seconds.map((s) => s.toFixed(1)).join(", ");
    const serverCpu = r.serverCpuS[r.seconds.indexOf(median(r.seconds))] ?? Number.NaN;
    process.stdout.write(
      `| ${r.target} | ${r.data} | ${r.op} | ${r.tool} | ${median(r.seconds).toFixed(1)} (${rounds}) | ${r.rate} | ${serverCpu.toFixed(1)} | ${r.rssMiB ?? "–"} |\n`,
    );
  }
}

await main();
