/**
 * A hostile W&B server (issue 18, items 6-8): an endless or endlessly slow manifest, an endless
 * GraphQL answer, a page cursor that repeats. Each call runs in a child process with a memory cap
 * and a time limit (hostile-worker.ts) and must end in a typed error naming the option to raise,
 * without retrying what would come again.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { WandbArtifactManagerOptions } from "../../../src/managers/wandb/wandb-artifact-manager.js";
import { type CappedOutcome, runCappedChild } from "../../fixtures/capped-child.js";
import { type EmulatorFixture, FAST_RETRY, startFixture } from "./fixtures.js";
import { endless, type HostileProxy, repeatingCursor, startHostileProxy, trickle } from "./hostile-proxy.js";

const WORKER = fileURLToPath(new URL("./hostile-worker.ts", import.meta.url));
const MiB = 1 << 20;

let fx: EmulatorFixture;
let proxy: HostileProxy;
beforeAll(async () => {
  fx = await startFixture();
  const dir = join(fx.dir, "data");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "a.txt"), "alpha");
  await writeFile(join(dir, "b.txt"), "beta");
  await fx.manager({ project: "hostile" }).logFiles("data", dir);
  proxy = await startHostileProxy(fx.emulator.url);
});
afterAll(async () => {
  await proxy.close();
  await fx.close();
});
beforeEach(() => {
  proxy.rules.length = 0;
  proxy.rewrites.length = 0;
  proxy.counts.clear();
});

/** Runs one manager call against the proxy in a child with a memory cap, killed after `timeoutMs`. */
function runHostile(
  call: "download" | "listVersions",
  options: WandbArtifactManagerOptions = {},
  timeoutMs = 60_000,
): Promise<CappedOutcome> {
  const job = {
    call,
    name: "data",
    to: join(fx.dir, `out-${Math.random().toString(36).slice(2)}`),
    options: {
      baseUrl: proxy.url,
      apiKey: fx.emulator.apiKey,
      project: "hostile",
      retry: FAST_RETRY,
      ...options,
    },
  };
  return runCappedChild(WORKER, [JSON.stringify(job)], { heapMb: 192, timeoutMs });
}

describe("a hostile W&B server cannot exhaust the client (issue 18)", { timeout: 90_000 }, () => {
  it("an endless manifest stops at maxManifestBytes, not retried (18.6)", async () => {
    proxy.rules.push(endless("storage:manifest", '{"version":1,"contents":{"'));
    const result = await runHostile("download", { maxManifestBytes: 16 * MiB });
    expect(result.outcome).toBe("UNEXPECTED");
    expect(result.message).toContain("`maxManifestBytes`");
    expect(proxy.counts.get("storage:manifest")).toBe(1);
  });

  it("a manifest that never ends arriving times out at manifestTimeoutMs, not retried (18.6)", async () => {
    proxy.rules.push(trickle("storage:manifest", 50));
    const result = await runHostile("download", { manifestTimeoutMs: 1500 });
    expect(result.outcome).toBe("TIMEOUT");
    expect(result.message).toContain("`manifestTimeoutMs`");
    expect(proxy.counts.get("storage:manifest")).toBe(1);
  });

  it("an endless GraphQL answer stops at the default maxGraphqlResponseBytes, not retried (18.7)", async () => {
    proxy.rules.push(endless("ArtifactMembership", '{"data":{"project":"'));
    const result = await runHostile("download");
    expect(result.outcome).toBe("UNEXPECTED");
    expect(result.message).toContain("`maxGraphqlResponseBytes`");
    expect(proxy.counts.get("ArtifactMembership")).toBe(1);
  });

  it("a GraphQL answer over a lowered maxGraphqlResponseBytes is refused", async () => {
    const result = await runHostile("listVersions", { maxGraphqlResponseBytes: 64 });
    expect(result.outcome).toBe("UNEXPECTED");
    expect(result.message).toContain("`maxGraphqlResponseBytes`");
  });

  it("a version listing whose cursor repeats stops (18.8)", async () => {
    proxy.rewrites.push(repeatingCursor("ProjectArtifacts"));
    const result = await runHostile("listVersions");
    expect(result.outcome).toBe("UNEXPECTED");
    expect(result.message).toContain("a second time");
    expect(proxy.counts.get("ProjectArtifacts")).toBe(2);
  });

  it("a file URL listing whose cursor repeats stops (18.8)", async () => {
    proxy.rewrites.push(repeatingCursor("ArtifactMembershipFileURLs"));
    const result = await runHostile("download");
    expect(result.outcome).toBe("UNEXPECTED");
    expect(proxy.counts.get("ArtifactMembershipFileURLs")).toBe(2);
  });

  it("the proxy alone serves the version (the cases above are the hostile answers)", async () => {
    expect(await runHostile("download")).toEqual({
      outcome: "ok",
      value: { name: "data", collection: "default", version: "v0" },
    });
  });
});
