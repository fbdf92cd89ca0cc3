/**
 * Where the time of a cloud download goes (not a test): on one local server, times the stages of the
 * manager's download path separately, for one big object and many small ones.
 *   npx tsx bench/cloud-probe.ts --target s3|azure|gcs [--mib 512] [--small 2000] [--read-concurrency 1,4]
 *     [--stages drain,sha256,file] [--options '{"blockSize":16777216}'] (storage options of the writes)
 * Stages: `drain` (driver.read, bytes dropped), `sha256` (+ the manager's hashing stream), `file`
 * (+ writing a local file: the whole per-file download of the manager), and `write` (driver.write of a
 * local file through the manager's hashing stream: the per-file upload).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readLocalFile } from "../src/managers/filesystem/hashed-copy.js";
import { hashingStream, writeStreamHashed } from "../src/managers/filesystem/hashed-stream.js";
import { createDriver } from "../src/storage/create-driver.js";
import type { StorageDriver } from "../src/storage/driver.js";
import { mapConcurrent } from "../src/util/map-concurrent.js";
import { azuriteTarget, type BenchTarget, gcsFakeTarget, radosgwTarget } from "./cloud-servers.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const TARGET = arg("target", "s3");
const MIB = Number(arg("mib", "512"));
const SMALL = Number(arg("small", "2000"));
const READ_CONCURRENCY = arg("read-concurrency", "1").split(",").map(Number);
const STAGES = arg("stages", "drain,sha256,file").split(",");
const OPTIONS = JSON.parse(arg("options", "{}")) as Record<string, unknown>;

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // dropped
  }
}

async function readStage(driver: StorageDriver, key: string, stage: string, dir: string): Promise<void> {
  const stream = await driver.read(key);
  if (stage === "drain") return drain(stream);
  if (stage === "sha256") return drain(hashingStream(stream).stream);
  await writeStreamHashed(stream, join(dir, `${key.replaceAll("/", "_")}-${Math.random()}`));
}

async function time(label: string, units: number, unit: string, fn: () => Promise<unknown>): Promise<void> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  await fn();
  const s = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuS = (used.user + used.system) / 1e6;
  const sys = used.system / 1e6;
  process.stdout.write(
    `${TARGET} ${label}: ${s.toFixed(2)} s, ${Math.round(units / s)} ${unit}, our CPU ${cpuS.toFixed(2)} s (sys ${sys.toFixed(2)})\n`,
  );
}

async function main(): Promise<void> {
  const starters = { s3: radosgwTarget, azure: azuriteTarget, gcs: gcsFakeTarget } as const;
  const target: BenchTarget = await starters[TARGET as keyof typeof starters]();
  const dir = await mkdtemp(join(tmpdir(), "am-probe-"));
  try {
    const base = await createDriver(target.url, { ...target.storageOptions, ...OPTIONS });
    if (MIB > 0) {
      const big = join(dir, "big.bin");
      await writeFile(big, randomBytes(MIB * 1048576));
      await time(`write 1×${MIB} MiB`, MIB, "MiB/s", () =>
        base.write("probe/big", hashingStream(readLocalFile(big)).stream, { size: MIB * 1048576 }),
      );
      await rm(big);
      for (const rc of READ_CONCURRENCY) {
        const driver = await createDriver(target.url, { ...target.storageOptions, readConcurrency: rc });
        for (const stage of STAGES) {
          await time(`read 1×${MIB} MiB rc=${rc} ${stage}`, MIB, "MiB/s", () =>
            readStage(driver, "probe/big", stage, dir),
          );
          for (const f of await readdir(dir)) await rm(join(dir, f), { force: true });
        }
        await driver.close?.();
      }
    }
    if (SMALL > 0) {
      const keys = Array.from({ length: SMALL }, (_, i) => `probe/small/f${i}`);
      const small = join(dir, "small.bin");
      await writeFile(small, randomBytes(4096));
      await time(`write ${SMALL}×4 KiB`, SMALL, "files/s", () =>
        mapConcurrent(keys, (k) => base.write(k, hashingStream(readLocalFile(small)).stream, { size: 4096 })),
      );
      await time(`write ${SMALL}×4 KiB as buffers`, SMALL, "files/s", () =>
        mapConcurrent(keys, async (k) => {
          const data = await readFile(small);
          createHash("sha256").update(data).digest("hex");
          await base.write(`${k}-b`, data);
        }),
      );
      const smallDir = await mkdtemp(join(tmpdir(), "am-probe-small-"));
      for (const stage of STAGES) {
        await time(`read ${SMALL}×4 KiB ${stage}`, SMALL, "files/s", () =>
          mapConcurrent(keys, (k) => readStage(base, k, stage, smallDir)),
        );
      }
      await rm(smallDir, { recursive: true, force: true });
    }
    await base.close?.();
  } finally {
    await rm(dir, { recursive: true, force: true });
    await target.stop();
  }
}

await main();
