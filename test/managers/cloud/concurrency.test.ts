/** Several OS processes logging one artifact on each cloud server at once: distinct versions, nothing lost. */
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, it } from "vitest";
import { expectConcurrentLogs } from "../../fixtures/concurrent-logs.js";
import { createFileBarrier } from "../../fixtures/file-barrier.js";
import { runScript } from "../../fixtures/run-script.js";
import { CLOUD_BACKENDS, openManager } from "./stores.js";

const WORKER = fileURLToPath(new URL("./log-worker.ts", import.meta.url));
const PROCESSES = 3;
const LOGS_PER_PROCESS = 4;

function runWorker(args: string[], env: Record<string, string>): Promise<string> {
  return runScript(WORKER, args, env);
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
    await expectConcurrentLogs(opened.manager, "shared", perWorker, PROCESSES * LOGS_PER_PROCESS);
  }, 180_000);
});
