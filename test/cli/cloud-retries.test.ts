/**
 * An unreachable `gs://` store is never silent (issue 19): `artifacts get` prints one line per retry on
 * stderr and fails after the retry layer's retries, with no hidden SDK retries (it took 66 s, silently);
 * `--retries 0` fails at the first failure. The store is a loopback server that drops every connection.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOnLoopback } from "../servers/forwarder.js";
import { ensureBuilt, lines, ndjson, runCli } from "./run-cli.js";

let dir: string;
let dropper: Server;
let endpoint: string;
let connections = 0;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), "cli-cloud-retries-"));
  dropper = createServer();
  dropper.on("connection", (socket) => {
    connections++;
    socket.destroy();
  });
  endpoint = await listenOnLoopback(dropper);
});

afterAll(async () => {
  dropper?.close();
  await rm(dir, { recursive: true, force: true });
});

const gsCli = (...args: string[]) =>
  runCli(["get", "my-model", "--to", join(dir, "out"), ...args], {
    cwd: dir,
    env: { ARTIFACTS_STORE: "gs://offline-bucket/p", STORAGE_EMULATOR_HOST: endpoint },
  });

const RETRY_LINE = /^artifacts: retrying in \d+(\.\d)? s \((\d+)\/(\d+)\): (.*)$/;

describe("get from an unreachable gs:// store", () => {
  it("prints a line per retry on stderr, then fails UNAVAILABLE after the layer's retries", async () => {
    connections = 0;
    const run = await gsCli("--retries", "2");
    expect(run.code).toBe(1);
    const out = lines(run.stderr);
    const retries = out.filter((line) => RETRY_LINE.test(line));
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(/\(1\/2\)/);
    expect(retries[1]).toMatch(/\(2\/2\)/);
    expect(out.at(-1)).toMatch(/UNAVAILABLE/);
    // Three tries, no SDK retry under them.
    expect(connections).toBe(3);
  });

  it("--retries 0: one try, no retry line, the error", async () => {
    connections = 0;
    const run = await gsCli("--retries", "0");
    expect(run.code).toBe(1);
    expect(run.stderr).not.toContain("retrying");
    expect(lines(run.stderr)).toEqual([expect.stringMatching(/UNAVAILABLE/)]);
    expect(connections).toBe(1);
  });

  it("--json: each retry is an NDJSON event on stderr", async () => {
    const run = await gsCli("--retries", "1", "--json");
    expect(run.code).toBe(1);
    const events = ndjson(run.stderr);
    expect(events[0]).toMatchObject({ type: "retry", attempt: 1, max: 1, backend: "gcs" });
  });
});
