/** Separate OS processes logging the same artifact at once: every version distinct and intact. */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { expectConcurrentLogs } from "../../fixtures/concurrent-logs.js";
import { createFileBarrier } from "../../fixtures/file-barrier.js";
import { tempFolder } from "./helpers.js";
import { runWorker } from "./processes.js";

const PROCESSES = 4;
const LOGS_PER_PROCESS = 12;

describe.each([
  ["staged + atomic rename (local disk)", []],
  ["claim + direct upload (object-store path)", ["direct"]],
])("concurrent writer processes: %s", (_label, extra) => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempFolder("am-concurrency-");
  });
  afterEach(() => dir.remove());

  it(`${PROCESSES} processes × ${LOGS_PER_PROCESS} logs of one artifact get distinct, intact versions`, async () => {
    const root = join(dir.path, "store");
    const barrier = await createFileBarrier(dir.path, PROCESSES);
    const outputs = await Promise.all(
      Array.from({ length: PROCESSES }, (_, worker) =>
        runWorker(["log", root, "shared", String(LOGS_PER_PROCESS), String(worker), ...extra], barrier),
      ),
    );
    const perWorker = outputs.map((output) => JSON.parse(output) as string[]);
    const manager = new FileSystemArtifactManager({ url: root });
    await expectConcurrentLogs(manager, "shared", perWorker, PROCESSES * LOGS_PER_PROCESS);
  }, 180_000);
});

describe("concurrent logs in one process", () => {
  it("16 concurrent logFiles on a memory store get 16 distinct versions", async () => {
    const dir = await tempFolder("am-concurrency-mem-");
    try {
      const { writeFile } = await import("node:fs/promises");
      const file = join(dir.path, "f.txt");
      await writeFile(file, "same");
      const manager = new FileSystemArtifactManager({ url: `memory://concurrency-${Date.now()}` });
      const results = await Promise.all(Array.from({ length: 16 }, () => manager.logFiles("same", file)));
      expect(new Set(results.map((r) => r.version)).size).toBe(16);
      expect(await manager.listVersions("same")).toHaveLength(16);
    } finally {
      await dir.remove();
    }
  });
});
