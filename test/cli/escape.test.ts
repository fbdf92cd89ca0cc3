/** Text from a store cannot drive the user's terminal: control characters print as \xNN (issue 18.16). */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ensureBuilt, runCli } from "./run-cli.js";

it("a description that would retitle the terminal is printed escaped by show", async () => {
  await ensureBuilt();
  const dir = await mkdtemp(join(tmpdir(), "cli-escape-"));
  try {
    await writeFile(join(dir, "f.txt"), "x");
    const cli = (...args: string[]) => runCli(args, { cwd: dir, env: {} });
    expect((await cli("log", "f.txt", "art", "-d", "\u001b]0;pwned\u0007 ok", "-q")).code).toBe(0);
    const shown = await cli("show", "art");
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("\\x1b]0;pwned\\x07 ok");
    expect(shown.stdout.includes("\u001b") || shown.stdout.includes("\u0007")).toBe(false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);
