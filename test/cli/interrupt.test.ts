/**
 * Ctrl-C (SIGINT) mid-transfer: the binary exits 130 with one line, no partial version is visible,
 * no temporary files are left, and the next log still works.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, lines, ndjson, runCli } from "./run-cli.js";

/** Enough data that the upload is still running when the signal arrives (files are copied and hashed). */
const FILES = 200;
const FILE_SIZE = 512 * 1024;

let dir: string;
let tmp: string;
const env = () => ({ TMPDIR: tmp });
const cli = (...args: string[]) => runCli(args, { cwd: dir, env: env() });

/** Runs a transfer under --json and sends SIGINT once the first file has finished. */
function interruptAfterFirstFile(args: string[]) {
  let sent = false;
  return runCli([...args, "--json"], {
    cwd: dir,
    env: env(),
    onStdout: (text, kill) => {
      if (!sent && text.includes('"file-done"')) {
        sent = true;
        kill("SIGINT");
      }
    },
  });
}

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), "cli-interrupt-"));
  tmp = join(dir, "tmp");
  await mkdir(tmp);
  await mkdir(join(dir, "big"));
  const block = Buffer.alloc(FILE_SIZE);
  for (let i = 0; i < FILES; i += 1) {
    block.writeUInt32LE(i, 0);
    await writeFile(join(dir, "big", `part-${String(i).padStart(4, "0")}.bin`), block);
  }
  await writeFile(join(dir, "small.txt"), "small\n");
  expect((await cli("log", "small.txt", "data", "-q")).code).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("Ctrl-C", () => {
  it("cancels a log: exit 130, one line, no partial version, no temp files, later logs work", async () => {
    const run = await interruptAfterFirstFile(["log", "big", "data"]);
    expect(ndjson(run.stdout).some((e) => e.type === "file-done")).toBe(true);
    expect(ndjson(run.stdout).some((e) => e.type === "result")).toBe(false);
    expect(run.code).toBe(130);
    expect(lines(run.stderr)).toHaveLength(1);
    expect(JSON.parse(run.stderr).error.code).toBe("INTERRUPTED");

    const versions = JSON.parse((await cli("versions", "data", "--json")).stdout);
    expect(versions.versions.map((v: { version: string }) => v.version)).toEqual(["v0"]);
    expect(await readdir(tmp)).toEqual([]);

    const next = await cli("log", "small.txt", "data", "--json", "-q");
    expect(next.code).toBe(0);
    const version = JSON.parse(next.stdout).version as string;
    expect(version).not.toBe("v0");
    const verify = await cli("verify", `data:${version}`, "-q");
    expect(verify.code).toBe(0);
    expect((await cli("verify", "data:v0", "-q")).code).toBe(0);

    // Whatever the cancelled log left (a burnt claim, a staging folder) is gc's to remove, never a version.
    const dry = JSON.parse((await cli("gc", "--dry-run", "--older-than", "0", "--json")).stdout);
    expect(dry).toMatchObject({ dryRun: true });
    for (const item of dry.items) expect(["v0", version]).not.toContain(item.version);
    expect((await cli("gc", "--older-than", "0", "--force", "-q")).code).toBe(0);
    expect(JSON.parse((await cli("gc", "--dry-run", "--older-than", "0", "--json")).stdout).items).toEqual(
      [],
    );
    const after = JSON.parse((await cli("versions", "data", "--json")).stdout);
    expect(after.versions.map((v: { version: string }) => v.version)).toEqual(["v0", version]);
  });

  it("cancels a get: exit 130 and nothing partial in the target folder", async () => {
    const logged = await cli("log", "big", "bigdata", "-q");
    expect(logged.code).toBe(0);
    const run = await interruptAfterFirstFile(["get", "bigdata", "--to", "out"]);
    expect(run.code).toBe(130);
    expect(lines(run.stderr)).toHaveLength(1);
    const target = await readdir(join(dir, "out")).catch(() => []);
    expect(target).toEqual([]);
    expect(await readdir(tmp)).toEqual([]);
  });
});
