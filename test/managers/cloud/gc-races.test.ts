/**
 * Issue 17 item 2 on s3:// (radosgw), gs:// (the GCS fake) and az:// (azurite): gc can never delete
 * live or committed data. gc runs from a driver hook at each point of a log
 * (test/fixtures/gc/gc-suite.ts); "the grace period has passed" is a store clock read two hours later.
 */
import { describe, expect, it } from "vitest";
import { gcBesideWriters } from "../../fixtures/gc/gc-loop.js";
import type { GcTarget } from "../../fixtures/gc/gc-scenarios.js";
import { defineGcRaceTests } from "../../fixtures/gc/gc-suite.js";
import { s3Store } from "../../servers/cloud-stores.js";
import { CLOUD_BACKENDS, openManager } from "./stores.js";

const TARGETS: GcTarget[] = CLOUD_BACKENDS.map((backend) => ({
  name: backend.name,
  direct: true,
  open: async () => {
    const opened = await openManager(backend);
    return { driver: await opened.manager.getDriver(), close: opened.cleanup };
  },
}));

for (const target of TARGETS) defineGcRaceTests(target);

describe("gc looping beside 4 writer processes on s3 (radosgw)", () => {
  it("every log that reported success is complete; failures are CONFLICT and leave nothing", async () => {
    const store = await s3Store();
    try {
      const result = await gcBesideWriters({
        url: store.url,
        storageOptions: store.storageOptions,
        writers: 4,
        logs: 6,
      });
      expect(result.gcRuns).toBeGreaterThan(0);
      console.log(`gc beside writers (radosgw): ${JSON.stringify(result)}`);
    } finally {
      await store.cleanup();
    }
  }, 300_000);
});
