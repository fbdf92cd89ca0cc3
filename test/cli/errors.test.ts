/** Exit codes and error lines of the real `artifacts` binary: 2 for usage, 1 for user errors, one stderr line. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, lines, runCli } from "./run-cli.js";

let dir: string;
const cli = (...args: string[]) => runCli(args, { cwd: dir });

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), "cli-errors-"));
  await writeFile(join(dir, "file.txt"), "hello\n");
  expect((await cli("log", "file.txt", "present", "-q")).code).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Asserts one line on stderr, no stack trace, nothing on stdout. */
function expectOneLine(run: { stdout: string; stderr: string }) {
  expect(lines(run.stderr), run.stderr).toHaveLength(1);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stdout).toBe("");
}

describe("usage errors exit 2", () => {
  it.each([
    [["frobnicate"]],
    [["log", "file.txt", "x", "--bogus"]],
    [["log", "file.txt"]],
    [["get"]],
    [["get", "present", "--to"]],
    [["versions", "a", "b"]],
    [["alias", "set", "present"]],
    [["--json"]],
  ])("artifacts %j", async (args) => {
    const run = await cli(...args);
    expect(run.code).toBe(2);
    expectOneLine(run);
  });

  it("names --to (not '-o,') when `get --to` misses its value", async () => {
    const run = await cli("get", "present", "--to");
    expect(run.code).toBe(2);
    expectOneLine(run);
    expect(run.stderr).toMatch(/option '--to' of 'get' needs a value/);
  });
});

describe("user errors exit 1 with one line naming the problem", () => {
  it.each([
    ["a missing artifact", ["get", "absent"], "NOT_FOUND"],
    ["a missing version", ["show", "present:v9"], "NOT_FOUND"],
    ["versions of a missing artifact", ["versions", "absent"], "NOT_FOUND"],
    ["aliases of a missing artifact", ["alias", "ls", "absent"], "NOT_FOUND"],
    ["a diff with a missing side", ["diff", "present:v0", "absent:v0"], "NOT_FOUND"],
    ["a missing alias", ["get", "present:nosuchalias"], "NOT_FOUND"],
    ["a missing local path", ["log", "no-such-file", "x"], "NOT_FOUND"],
    ["an invalid artifact name", ["log", "file.txt", "bad/name"], "INVALID_NAME"],
    ["an invalid collection", ["ls", "bad collection"], "INVALID_NAME"],
    ["an invalid --collection", ["versions", "present", "--collection", "a/b"], "INVALID_NAME"],
    ["a reserved alias", ["log", "file.txt", "x", "--alias", "latest"], "INVALID_NAME"],
    ["a bad --meta", ["log", "file.txt", "x", "--meta", "novalue"], "INVALID_ARGUMENT"],
    ["an unsafe --path", ["log", "file.txt", "x", "--path", "../up.txt"], "INVALID_ARGUMENT"],
    ["an unknown store scheme", ["ls", "--store", "ftp://host/x"], "UNSUPPORTED"],
    ["a file URL with a host", ["ls", "--store", "file://./x"], "INVALID_ARGUMENT"],
  ])("%s", async (_what, args, code) => {
    const run = await cli(...args);
    expect(run.code).toBe(1);
    expectOneLine(run);
    if (code !== undefined) expect(run.stderr).toContain(`[${code}]`);
    const asJson = await cli(...args, "--json");
    expect(asJson.code).toBe(1);
    expect(lines(asJson.stderr)).toHaveLength(1);
    const error = JSON.parse(asJson.stderr).error;
    if (code !== undefined) expect(error.code).toBe(code);
    expect(error.exitCode).toBe(1);
    expect(typeof error.message).toBe("string");
  });

  it("names --path (not the library's artifactPath) for an unsafe --path", async () => {
    const run = await cli("log", "file.txt", "x", "--path", "../up.txt");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("[INVALID_ARGUMENT]");
    expect(run.stderr).toContain("--path");
    expect(run.stderr).not.toContain("artifactPath");
  });

  it("writes nothing to the store for rejected input", async () => {
    const run = await cli("ls", "default", "--json");
    expect(JSON.parse(run.stdout).artifacts.map((a: { name: string }) => a.name)).toEqual(["present"]);
  });

  it("prints the stack trace with --debug", async () => {
    const run = await cli("get", "absent", "--debug");
    expect(run.code).toBe(1);
    expect(lines(run.stderr).length).toBeGreaterThan(1);
    expect(run.stderr).toMatch(/^\s+at /m);
  });

  it("fails wandb:// without credentials with one clear line", async () => {
    const run = await runCli(["ls", "--store", "wandb://someone/project"], {
      cwd: dir,
      env: { WANDB_API_KEY: undefined, NETRC: join(dir, "no-netrc"), HOME: dir },
    });
    expect(run.code).toBe(1);
    expectOneLine(run);
    expect(run.stderr).toMatch(/\[(UNAUTHENTICATED|UNSUPPORTED)\]/);
  });
});

describe("help", () => {
  it("prints the commands, the memory:// caveat and examples", async () => {
    const run = await cli("--help");
    expect(run.code).toBe(0);
    for (const name of ["log", "get", "ls", "versions", "show", "verify", "alias", "diff", "gc"]) {
      expect(run.stdout).toMatch(new RegExp(`^  ${name}\\s`, "m"));
    }
    expect(run.stdout).toMatch(/memory:\/\/.*ONE process/);
    expect(run.stdout).toContain("Examples:");
  });

  it.each(["log", "get", "ls", "versions", "show", "verify", "alias", "diff", "gc"])(
    "artifacts %s --help shows usage and examples",
    async (name) => {
      const run = await cli(name, "--help");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: artifacts ${name}`));
      expect(run.stdout).toMatch(new RegExp(`Examples:\\n  artifacts ${name}`));
    },
  );

  it("prints the package version", async () => {
    const run = await cli("--version");
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
