/**
 * `artifacts gc --older-than`: a number without a unit is a usage error (it once meant milliseconds and
 * deleted live uploads), and a grace period under one hour needs --force (a dry run does not).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIN_GRACE_WITHOUT_FORCE_MS } from "../../src/cli/commands/gc.js";
import { parseOlderThan } from "../../src/cli/duration.js";
import { UsageError } from "../../src/cli/usage-error.js";
import { ensureBuilt, runCli } from "./run-cli.js";

describe("parseOlderThan", () => {
  it("needs a unit for every number but 0", () => {
    expect(() => parseOlderThan("24", "gc")).toThrow(UsageError);
    expect(() => parseOlderThan("24", "gc")).toThrow(/give a unit.*'24h' for 24 hours/);
    expect(() => parseOlderThan("1.5", "gc")).toThrow(UsageError);
    expect(() => parseOlderThan("ten", "gc")).toThrow(UsageError);
    expect(parseOlderThan("0", "gc")).toBe(0);
    expect(parseOlderThan("90s", "gc")).toBe(90_000);
    expect(parseOlderThan("24h", "gc")).toBe(24 * 3_600_000);
    expect(parseOlderThan("7d", "gc")).toBe(7 * 86_400_000);
    expect(parseOlderThan("1h", "gc")).toBe(MIN_GRACE_WITHOUT_FORCE_MS);
  });
});

describe("artifacts gc --older-than", () => {
  let dir: string;
  const cli = (...args: string[]) => runCli(args, { cwd: dir, env: { TMPDIR: dir } });

  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), "cli-gc-"));
    await writeFile(join(dir, "f.txt"), "hello");
    expect((await cli("log", "f.txt", "art", "-q")).code).toBe(0);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("refuses a number without a unit with exit 2", async () => {
    const run = await cli("gc", "--older-than", "24");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/invalid --older-than '24': give a unit/);
  });

  it("refuses a grace under one hour without --force, accepts it with --force or in a dry run", async () => {
    const refused = await cli("gc", "--older-than", "30m");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/under one hour.*--force/);
    expect((await cli("gc", "--older-than", "0")).code).toBe(2);
    expect((await cli("gc", "--older-than", "30m", "--force", "-q")).code).toBe(0);
    expect((await cli("gc", "--older-than", "0", "--dry-run", "-q")).code).toBe(0);
    expect((await cli("gc", "--older-than", "1h", "-q")).code).toBe(0);
    // The committed version is untouched by all of it.
    expect((await cli("verify", "art", "-q")).code).toBe(0);
  });
});
