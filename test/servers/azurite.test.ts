/** Stopping azurite also works when the process ignores SIGTERM (an overloaded azurite has done so). */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { stopAzurite } from "./azurite.js";

const alive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("stopAzurite", () => {
  it("escalates to SIGKILL when the process group outlives SIGTERM", async () => {
    const stubborn = spawn(
      process.execPath,
      ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"],
      { detached: true, stdio: "ignore" },
    );
    const pid = stubborn.pid as number;
    await new Promise((resolve) => setTimeout(resolve, 300)); // its SIGTERM handler is installed
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      stubborn.once("exit", (_code, signal) => resolve(signal)),
    );
    await stopAzurite(pid, 300);
    expect(await exited).toBe("SIGKILL");
    expect(alive(pid)).toBe(false);
  });

  it("returns at once for a process group that is already gone", async () => {
    const done = spawn(process.execPath, ["-e", ""], { detached: true, stdio: "ignore" });
    await new Promise((resolve) => done.once("exit", resolve));
    const start = Date.now();
    await stopAzurite(done.pid as number, 5_000);
    expect(Date.now() - start).toBeLessThan(1_000);
  });
});
