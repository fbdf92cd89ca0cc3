/** On a terminal (a pseudo-terminal from util-linux `script`), transfers draw a redrawn progress bar on stderr. */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, ensureBuilt } from "./run-cli.js";

const run = promisify(execFile);
let dir: string;

/** Runs the binary inside `script`, which gives it a terminal; returns everything the terminal got. */
async function inTerminal(args: string[]): Promise<string> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const { stdout } = await run("script", ["-qefc", `stty cols 100; ${command}`, "/dev/null"], { cwd: dir });
  return stdout;
}

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), "cli-tty-"));
  await mkdir(join(dir, "data"));
  for (let i = 0; i < 20; i += 1) await writeFile(join(dir, "data", `f${i}.bin`), Buffer.alloc(100_000, i));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("progress on a terminal", () => {
  it("draws a bar with bytes and files, then replaces it with a summary", async () => {
    const output = await inTerminal(["log", "data", "tty-model"]);
    expect(output).toMatch(/\rupload\s+\[[#.]+\]\s+\d+%\s+\S+ \S*B\/2\.0 MB\s+\d+\/20 files/);
    expect(output).toContain("\r\u001b[Kuploaded 20 files (2.0 MB)");
    expect(output).toContain("logged tty-model:v0");
    const download = await inTerminal(["get", "tty-model", "--to", "out"]);
    expect(download).toMatch(/\rdownload\s+\[/);
    expect(download).toMatch(/downloaded 20 files/);
  });

  it("draws nothing with --quiet", async () => {
    const output = await inTerminal(["get", "tty-model", "--to", "out2", "--quiet"]);
    expect(output.trim()).toBe("");
  });
});
