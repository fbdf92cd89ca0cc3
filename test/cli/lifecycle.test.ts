/**
 * `artifacts rm` and `artifacts prune` (issue 20), run as the built binary: what they print, --json,
 * exit codes, the question `rm --all` asks on a terminal (a pseudo-terminal from util-linux `script`)
 * and its refusal without one.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { BIN, ensureBuilt, runCli } from "./run-cli.js";

let dir: string;
const cli = (...args: string[]) => runCli(args, { cwd: dir, env: { TMPDIR: dir } });
const store = () => new FileSystemArtifactManager({ url: join(dir, "artifacts") });

/** Logs `count` versions of `name` through the CLI. */
async function logVersions(name: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await writeFile(join(dir, "f.txt"), `${name} version ${i} `.repeat(100));
    expect((await cli("log", "f.txt", name, "-q")).code).toBe(0);
  }
}

/** Runs the binary on a terminal (inside `script`), typing `answer` and Enter when it asks. */
function inTerminal(args: string[], answer: string): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qefc", command, "/dev/null"], {
      cwd: dir,
      env: { ...process.env, TMPDIR: dir },
    });
    let output = "";
    let typed = false;
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      output += text;
      if (!typed && output.includes("[y/N]")) {
        typed = true;
        child.stdin.write(`${answer}\r`);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), "cli-lifecycle-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("artifacts rm", () => {
  it("deletes one version; latest moves; the number is not reused", async () => {
    await logVersions("one", 3);
    const run = await cli("rm", "one:latest");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^deleted one:v2 \(1 file, 1\.\d kB\) from store '\.\/artifacts'\n$/);
    expect(await store().listVersions("one")).toEqual(["v0", "v1"]);
    const json = await cli("rm", "one:v0", "--json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      action: "version",
      deleted: { name: "one", version: "v0", files: 1, aliases: [] },
    });
    await logVersions("one", 1);
    expect(await store().listVersions("one")).toEqual(["v1", "v3"]);
  });

  it("refuses a version an alias points at (exit 1) unless --force, which removes the alias", async () => {
    await logVersions("aliased", 2);
    expect((await cli("alias", "set", "aliased:v0", "production")).code).toBe(0);
    const refused = await cli("rm", "aliased:v0");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("production");
    expect(refused.stderr).toContain("--force");
    expect(await store().listVersions("aliased")).toEqual(["v0", "v1"]);
    const forced = await cli("rm", "aliased:production", "--force");
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("removed 1 alias: production");
    expect(await store().listAliases("aliased")).toEqual({});
  });

  it("a missing version is exit 1; no version and no --all is a usage error (exit 2)", async () => {
    await logVersions("usage", 1);
    expect((await cli("rm", "usage:v9")).code).toBe(1);
    const bare = await cli("rm", "usage");
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("--all");
    expect((await cli("rm", "usage:v0", "--all")).code).toBe(2);
    expect(await store().listVersions("usage")).toEqual(["v0"]);
  });

  it("rm --all without a terminal needs --yes (exit 2, nothing deleted); with --yes every version goes", async () => {
    await logVersions("everything", 3);
    const refused = await cli("rm", "everything", "--all");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--yes");
    expect(await store().listVersions("everything")).toHaveLength(3);
    const run = await cli("rm", "everything", "--all", "--yes", "--json");
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.versions.map((v: { version: string }) => v.version)).toEqual(["v0", "v1", "v2"]);
    expect(result.bytes).toBeGreaterThan(0);
    expect(await store().listVersions("everything")).toEqual([]);
  });

  it("rm --all on a terminal asks first: 'n' deletes nothing (exit 1), 'y' deletes every version", async () => {
    await logVersions("asked", 2);
    const no = await inTerminal(["rm", "asked", "--all"], "n");
    expect(no.output).toContain("Delete all 2 versions of 'asked' (v0…v1) in collection 'default'");
    expect(no.output).toContain("nothing deleted");
    expect(no.code).toBe(1);
    expect(await store().listVersions("asked")).toEqual(["v0", "v1"]);
    const yes = await inTerminal(["rm", "asked", "--all"], "y");
    expect(yes.code).toBe(0);
    expect(yes.output).toContain("deleted 2 versions of asked");
    expect(await store().listVersions("asked")).toEqual([]);
  });
});

describe("artifacts prune", () => {
  it("--dry-run prints what would go and the bytes; then prune removes exactly that", async () => {
    await logVersions("pruned", 4);
    const dry = await cli("prune", "pruned", "--keep-last", "2", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/VERSION\s+CREATED\s+FILES\s+SIZE/);
    expect(dry.stdout).toContain("pruned:v0");
    expect(dry.stdout).toContain("pruned:v1");
    expect(dry.stdout).not.toContain("pruned:v2");
    expect(dry.stdout).toMatch(
      /would remove 2 versions, would free \d\.\d kB in store '\.\/artifacts' \(kept 2 versions\)/,
    );
    expect(await store().listVersions("pruned")).toHaveLength(4);
    const json = await cli("prune", "pruned", "--keep-last", "2", "--json");
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result.removed.map((v: { version: string }) => v.version)).toEqual(["v0", "v1"]);
    expect(result.bytes).toBe(result.removed.reduce((sum: number, v: { bytes: number }) => sum + v.bytes, 0));
    expect(await store().listVersions("pruned")).toEqual(["v2", "v3"]);
    const again = await cli("prune", "pruned", "--keep-last", "2");
    expect(again.stdout).toContain("nothing to prune");
  });

  it("--all with --older-than and --keep-aliased; rules are checked (exit 2)", async () => {
    await logVersions("p-a", 2);
    await logVersions("p-b", 2);
    expect((await cli("alias", "set", "p-a:v0", "best")).code).toBe(0);
    const young = await cli("prune", "--all", "--older-than", "30d");
    expect(young.stdout).toContain("nothing to prune");
    const run = await cli("prune", "--all", "--older-than", "0", "--keep-last", "1", "--keep-aliased");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("p-b:v0");
    expect(run.stdout).not.toContain("p-a:v0");
    expect(await store().listVersions("p-a")).toEqual(["v0", "v1"]);
    expect(await store().listVersions("p-b")).toEqual(["v1"]);
    for (const bad of [
      ["prune", "p-a"],
      ["prune", "p-a", "--all", "--keep-last", "1"],
      ["prune", "--keep-last", "1"],
      ["prune", "p-a", "--keep-last", "x"],
      ["prune", "p-a", "--older-than", "30"],
    ]) {
      const refused = await cli(...bad);
      expect(refused.code, bad.join(" ")).toBe(2);
    }
    expect(await store().listVersions("p-a")).toEqual(["v0", "v1"]);
  });
});
