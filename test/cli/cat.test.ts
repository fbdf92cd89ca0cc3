/** `artifacts cat NAME[:VER] PATH`: one file to stdout, streamed and checked against its record. */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWandbEmulator, type WandbEmulator } from "../wandb-emulator/server.js";
import { BIN, ensureBuilt, lines } from "./run-cli.js";

let dir: string;
const big = randomBytes(3 * 1024 * 1024 + 17);

/** Runs the binary and keeps stdout as bytes. */
function runRaw(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: Buffer; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, ARTIFACTS_STORE: join(dir, "store"), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), "cli-cat-"));
  await mkdir(join(dir, "model/weights"), { recursive: true });
  await writeFile(join(dir, "model/weights/big.bin"), big);
  await writeFile(join(dir, "model/config.json"), '{"lr":0.1}\n');
  expect((await runRaw(["log", "model", "net", "--quiet"])).code).toBe(0);
  await writeFile(join(dir, "model/config.json"), '{"lr":0.2}\n');
  expect((await runRaw(["log", "model", "net", "--quiet", "--alias", "best"])).code).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("artifacts cat", () => {
  it("writes exactly the file's bytes to stdout, nothing else (latest, a version, an alias)", async () => {
    const run = await runRaw(["cat", "net", "weights/big.bin"]);
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(run.stdout.equals(big)).toBe(true);
    expect((await runRaw(["cat", "net:v0", "config.json"])).stdout.toString()).toBe('{"lr":0.1}\n');
    expect((await runRaw(["cat", "net:best", "config.json"])).stdout.toString()).toBe('{"lr":0.2}\n');
    // --json changes nothing on stdout: it is the file.
    expect((await runRaw(["cat", "net:v0", "config.json", "--json"])).stdout.toString()).toBe('{"lr":0.1}\n');
  });

  it("a path the version does not have is NOT_FOUND naming its files, and nothing is written", async () => {
    const run = await runRaw(["cat", "net", "nope.txt"]);
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBe(0);
    expect(lines(run.stderr)).toEqual([
      expect.stringMatching(
        /has no file 'nope.txt' \(its files: config.json, weights\/big.bin\).*\[NOT_FOUND\]$/,
      ),
    ]);
  });

  it("a stored copy with other bytes of the same size: error exit, and stderr says what went to stdout", async () => {
    const stored = join(dir, "store/default/net/v1/weights/big.bin");
    const damaged = Buffer.from(big);
    damaged[damaged.length - 1] = (damaged.at(-1) ?? 0) ^ 0xff;
    await writeFile(stored, damaged);
    try {
      const run = await runRaw(["cat", "net", "weights/big.bin"]);
      expect(run.code).toBe(1);
      expect(run.stdout.length).toBe(big.length);
      const [line] = lines(run.stderr);
      expect(line).toMatch(
        /is corrupt: .* sha256 .*; 3145745 bytes of 'weights\/big.bin' were already written to stdout .*discard that output \[CHECKSUM_MISMATCH\]$/,
      );
      const json = await runRaw(["cat", "net", "weights/big.bin", "--json"]);
      expect(JSON.parse(lines(json.stderr)[0] ?? "{}")).toMatchObject({
        error: { code: "CHECKSUM_MISMATCH", exitCode: 1 },
      });
    } finally {
      await writeFile(stored, big);
    }
  });

  it("a stored copy longer than its record stops at the recorded size", async () => {
    const stored = join(dir, "store/default/net/v1/config.json");
    await writeFile(stored, `{"lr":0.2}\n${"x".repeat(100_000)}`);
    const run = await runRaw(["cat", "net", "config.json"]);
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBeLessThan(100_000);
    expect(run.stderr).toMatch(/more than the 11 bytes its record gives.*\[CHECKSUM_MISMATCH\]/);
  });
});

describe("artifacts cat on wandb://", () => {
  let emulator: WandbEmulator;
  beforeAll(async () => {
    emulator = await startWandbEmulator();
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it("writes the file (downloaded and verified first)", async () => {
    const env = {
      ARTIFACTS_STORE: `wandb://${emulator.entity}/cat-project`,
      WANDB_BASE_URL: emulator.url,
      WANDB_API_KEY: emulator.apiKey,
      HOME: dir,
      NETRC: join(dir, "no-netrc"),
    };
    expect((await runRaw(["log", "model", "net", "--quiet"], env)).code).toBe(0);
    const run = await runRaw(["cat", "net:v0", "weights/big.bin"], env);
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(run.stdout.equals(big)).toBe(true);
  });
});
