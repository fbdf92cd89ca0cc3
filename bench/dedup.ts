/**
 * Dedup benchmark (issue 20, "never move the same bytes twice"; not a test): log a 1 GiB folder of 64
 * files, change the one 4 KiB file, log it again (its 63 unchanged files are copied inside the store,
 * `StorageDriver.copy`), then log it a third time unchanged with `ifUnchanged: "reuse"` (nothing is
 * written). Prints each round's seconds and the re-log / first-log ratio (target: ≤ 10 %).
 *   npx tsx bench/dedup.ts [--only s3,azure,gcs] [--mib 1024] [--repeat 3] [--no-copy]
 * `--no-copy` hides the driver's `copy`: the re-log then uploads everything (the old behaviour).
 * `--no-memo` forgets the in-process sha256 memo before each re-log and keeps no hash record: every
 * file is read and hashed again (each `artifacts log` of the CLI before the hash record).
 * `--new-process` forgets the memo before each re-log but keeps the hash record in a cache folder
 * (hash-record.ts): what a new process, each `artifacts log` of the CLI, does now.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProgressEvent } from "../src/core/types.js";
import { FileSystemArtifactManager } from "../src/managers/file-system-artifact-manager.js";
import { forgetHashes } from "../src/managers/filesystem/hash-memo.js";
import { deletePrefix } from "../src/managers/filesystem/transfer.js";
import { createDriver } from "../src/storage/create-driver.js";
import type { StorageDriver } from "../src/storage/driver.js";
import { azuriteTarget, type BenchTarget, gcsFakeTarget, radosgwTarget } from "./cloud-servers.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const ONLY = arg("only", "s3,azure").split(",");
const MIB = Number(arg("mib", "1024"));
const REPEAT = Number(arg("repeat", "3"));
const NO_COPY = process.argv.includes("--no-copy");
const NO_MEMO = process.argv.includes("--no-memo");
const NEW_PROCESS = process.argv.includes("--new-process");
const FILES = 64;
const SMALL = 4096;

/** 63 big files of equal size and one 4 KiB file, `MIB` MiB in all. */
async function makeFolder(dir: string): Promise<string> {
  const folder = join(dir, "data");
  await mkdir(folder, { recursive: true });
  const big = Math.floor((MIB * 1024 * 1024 - SMALL) / (FILES - 1));
  for (let i = 0; i < FILES - 1; i++)
    await writeFile(join(folder, `shard-${String(i).padStart(2, "0")}.bin`), randomBytes(big));
  await writeFile(join(folder, "state.json"), randomBytes(SMALL));
  return folder;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - start) / 1000, value };
}

async function benchTarget(target: BenchTarget, folder: string, cacheDir: string): Promise<string[]> {
  let driver: StorageDriver = await createDriver(target.url, target.storageOptions);
  if (NO_COPY) {
    const hidden: StorageDriver = Object.create(driver);
    Object.defineProperty(hidden, "copy", { value: undefined });
    driver = hidden;
  }
  // The cache folder also keeps the hash record; --no-memo runs without either.
  const manager = new FileSystemArtifactManager({ driver, cache: NO_MEMO ? false : { dir: cacheDir } });
  const rows: string[] = [];
  for (let round = 0; round < REPEAT; round++) {
    const name = `dedup-r${round}-${randomBytes(3).toString("hex")}`;
    await writeFile(join(folder, "state.json"), randomBytes(SMALL));
    const first = await timed(() => manager.logFiles(name, folder));
    await writeFile(join(folder, "state.json"), randomBytes(SMALL));
    let copied = 0;
    const onProgress = (e: ProgressEvent) => {
      if (e.type === "file-done" && e.copied) copied++;
    };
    if (NO_MEMO || NEW_PROCESS) forgetHashes();
    const relog = await timed(() => manager.logFiles(name, folder, { onProgress }));
    if (NO_MEMO || NEW_PROCESS) forgetHashes();
    const same = await timed(() => manager.logFiles(name, folder, { ifUnchanged: "reuse" }));
    const ok = (await manager.verify(name, { version: relog.value.version })).ok;
    rows.push(
      `| ${target.name} | ${round + 1} | ${first.seconds.toFixed(2)} | ${relog.seconds.toFixed(2)} | ${copied} | ${((100 * relog.seconds) / first.seconds).toFixed(1)} % | ${same.seconds.toFixed(2)} (${same.value.reused ? "reused" : "new version"}) | ${ok ? "ok" : "FAILED"} |`,
    );
    console.error(rows.at(-1));
    await deletePrefix(driver, `default/${name}/`);
  }
  await driver.close?.();
  return rows;
}

const dir = await mkdtemp(join(tmpdir(), "am-bench-dedup-"));
try {
  const folder = await makeFolder(dir);
  const targets: [string, () => Promise<BenchTarget>][] = [
    ["s3", radosgwTarget],
    ["azure", azuriteTarget],
    ["gcs", gcsFakeTarget],
  ];
  const rows: string[] = [];
  for (const [key, start] of targets) {
    if (!ONLY.includes(key)) continue;
    const target = await start();
    try {
      for (const row of await benchTarget(target, folder, join(dir, "cache"))) rows.push(row);
    } finally {
      await target.stop();
    }
  }
  const flags = `${NO_COPY ? ", driver copy hidden (--no-copy)" : ""}${NO_MEMO ? ", no sha256 memo (--no-memo)" : ""}${NEW_PROCESS ? ", memo forgotten, hash record kept (--new-process)" : ""}`;
  console.log(`\n${MIB} MiB, ${FILES} files${flags}\n`);
  console.log(
    "| store | round | first log s | re-log s (1 file changed) | files copied | re-log / first | unchanged re-log s | verify |",
  );
  console.log(
    "| ----- | ----- | ----------- | ------------------------- | ------------ | -------------- | ------------------ | ------ |",
  );
  for (const row of rows) console.log(row);
} finally {
  await rm(dir, { recursive: true, force: true });
}
