/**
 * Issue 17 item 2 on local disk and memory://: gc can never delete live or committed data. gc runs
 * from a driver hook at each point of a log (test/fixtures/gc/gc-suite.ts); the local stores are also
 * read by Python scaffold's own code.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLocalDriver } from "../../../src/drivers/local.js";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { gcBesideWriters } from "../../fixtures/gc/gc-loop.js";
import type { GcTarget } from "../../fixtures/gc/gc-scenarios.js";
import { defineGcRaceTests } from "../../fixtures/gc/gc-suite.js";

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
