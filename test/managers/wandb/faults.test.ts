/**
 * Failure handling against the emulator's fault injection: 409/5xx/429 storms recover (with
 * `Retry-After` winning over backoff), 4xx are never retried, cut connections are retried, and an
 * interrupted upload leaves no visible version and can be logged again cleanly.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type EmulatorFixture, startFixture } from "./fixtures.js";

let fx: EmulatorFixture;
let n = 0;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx.close());
beforeEach(() => fx.emulator.faults.reset());

async function folder(files: Record<string, string>): Promise<string> {
  const dir = join(fx.dir, `src-${++n}`);
  await mkdir(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) await writeFile(join(dir, path), content);
  return dir;
}

const faulted = () => fx.emulator.faults.requests.filter((r) => r.faulted);
const count = (kind: string, operation: string) =>
  fx.emulator.faults.requests.filter((r) => r.kind === kind && r.operation === operation).length;

describe("W&B retries and interruptions", () => {
  it("recovers from a 409/5xx/429 storm and a cut download", async () => {
    const m = fx.manager({ project: "storm" });
    const faults = fx.emulator.faults;
    faults
      .inject({ kind: "graphql", operation: "UpsertBucket", status: 409, times: 3 })
      .inject({ kind: "graphql", operation: "CreateArtifactFiles", status: 503, times: 2 })
      .inject({ kind: "graphql", operation: "CommitArtifact", status: 500, times: 1 })
      .inject({ kind: "upload", operation: "file", status: 429, retryAfter: "0", times: 3 })
      .inject({ kind: "upload", operation: "manifest", status: 502, times: 1 });
    const dir = await folder({ "a.txt": "storm a", "b.txt": "storm b" });
    expect((await m.logFiles("survivor", dir)).version).toBe("v0");
    expect(faults.pending).toBe(0);
    expect(faulted()).toHaveLength(10);
    faults
      .inject({ kind: "graphql", operation: "ArtifactMembership", status: 429, retryAfter: "0", times: 2 })
      .inject({ kind: "download", operation: "blob", status: 503, times: 2 })
      .inject({ kind: "download", operation: "blob", cutAfterBytes: 3, times: 1 })
      .inject({ kind: "graphql", operation: "ArtifactMembershipFileURLs", cutAfterBytes: 0, times: 1 });
    const to = join(fx.dir, "storm-out");
    await m.downloadArtifact("survivor", { to });
    expect(faults.pending).toBe(0);
    expect(await readFile(join(to, "a.txt"), "utf8")).toBe("storm a");
    expect(await readFile(join(to, "b.txt"), "utf8")).toBe("storm b");
  });

  it("Retry-After wins over the backoff (a 10-minute backoff would time the test out)", async () => {
    const m = fx.manager({
      project: "retry-after",
      retry: { retries: 3, minDelayMs: 600_000, maxDelayMs: 600_000 },
    });
    fx.emulator.faults.inject({
      kind: "graphql",
      operation: "Viewer",
      status: 429,
      retryAfter: "0",
      times: 2,
    });
    expect(await m.listCollectionNames()).toEqual([]);
    expect(count("graphql", "Viewer")).toBe(3);
  });

  it("never retries 4xx: a 409 at commit is CONFLICT after one request and leaves no version", async () => {
    const m = fx.manager({ project: "conflict" });
    fx.emulator.faults.inject({ kind: "graphql", operation: "CommitArtifact", status: 409 });
    const dir = await folder({ "c.txt": "conflicted" });
    await expect(m.logFiles("clash", dir)).rejects.toMatchObject({ code: "CONFLICT", retryable: false });
    expect(count("graphql", "CommitArtifact")).toBe(1);
    expect(await m.existsInCollection("clash")).toBe(false);
    fx.emulator.faults.reset();
    fx.emulator.faults.inject({ kind: "graphql", operation: "CreateArtifact", status: 400 });
    await expect(m.logFiles("clash", dir)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(count("graphql", "CreateArtifact")).toBe(1);
    fx.emulator.faults.reset();
    fx.emulator.faults.inject({ kind: "upload", operation: "file", status: 404 });
    const fresh = await folder({ "d.txt": "bytes the server has not seen" });
    await expect(m.logFiles("clash", fresh)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(count("upload", "file")).toBe(1);
    expect((await m.logFiles("clash", fresh)).version).toBe("v0");
  });

  it("asks for new URLs when storage answers 403 (an expired pre-signed URL), for uploads and downloads", async () => {
    const m = fx.manager({ project: "expired" });
    const dir = await folder({ "e.txt": "expiring" });
    fx.emulator.faults.inject({ kind: "upload", operation: "file", status: 403 });
    expect((await m.logFiles("expiring", dir)).version).toBe("v0");
    expect(count("graphql", "CreateArtifactFiles")).toBe(2);
    fx.emulator.faults.reset();
    fx.emulator.faults.inject({ kind: "download", operation: "blob", status: 403 });
    const to = join(fx.dir, "expired-out");
    await m.downloadArtifact("expiring", { to });
    expect(await readFile(join(to, "e.txt"), "utf8")).toBe("expiring");
    expect(count("graphql", "ArtifactMembershipFileURLs")).toBe(2);
    fx.emulator.faults.reset();
    fx.emulator.faults.inject({ kind: "download", operation: "blob", status: 403, times: 2 });
    await expect(m.downloadArtifact("expiring", { to })).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
  });

  it("gives up with the retryable error once the retries are used up", async () => {
    const m = fx.manager({ project: "exhausted", retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 } });
    fx.emulator.faults.inject({ kind: "graphql", operation: "Viewer", status: 503, times: 3 });
    await expect(m.listCollectionNames()).rejects.toMatchObject({ code: "UNAVAILABLE", retryable: true });
    expect(count("graphql", "Viewer")).toBe(3);
  });

  it("an upload cut mid-way leaves no visible version; logging again succeeds and reads back intact", async () => {
    const m = fx.manager({ project: "interrupted", retry: { retries: 0 } });
    const big = "0123456789".repeat(20_000);
    const dir = await folder({ "big.txt": big, "small.txt": "small" });
    fx.emulator.faults.inject({ kind: "upload", operation: "file", cutAfterBytes: 1000, times: 2 });
    await expect(m.logFiles("cut", dir)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(await m.existsInCollection("cut")).toBe(false);
    expect(await m.listArtifacts()).not.toContain("cut");
    await expect(m.getVersion("cut")).rejects.toMatchObject({ code: "NOT_FOUND" });
    const pending = [...fx.emulator.state.artifacts.values()].filter((a) => a.sequence.name === "cut");
    expect(pending.map((a) => a.state)).toEqual(["PENDING"]);
    fx.emulator.faults.reset();
    expect((await m.logFiles("cut", dir)).version).toBe("v0");
    const to = join(fx.dir, "cut-out");
    await m.downloadArtifact("cut", { to });
    expect(await readFile(join(to, "big.txt"), "utf8")).toBe(big);
    expect(await m.verify("cut")).toEqual({ ok: true, missing: [], extra: [], changed: [] });
  });

  it("an answer cut after the server applied it is retried safely (commit is idempotent)", async () => {
    const m = fx.manager({ project: "cut-answer" });
    fx.emulator.faults
      .inject({ kind: "graphql", operation: "CommitArtifact", cutAfterBytes: 5 })
      .inject({ kind: "graphql", operation: "CreateArtifactFiles", cutAfterBytes: 20 });
    expect((await m.logFiles("once", await folder({ "o.txt": "once" }))).version).toBe("v0");
    expect(fx.emulator.faults.pending).toBe(0);
    expect(count("graphql", "CommitArtifact")).toBe(2);
    expect(await m.listVersions("once")).toEqual(["v0"]);
  });

  it("a cut upload is retried like the SDK (connection errors are retryable)", async () => {
    const m = fx.manager({ project: "cut-retry" });
    const dir = await folder({ "big.txt": "x".repeat(100_000) });
    fx.emulator.faults.inject({ kind: "upload", operation: "file", cutAfterBytes: 5000, times: 2 });
    expect((await m.logFiles("resilient", dir)).version).toBe("v0");
    expect(fx.emulator.faults.pending).toBe(0);
  });
});
