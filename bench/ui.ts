/**
 * Web UI benchmark (issue 21). Two phases, each in its own process so peak RSS is its own:
 *  - `first-page`: a local store of 1,000 artifacts × 100 versions; time to the start page's first
 *    page (`GET /`), next to the peer an eager UI would use (`listArtifacts` + every artifact's summary).
 *  - `tensor-diff`: the tensor diff of two `state.pt` of `--mib` each (default 512) that differ in one
 *    element per tensor; time and peak RSS against the two files' size.
 * Run: `npx tsx bench/ui.ts`. Results: bench/README.md.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  FileSystemArtifactManager,
  loadCheckpoint,
  saveCheckpoint,
  startUiServer,
  Tensor,
} from "../src/index.js";
import { StoreAccess } from "../src/ui/store-access.js";
import { makeLargeStore } from "../test/ui/large-store.js";

const ROUNDS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function firstPage(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "bench-ui-"));
  try {
    await makeLargeStore(dir, { collection: "big", artifacts: 1000, versions: 100 });
    const manager = new FileSystemArtifactManager({ url: dir });
    await using ui = await startUiServer({ manager });
    const page: number[] = [];
    for (let i = 0; i < ROUNDS; i++) page.push(await timed(async () => (await fetch(ui.url)).text()));
    const store = new StoreAccess(manager);
    const eager: number[] = [];
    for (let i = 0; i < 2; i++) {
      eager.push(
        await timed(async () => {
          const names = await manager.listArtifacts("big");
          for (const name of names) await store.summary("big", name);
        }),
      );
    }
    console.log(
      JSON.stringify({ phase: "first-page", firstMs: page[0], medianMs: median(page), eagerMs: eager }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function tensorDiff(mib: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "bench-ui-diff-"));
  try {
    const manager = new FileSystemArtifactManager({ url: join(dir, "store") });
    for (const v of [0, 1]) {
      const folder = join(dir, `v${v}`);
      await mkdir(folder);
      const tree: Record<string, Tensor> = {};
      for (let t = 0; t < mib / 64; t++) {
        const data = new Float32Array((64 << 20) / 4);
        for (let j = 0; j < data.length; j += 4096) data[j] = t + j;
        if (v === 1) data[t] = 0.5;
        tree[`layer${t}.weight`] = new Tensor({ dtype: "float32", shape: [data.length / 1024, 1024], data });
      }
      await saveCheckpoint(join(folder, "state.pt"), tree);
      await manager.logFiles("big-model", folder, { collection: "bench" });
    }
    // The diff runs in a fresh process: its peak RSS is the diff's, not the writing's.
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", fileURLToPath(import.meta.url), "diff-only", join(dir, "store")],
      {
        encoding: "utf8",
      },
    );
    console.log(out.trim());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function diffOnly(store: string): Promise<void> {
  const manager = new FileSystemArtifactManager({ url: store });
  await using ui = await startUiServer({ manager });
  // Peak RSS sampled during the diff (ru_maxrss would start from the parent's at fork).
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  let status = 0;
  const ms = await timed(async () => {
    const response = await fetch(new URL("/c/bench/a/big-model/diff?a=v0&b=v1&file=state.pt", ui.url));
    status = response.status;
    await response.text();
  });
  clearInterval(sampler);
  const record = await manager.getVersion("big-model", { collection: "bench", version: "v1" });
  const mib = (record.files[0]?.size ?? 0) / 2 ** 20;
  const toMiB = (bytes: number) => Math.round(bytes / 2 ** 20);
  console.log(
    JSON.stringify({
      phase: "tensor-diff",
      status,
      fileMiB: Math.round(mib),
      ms: Math.round(ms),
      rssBeforeMiB: toMiB(baseline),
      peakRssMiB: toMiB(peak),
    }),
  );
  // The peer: what loading both files whole (loadCheckpoint) holds.
  peak = process.memoryUsage().rss;
  const peer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const loadMs = await timed(async () => {
    const both = await Promise.all(
      ["v0", "v1"].map((v) => loadCheckpoint(join(store, "bench", "big-model", v, "state.pt"))),
    );
    peak = Math.max(peak, process.memoryUsage().rss);
    return both.length;
  });
  clearInterval(peer);
  console.log(JSON.stringify({ phase: "peer-load-both", ms: Math.round(loadMs), peakRssMiB: toMiB(peak) }));
}

const [phase = "all", arg] = process.argv.slice(2);
if (phase === "diff-only") await diffOnly(arg as string);
else {
  if (phase === "all" || phase === "first-page") await firstPage();
  if (phase === "all" || phase === "tensor-diff") await tensorDiff(Number(arg ?? 512));
}
