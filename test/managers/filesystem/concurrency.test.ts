/** Separate OS processes logging the same artifact at once: every version distinct and intact. */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { versionFiles } from "../../fixtures/filesystem/version-files.js";
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
    // A file barrier: each worker, once started, writes a ready file and waits for all the others, so
    // that they race however long their start-up takes.
    const barrier = join(dir.path, "barrier");
    await mkdir(barrier);
    const env = { BARRIER_DIR: barrier, BARRIER_COUNT: String(PROCESSES) };
    const outputs = await Promise.all(
      Array.from({ length: PROCESSES }, (_, worker) =>
        runWorker(["log", root, "shared", String(LOGS_PER_PROCESS), String(worker), ...extra], env),
      ),
    );
    const perWorker = outputs.map((output) => JSON.parse(output) as string[]);
    const reported = perWorker.flat();
    // The workers really raced: some worker's versions are not one contiguous run (all sequential → fail).
    const contiguous = (versions: string[]) => {
      const numbers = versions.map((v) => Number(v.slice(1))).sort((a, b) => a - b);
      return (numbers.at(-1) ?? 0) - (numbers[0] ?? 0) === numbers.length - 1;
    };
    expect(perWorker.every(contiguous), JSON.stringify(perWorker)).toBe(false);
    const total = PROCESSES * LOGS_PER_PROCESS;
    expect(new Set(reported).size).toBe(total);
    const manager = new FileSystemArtifactManager({ url: root });
    const versions = await manager.listVersions("shared");
    expect(versions).toHaveLength(total);
    expect([...versions].sort()).toEqual([...reported].sort());
    const ids = new Set<string>();
    for (const version of versions) {
      const record = await manager.getVersion("shared", { version });
      const id = record.description as string;
      ids.add(id);
      expect(record.metadata).toEqual({ id });
      expect(record.files.map((f) => f.path)).toEqual(["id.txt", "nested/data.bin"]);
      expect(await manager.verify("shared", { version })).toEqual({
        ok: true,
        missing: [],
        extra: [],
        changed: [],
      });
      await using tmp = await manager.downloadArtifact("shared", { version });
      for (const [path, content] of Object.entries(versionFiles(id))) {
        expect(await readFile(join(tmp.path, path), "utf8")).toBe(content);
      }
    }
    expect(ids.size).toBe(total);
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
