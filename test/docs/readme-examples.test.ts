/**
 * The README's examples run as written: the command-line quickstart with the built `artifacts` binary,
 * the TypeScript blocks with the package as a user's project resolves it (`import … from "artifact-manager"`).
 */
import { spawnSync } from "node:child_process";
import { access, cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { torch2 } from "../checkpoint/torch2.js";
import { BIN, ensureBuilt, ROOT } from "../cli/run-cli.js";

/** The fenced code blocks of `language` in the README section whose heading is `heading`. */
async function codeBlocks(heading: string, language: string): Promise<string[]> {
  const readme = await readFile(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no section '## ${heading}'`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, "g"))].map(
    (match) => match[1] as string,
  );
  if (blocks.length === 0) throw new Error(`README section '${heading}' has no ${language} block`);
  return blocks;
}

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

describe("README examples", () => {
  let dir: string;
  beforeAll(() => ensureBuilt(), 300_000);
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "am-readme-"));
    // A user's project: the package under node_modules, resolved through its `exports`.
    await mkdir(join(dir, "node_modules"));
    await symlink(ROOT, join(dir, "node_modules", "artifact-manager"), "dir");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("every file the README links to or shows exists", async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const targets = [...readme.matchAll(/\]\(([^)#\s]+)/g)]
      .map((match) => match[1] as string)
      .filter((target) => !/^[a-z]+:/.test(target));
    expect(targets.length).toBeGreaterThan(5);
    for (const target of targets) await expect(access(join(ROOT, target)), target).resolves.toBeUndefined();
  });

  it("the set-up's first command runs in a clone: after its install and build, it logs docs/ as docs:v0", async () => {
    const [block] = await codeBlocks("Set up", "bash");
    const commands = (block as string).split("\n").filter((line) => line !== "" && !line.startsWith("#"));
    expect(commands).toHaveLength(2);
    const [use, develop] = commands as [string, string];
    expect(develop).toBe("scripts/setup-test-machine.sh && npm test"); // what .ci/run runs
    const prefix = "npm ci && npm run build && ";
    expect(use.startsWith(prefix)).toBe(true);
    // A clone whose `npm ci && npm run build` already ran (this checkout's node_modules and dist).
    await writeFile(join(dir, "package.json"), await readFile(join(ROOT, "package.json")));
    await rm(join(dir, "node_modules"), { recursive: true });
    await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
    await symlink(join(ROOT, "dist"), join(dir, "dist"), "dir");
    await cp(join(ROOT, "docs"), join(dir, "docs"), { recursive: true });
    const output = run("bash", ["-c", `set -euo pipefail\n${use.slice(prefix.length)}`], dir);
    expect(output).toContain("docs:v0");
    expect(await readdir(join(dir, "artifacts", "default", "docs", "v0"))).toContain("store-format.md");
  });

  it("the command-line quickstart runs and restores the first version", async () => {
    const [script] = await codeBlocks("Quickstart: the command line", "bash");
    const shell = `set -euo pipefail\nartifacts() { node ${JSON.stringify(BIN)} "$@"; }\n${(script as string).replaceAll("npx artifacts", "artifacts")}`;
    const output = run("bash", ["-c", shell], dir);
    expect(output).toContain("my-model:v1");
    expect(await readFile(join(dir, "restored", "weights.txt"), "utf8")).toBe("weights v1\n");
  });

  it("the library quickstart runs", async () => {
    const [code] = await codeBlocks("Quickstart: the library", "ts");
    await mkdir(join(dir, "model"));
    await writeFile(join(dir, "model", "weights.txt"), "weights");
    await writeFile(join(dir, "example.mts"), code as string);
    run(
      process.execPath,
      ["--import", join(ROOT, "node_modules/tsx/dist/esm/index.mjs"), "example.mts"],
      dir,
    );
    expect(await readFile(join(dir, "restored", "weights.txt"), "utf8")).toBe("weights");
  });

  it("the checkpoint example runs and torch-format files come out", async () => {
    const [code] = await codeBlocks("PyTorch checkpoints", "ts");
    await writeFile(join(dir, "example.mts"), code as string);
    run(
      process.execPath,
      ["--import", join(ROOT, "node_modules/tsx/dist/esm/index.mjs"), "example.mts"],
      dir,
    );
    // torch 2.13's default (weights_only) loader reads what the example wrote.
    const loaded = await torch2(
      'import sys, torch; print(torch.load(sys.argv[1])["model"]["fc.weight"].tolist())',
      [join(dir, "out.pt")],
    );
    expect(loaded.trim()).toBe("[[1.0, 2.0], [3.0, 4.0]]");
  });
});
