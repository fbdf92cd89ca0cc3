/** The shared-server harness: its start budget fits vitest's hook timeout, and its teardown stops half-started radosgw daemons. */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import config from "../../vitest.config.js";
import { RADOSGW_START_BUDGET_MS } from "./radosgw.js";
import { stopSharedServers } from "./shared-servers.js";

describe("shared test servers", () => {
  it("radosgw's whole start budget (two attempts) fits in vitest's hookTimeout", () => {
    const hookTimeout = (config as { test?: { hookTimeout?: number } }).test?.hookTimeout ?? 10_000;
    expect(RADOSGW_START_BUDGET_MS).toBeLessThan(hookTimeout);
  });

  it("the teardown stops the daemons of a radosgw start that was killed before it was ready", async () => {
    const servers = await mkdtemp(join(tmpdir(), "am-servers-test-"));
    const state = await mkdtemp(join(tmpdir(), "am-radosgw-test-"));
    // A daemon of the half-done start, recorded the way scripts/start-radosgw.sh records its daemons.
    const daemon = spawn("sleep", ["600"], { stdio: "ignore" });
    const exited = once(daemon, "exit");
    try {
      await mkdir(join(state, "run"));
      await writeFile(join(state, "run", "mon.a.pid"), String(daemon.pid));
      // The start recorded its state folder, then its worker was killed: no radosgw.json was written.
      await writeFile(join(servers, "radosgw.lock"), "12345");
      await writeFile(join(servers, "radosgw.starting"), `${state}\n`);
      await stopSharedServers(servers);
      expect(existsSync(state)).toBe(false);
      expect(existsSync(servers)).toBe(false);
      const [code, signal] = await exited;
      expect(code === null ? signal : code).toBe("SIGTERM");
    } finally {
      daemon.kill("SIGKILL");
      await rm(state, { recursive: true, force: true });
      await rm(servers, { recursive: true, force: true });
    }
  });
});
