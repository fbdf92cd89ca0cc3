/** Several OS processes logging one artifact on each cloud server at once: distinct versions, nothing lost. */
import { spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFileBarrier } from "../../fixtures/file-barrier.js";
import { versionFiles } from "../../fixtures/filesystem/version-files.js";
import { CLOUD_BACKENDS, openManager } from "./stores.js";

const WORKER = fileURLToPath(new URL("./log-worker.ts", import.meta.url));
const PROCESSES = 3;
const LOGS_PER_PROCESS = 4;

function runWorker(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`worker failed (${code}): ${err}`)),
    );
  });
}

describe.each(CLOUD_BACKENDS)("concurrent writer processes on $name", (backend) => {
  let opened: Awaited<ReturnType<typeof openManager>>;
  beforeAll(async () => {
    opened = await openManager(backend);
  });
  afterAll(async () => opened?.cleanup());

  it(`${PROCESSES} processes × ${LOGS_PER_PROCESS} logs of one artifact get distinct, intact versions`, async () => {
    // A file barrier, not a start time: each worker waits until all are ready, however slow start-up is.
    const barrier = await createFileBarrier(tmpdir(), PROCESSES);
    const env = { STORAGE_OPTIONS: JSON.stringify(opened.store.storageOptions), ...barrier };
    const outputs = await Promise.all(
      Array.from({ length: PROCESSES }, (_, w) =>
        runWorker([opened.store.url, "shared", String(LOGS_PER_PROCESS), String(w)], env),
      ),
    ).finally(() => rm(barrier.BARRIER_DIR, { recursive: true, force: true }));
    const perWorker = outputs.map((o) => JSON.parse(o.trim().split("\n").at(-1) ?? "[]") as string[]);
    const reported = perWorker.flat();
    // The workers really raced: some worker's versions are not one contiguous run (all sequential → fail).
    const contiguous = (versions: string[]) => {
      const numbers = versions.map((v) => Number(v.slice(1))).sort((a, b) => a - b);
      return (numbers.at(-1) ?? 0) - (numbers[0] ?? 0) === numbers.length - 1;
    };
    expect(perWorker.every(contiguous), JSON.stringify(perWorker)).toBe(false);
    const total = PROCESSES * LOGS_PER_PROCESS;
    expect(new Set(reported).size).toBe(total);
    const { manager } = opened;
    const versions = await manager.listVersions("shared");
    expect([...versions].sort()).toEqual([...reported].sort());
    const ids = new Set<string>();
    for (const version of versions) {
      const record = await manager.getVersion("shared", { version });
      const id = record.description as string;
      ids.add(id);
      expect(record.metadata).toEqual({ id });
      await using tmp = await manager.downloadArtifact("shared", { version });
      for (const [path, content] of Object.entries(versionFiles(id))) {
        expect(await readFile(join(tmp.path, path), "utf8")).toBe(content);
      }
    }
    expect(ids.size).toBe(total);
  }, 180_000);
});
