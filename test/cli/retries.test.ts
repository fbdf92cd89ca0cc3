/**
 * Retries are never silent (issue 19): behind a server that answers 503, the CLI prints one line per
 * retry on stderr (an NDJSON event under --json), and --retries / --timeout bound the waiting. S3
 * through a proxy in front of radosgw, W&B on the emulator with injected 503s.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CloudStore, s3Store } from "../servers/cloud-stores.js";
import { startWandbEmulator, type WandbEmulator } from "../wandb-emulator/server.js";
import { startFlakyProxy } from "./flaky-proxy.js";
import { ensureBuilt, lines, ndjson, runCli } from "./run-cli.js";

let dir: string;
let store: CloudStore;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), "cli-retries-"));
  store = await s3Store();
});

afterAll(async () => {
  await store?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI on the S3 store through `endpoint`. */
function s3Cli(endpoint: string, ...args: string[]) {
  const options = store.storageOptions as Record<string, string>;
  return runCli(args, {
    cwd: dir,
    env: {
      ARTIFACTS_STORE: store.url,
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: options.accessKeyId,
      AWS_SECRET_ACCESS_KEY: options.secretAccessKey,
      AWS_REGION: "us-east-1",
    },
  });
}

const RETRY_LINE = /^artifacts: retrying in \d+(\.\d)? s \((\d+)\/(\d+)\): (.*)$/;

describe("retries on s3:// behind a server answering 503", () => {
  it("prints one line per retry on stderr, then succeeds", async () => {
    const proxy = await startFlakyProxy(String(store.storageOptions.endpoint), 3);
    try {
      const run = await s3Cli(proxy.endpoint, "ls", "--retries", "5");
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("no collections");
      const retries = lines(run.stderr);
      expect(proxy.failed).toBe(3);
      // Every 503 the server gave is a line: the SDK's own retries (HTTP 503 …) and the store layer's.
      expect(retries).toHaveLength(3);
      for (const line of retries) expect(line).toMatch(RETRY_LINE);
      expect(retries[0]).toMatch(/\(1\/2\): HTTP 503 ServiceUnavailable: Please reduce your request rate/);
      expect(retries[2]).toMatch(/\(1\/5\): S3 is throttling/);
    } finally {
      await proxy.close();
    }
  });

  it("under --json the retries are NDJSON events on stderr and stdout holds only the result", async () => {
    const proxy = await startFlakyProxy(String(store.storageOptions.endpoint), 2);
    try {
      const run = await s3Cli(proxy.endpoint, "ls", "--json");
      expect(run.code).toBe(0);
      const out = ndjson(run.stdout);
      expect(out).toHaveLength(1);
      expect(out[0]).toMatchObject({ collections: [] });
      const events = ndjson(run.stderr);
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({
        type: "retry",
        attempt: 1,
        max: 2,
        reason: expect.stringContaining("HTTP 503"),
      });
      expect(events[1]).toMatchObject({ type: "retry", attempt: 2, max: 2 });
      for (const event of events) expect(typeof event.delayMs).toBe("number");
    } finally {
      await proxy.close();
    }
  });

  it("--retries 0 makes no retry at all (the SDK's neither): one request, the 503's error, exit 1", async () => {
    const proxy = await startFlakyProxy(String(store.storageOptions.endpoint), 1000);
    try {
      const run = await s3Cli(proxy.endpoint, "ls", "--retries", "0");
      expect(run.code).toBe(1);
      expect(proxy.failed).toBe(1);
      expect(lines(run.stderr)).toEqual([
        expect.stringMatching(/^artifacts: S3 is throttling.*\[RATE_LIMITED|UNAVAILABLE\]/),
      ]);
    } finally {
      await proxy.close();
    }
  });

  it("refuses a bad --retries or --timeout as a usage error (exit 2)", async () => {
    for (const args of [
      ["--retries", "-1"],
      ["--retries", "two"],
      ["--timeout", "0"],
      ["--timeout", "soon"],
    ]) {
      const run = await runCli(["ls", ...args], { cwd: dir });
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toContain(`option '${args[0]}'`);
    }
  });
});

describe("retries on wandb:// (the emulator answering 503)", () => {
  let emulator: WandbEmulator;
  beforeAll(async () => {
    emulator = await startWandbEmulator();
  });
  afterAll(async () => {
    await emulator?.close();
  });

  const wandbCli = (...args: string[]) =>
    runCli(args, {
      cwd: dir,
      env: {
        ARTIFACTS_STORE: `wandb://${emulator.entity}/retry-project`,
        WANDB_BASE_URL: emulator.url,
        WANDB_API_KEY: emulator.apiKey,
        WANDB_ENTITY: undefined,
        WANDB_PROJECT: undefined,
        HOME: dir,
        NETRC: join(dir, "no-netrc"),
      },
    });

  it("prints a line per retry (the server's Retry-After is the wait), in text and --json", async () => {
    emulator.faults.inject({ kind: "graphql", status: 503, retryAfter: "0", times: 2 });
    const run = await wandbCli("ls", "--retries", "4");
    expect(run.code).toBe(0);
    const retries = lines(run.stderr);
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(/^artifacts: retrying in 0\.0 s \(1\/4\): W&B .*503/);
    expect(retries[1]).toMatch(/^artifacts: retrying in 0\.0 s \(2\/4\): /);

    emulator.faults.inject({ kind: "graphql", status: 503, retryAfter: "0", times: 1 });
    const json = await wandbCli("ls", "--json");
    expect(json.code).toBe(0);
    expect(ndjson(json.stderr)).toEqual([
      expect.objectContaining({
        type: "retry",
        attempt: 1,
        max: 20,
        delayMs: 0,
        backend: "wandb",
        code: "UNAVAILABLE",
      }),
    ]);
  });

  it("--retries 0 fails at the first 503", async () => {
    emulator.faults.inject({ kind: "graphql", status: 503, retryAfter: "0", times: 1 });
    const run = await wandbCli("ls", "--retries", "0");
    expect(run.code).toBe(1);
    expect(run.stderr).not.toContain("retrying");
    expect(run.stderr).toContain("[UNAVAILABLE]");
  });
});
