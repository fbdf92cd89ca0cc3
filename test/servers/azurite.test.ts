/** Stopping azurite also works when the process ignores SIGTERM (an overloaded azurite has done so). */
import { spawn } from "node:child_process";
import { describe, expect, it, vi } from "vitest";
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

  it("waits on no timer for a process group that is already gone", async () => {
    const done = spawn(process.execPath, ["-e", ""], { detached: true, stdio: "ignore" });
    await new Promise((resolve) => done.once("exit", resolve));
    vi.useFakeTimers();
    try {
      let stopped = false;
      const stopping = stopAzurite(done.pid as number, 5_000).then(() => {
        stopped = true;
      });
      await vi.advanceTimersByTimeAsync(0); // settles pending promises, lets no time pass
      expect(stopped).toBe(true);
      await stopping;
    } finally {
      vi.useRealTimers();
    }
  });
});
