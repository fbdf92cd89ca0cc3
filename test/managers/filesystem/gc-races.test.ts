/**
 * Issue 17 item 2 on local disk and memory://: gc can never delete live or committed data. gc runs
 * from a driver hook at each point of a log (test/fixtures/gc/gc-suite.ts); the local stores are also
 * read by Python scaffold's own code.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLocalDriver } from "../../../src/drivers/local.js";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { gcBesideWriters } from "../../fixtures/gc/gc-loop.js";
import { filesOf, type GcTarget, gate, Scenario } from "../../fixtures/gc/gc-scenarios.js";
import { defineGcRaceTests } from "../../fixtures/gc/gc-suite.js";
import { HOUR_MS } from "../../fixtures/gc/hooked-driver.js";

async function localStore() {
  const dir = await mkdtemp(join(tmpdir(), "am-gc-races-"));
  const root = join(dir, "store");
  return {
    driver: createLocalDriver({ root }),
    localRoot: root,
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

let memoryStores = 0;
const TARGETS: GcTarget[] = [
  // Uploads through `write` (not the kernel copy) so that the hooks see each file.
  { name: "local disk (staged + atomic rename)", direct: false, hideLocalPath: true, open: localStore },
  { name: "local disk (object-store path)", direct: true, hideLocalPath: true, open: localStore },
  {
    name: "memory:// (staged + atomic rename)",
    direct: false,
    open: async () => ({
      driver: createMemoryDriver({ name: `gc-races-${memoryStores++}` }),
      close: async () => {},
    }),
  },
];

for (const target of TARGETS) defineGcRaceTests(target);

describe("age = the newest object's, on a fake clock (memory://, whose timestamps come from Date)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a claim 2 h old with a file written just now stays; 2 h later gc takes the number (CONFLICT)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const target: GcTarget = {
      name: "memory",
      direct: true,
      open: async () => ({ driver: createMemoryDriver(), close: async () => {} }),
    };
    const s = new Scenario(target, await target.open(), "clock", filesOf(4, "fake clock"));
    const later = () => vi.setSystemTime(Date.now() + 2 * HOUR_MS);
    const held = gate();
    const seen: number[] = [];
    try {
      const result = await s.log({
        afterWrite: async (key) => {
          if (key.endsWith(".claim")) later();
          if (!key.endsWith("/v0/f0.bin")) return;
          seen.push(await s.gc(HOUR_MS, () => 0));
          later();
          seen.push(await s.gc(HOUR_MS, () => 0));
          held.open();
        },
        beforeWrite: async (key) => {
          if (/\/v0\/(?!f0\.bin)/.test(key)) await held.opened;
        },
      });
      expect(seen[0]).toBe(0);
      expect(seen[1]).toBeGreaterThan(0);
      await s.expectNothingVisible(result.error);
      await s.expectNextLogWorks();
    } finally {
      await s.dispose();
    }
  });
});

const GC_ONCE = fileURLToPath(new URL("../../fixtures/gc/gc-once.ts", import.meta.url));

describe("gc beside a writer on local disk, with the kernel copies of a real log", () => {
  // The writer is frozen inside its progress callback while gc runs in another process.
  const cases: [string, (path: string, done: number) => boolean][] = [
    ["the first of 4 copies", (_path, done) => done === 1],
    ["the last copy", (_path, done) => done === 4],
  ];
  it.each(cases)("gc after %s: CONFLICT, nothing visible, the next log works", async (_label, when) => {
    const dir = await mkdtemp(join(tmpdir(), "am-gc-copy-"));
    const root = join(dir, "store");
    const target: GcTarget = {
      name: "local",
      direct: false,
      open: async () => ({ driver: createLocalDriver({ root }), localRoot: root, close: async () => {} }),
    };
    const s = new Scenario(target, await target.open(), "copies", filesOf(4, "copies"));
    try {
      const writer = new FileSystemArtifactManager({ url: root, concurrency: 1 });
      let done = 0;
      let collected = -1;
      const error = await writer
        .logFiles(s.name, await s.source(), {
          collection: s.collection,
          onProgress: (event) => {
            if (event.type !== "file-done" || !when(event.path, ++done) || collected >= 0) return;
            const out = execFileSync(process.execPath, ["--import", "tsx", GC_ONCE, root, s.collection]);
            collected = Number(out.toString());
          },
        })
        .then(
          (artifact) => artifact,
          (e: unknown) => e,
        );
      expect(collected).toBeGreaterThan(0);
      await s.expectNothingVisible(error);
      const next = await s.plain().logFiles(s.name, await s.source(), { collection: s.collection });
      await s.expectComplete(next.version);
    } finally {
      await s.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("gc looping beside 4 writer processes on local disk", () => {
  it("every log that reported success is complete; failures are CONFLICT and leave nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "am-gc-loop-"));
    try {
      const root = join(dir, "store");
      const result = await gcBesideWriters({ url: root, localRoot: root, writers: 4, logs: 6 });
      expect(result.gcRuns).toBeGreaterThan(0);
      console.log(`gc beside writers (local): ${JSON.stringify(result)}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
