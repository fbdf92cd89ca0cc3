/**
 * WandbArtifactManager end to end against the in-process emulator: the logging protocol, file dedup,
 * description/metadata, auth errors before uploads, NOT_FOUND cases, types as collections, progress
 * events, cancellation, and the wandb:// factory.
 */
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../../src/core/types.js";
import { createWandbManagerFromUrl } from "../../../src/managers/wandb/from-url.js";
import { WandbArtifactManager } from "../../../src/managers/wandb/wandb-artifact-manager.js";
import { type EmulatorFixture, startFixture } from "./fixtures.js";

let fx: EmulatorFixture;
let n = 0;
beforeAll(async () => {
  fx = await startFixture({ teams: ["my-team"] });
});
afterAll(() => fx.close());

/** A fresh folder with `files` written into it. */
async function folder(files: Record<string, string>): Promise<string> {
  const dir = join(fx.dir, `src-${++n}`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

const requests = () => fx.emulator.faults.requests;
const ops = (kind: string, operation?: string) =>
  requests().filter((r) => r.kind === kind && (operation === undefined || r.operation === operation));

describe("WandbArtifactManager over the W&B protocol", () => {
  it("logs with the SDK's request sequence and returns the server's version", async () => {
    const m = fx.manager({ project: "sequence" });
    fx.emulator.faults.reset();
    const dir = await folder({ "hello.txt": "hello world\n", "data/a.csv": "a,b\n1,2\n" });
    expect(await m.logFiles("ds", dir, { collection: "dataset" })).toEqual({
      name: "ds",
      collection: "dataset",
      version: "v0",
    });
    const graphql = ops("graphql").map((r) => r.operation);
    expect(graphql).toEqual([
      "Viewer",
      "ServerFeatures", // ARTIFACT_DIGEST_ALGORITHM: may the log use XXH128?
      "DigestAlgorithm", // the sequence's algorithm and the entity's xxhashDigestsEnabled
      "CollectionType",
      "UpsertBucket",
      "CreateArtifact",
      "CreateArtifactManifest",
      "CreateArtifactFiles",
      "CreateArtifactManifest",
      "CommitArtifact",
      "ArtifactByID",
    ]);
    expect(ops("upload", "file")).toHaveLength(2);
    expect(ops("upload", "manifest")).toHaveLength(1);
    const artifact = [...fx.emulator.state.artifacts.values()].at(-1);
    expect(artifact?.digest).toBe("3416a8b8a1e25fd2f8ce8e05b9f0af9d"); // PROTOCOL.md 3.5
    expect(artifact?.sequence.type.name).toBe("dataset");
    expect(fx.emulator.state.aliasesOf(artifact as NonNullable<typeof artifact>)).toEqual(["latest"]);
  });

  it("uploads only changed files on the next version (file-level dedup) and records birth artifacts", async () => {
    const m = fx.manager({ project: "dedup" });
    const dir = await folder({ "a.txt": "same a", "b.txt": "same b", "c.txt": "first c" });
    await m.logFiles("model", dir);
    const v0 = [...fx.emulator.state.artifacts.values()].at(-1);
    await writeFile(join(dir, "c.txt"), "second c");
    fx.emulator.faults.reset();
    expect((await m.logFiles("model", dir)).version).toBe("v1");
    expect(ops("upload", "file")).toHaveLength(1);
    const v1 = [...fx.emulator.state.artifacts.values()].at(-1);
    expect(v1?.entries.get("a.txt")?.birthArtifactID).toBe(v0?.id);
    expect(v1?.entries.get("c.txt")?.birthArtifactID).toBe(v1?.id);
    fx.emulator.faults.reset();
    // identical content with ifUnchanged: "new-version": a new version, no uploads
    expect((await m.logFiles("model", dir, { ifUnchanged: "new-version" })).version).toBe("v2");
    expect(ops("upload", "file")).toHaveLength(0);
    const to = join(fx.dir, "dedup-out");
    await m.downloadArtifact("model", { to, version: "v1" });
    expect(await readFile(join(to, "a.txt"), "utf8")).toBe("same a");
    expect(await readFile(join(to, "c.txt"), "utf8")).toBe("second c");
  });

  it("identical content returns the latest version by default (the SDK's enableDigestDeduplication: true)", async () => {
    const m = fx.manager({ project: "digest-dedup" });
    const dir = await folder({ "w.bin": "weights" });
    expect(await m.logFiles("net", dir)).toEqual({ name: "net", collection: "default", version: "v0" });
    fx.emulator.faults.reset();
    expect(await m.logFiles("net", dir)).toEqual({
      name: "net",
      collection: "default",
      version: "v0",
      reused: true,
    });
    expect(ops("graphql", "CreateArtifactFiles")).toHaveLength(0);
    expect(await m.listVersions("net")).toEqual(["v0"]);
    await writeFile(join(dir, "w.bin"), "new weights");
    expect((await m.logFiles("net", dir)).version).toBe("v1");
    // the option turns it off per log, and enableDigestDeduplication: false for a manager
    expect((await m.logFiles("net", dir, { ifUnchanged: "new-version" })).version).toBe("v2");
    const every = fx.manager({ project: "digest-dedup", enableDigestDeduplication: false });
    expect((await every.logFiles("net", dir)).version).toBe("v3");
    expect((await every.logFiles("net", dir, { ifUnchanged: "reuse" })).version).toBe("v3");
    await expect(m.logFiles("net", dir, { ifUnchanged: "never" as never })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("sends description and metadata and reads them back", async () => {
    const m = fx.manager({ project: "meta" });
    const dir = await folder({ "f.txt": "x" });
    await m.logFiles("described", dir, { description: "best run", metadata: { lr: 0.01, layers: [1, 2] } });
    const artifact = [...fx.emulator.state.artifacts.values()].at(-1);
    expect(artifact?.description).toBe("best run");
    expect(JSON.parse(artifact?.metadata ?? "null")).toEqual({ lr: 0.01, layers: [1, 2] });
    const record = await m.getVersion("described");
    expect(record).toMatchObject({ description: "best run", metadata: { lr: 0.01, layers: [1, 2] } });
    expect(record.files).toEqual([{ path: "f.txt", size: 1, md5: "ndTkYSaMgDT1yFZOFVxnpg==" }]);
  });

  it("refuses inputs (lineage) as UNSUPPORTED before anything is sent, rather than dropping them", async () => {
    const m = fx.manager({ project: "lineage" });
    const dir = await folder({ "f.txt": "x" });
    const before = requests().length;
    await expect(m.logFiles("derived", dir, { inputs: ["dataset:v0"] })).rejects.toMatchObject({
      code: "UNSUPPORTED",
      message: expect.stringContaining("use_artifact"),
    });
    expect(requests().length).toBe(before);
    await expect(m.logFiles("derived", dir, { inputs: [] })).resolves.toMatchObject({ version: "v0" });
  });

  it("refuses the type/name pairs W&B reserves (jobs, run tables, code), as the SDK does", async () => {
    const dir = await folder({ "f.txt": "x" });
    for (const [collection, name] of [
      ["job", "anything"],
      ["run_table", "run-abc-table"],
      ["code", "source-proj"],
    ] as const) {
      const m = fx.manager({ project: "reserved", collection });
      await expect(m.logFiles(name, dir)).rejects.toMatchObject({ code: "INVALID_NAME" });
    }
    const tables = fx.manager({ project: "reserved", collection: "run_table" });
    await expect(tables.logFiles("my-table", dir)).resolves.toMatchObject({ version: "v0" });
  });

  it("close() finishes the run it created for its logs (file_stream complete, exit code 0), as run.finish() does", async () => {
    const finished = () => ops("file_stream", "complete");
    const before = finished().length;
    const idle = fx.manager({ project: "finish" });
    await idle.close(); // no log, no run: nothing to finish
    expect(finished().length).toBe(before);
    const m = fx.manager({ project: "finish" });
    await m.logFiles("finished-run", await folder({ "f.txt": "x" }));
    const runs = ops("graphql", "UpsertBucket").length;
    expect(runs).toBeGreaterThan(0); // the log created its run with UpsertBucket: close() must not send another
    await m.close();
    expect(finished().slice(before)).toEqual([expect.objectContaining({ exitcode: 0, status: 200 })]);
    const run = finished().at(-1)?.run ?? "";
    expect(run).toMatch(/^[a-z0-9]{8}$/);
    expect(ops("graphql", "UpsertBucket").length).toBe(runs);
    // A run named by the caller is theirs: left running.
    const named = fx.manager({ project: "finish", runName: "users-run" });
    await named.logFiles("named-run", await folder({ "f.txt": "y" }));
    await named.close();
    expect(finished().length).toBe(before + 1);
  });

  it("collections are artifact types; one name keeps one type", async () => {
    const m = fx.manager({ project: "types" });
    await m.logFiles("thing", await folder({ "t.txt": "t" }), { collection: "model" });
    await m.logFiles("other", await folder({ "o.txt": "o" }), { collection: "dataset" });
    expect(await m.listCollectionNames()).toEqual(["dataset", "model"]);
    expect(await m.listArtifacts("model")).toEqual(["thing"]);
    await expect(
      m.logFiles("thing", await folder({ "t.txt": "t" }), { collection: "dataset" }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(
      m.logFiles("x", await folder({ "t.txt": "t" }), { collection: "wandb-reserved" }),
    ).rejects.toMatchObject({ code: "INVALID_NAME" });
    await expect(
      m.logFiles("x", await folder({ "t.txt": "t" }), { collection: "a:b" }),
    ).rejects.toMatchObject({
      code: "INVALID_NAME",
    });
  });

  it("missing project, artifact, version and alias are NOT_FOUND (or empty listings)", async () => {
    const m = fx.manager({ project: "never-created" });
    expect(await m.listCollectionNames()).toEqual([]);
    expect(await m.listArtifacts("model")).toEqual([]);
    expect(await m.exists("ghost")).toBe(false);
    await expect(m.listVersions("ghost")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(m.getVersion("ghost")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await m.logFiles("real", await folder({ "r.txt": "r" }));
    await expect(m.getVersion("real", { version: "v1" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(m.getVersion("real", { version: "staging" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(m.verify("real", { version: 5 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(m.listAliases("ghost")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(m.removeAlias("real", "staging")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("reads aliases other W&B tools set (W&B allows spaces), but only sets aliases our rules allow", async () => {
    const m = fx.manager({ project: "foreign-alias" });
    await m.logFiles("shared", await folder({ "s.txt": "s" }));
    const sequence = fx.emulator.state.project(fx.emulator.entity, "foreign-alias")?.sequences.get("shared");
    const v0 = sequence?.versions[0];
    if (!sequence || !v0) throw new Error("v0 missing in the emulator");
    sequence.aliases.set("release candidate", v0);
    expect(await m.listAliases("shared")).toEqual({ "release candidate": "v0" });
    expect((await m.getVersion("shared", { version: "release candidate" })).version).toBe("v0");
    await expect(m.setAlias("shared", "another one")).rejects.toMatchObject({ code: "INVALID_NAME" });
    await expect(m.getVersion("shared", { version: "a/b" })).rejects.toMatchObject({ code: "INVALID_NAME" });
  });

  it("a bad key is UNAUTHENTICATED before any upload; a missing key fails at construction", async () => {
    const m = fx.manager({ project: "auth", apiKey: "wrong-key" });
    fx.emulator.faults.reset();
    await expect(m.logFiles("secret", await folder({ "s.txt": "s" }))).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    expect(requests().map((r) => r.operation)).toEqual(["Viewer"]);
    await expect(m.listCollectionNames()).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    expect(
      () => new WandbArtifactManager({ baseUrl: fx.emulator.url, env: {}, netrcPath: "/nonexistent" }),
    ).toThrow(expect.objectContaining({ code: "UNAUTHENTICATED" }));
  });

  it("uses the viewer's entity by default, a team when asked, and refuses foreign entities", async () => {
    await fx.manager({ project: "entities" }).logFiles("mine", await folder({ "m.txt": "m" }));
    expect(fx.emulator.state.project(fx.emulator.entity, "entities")?.sequences.has("mine")).toBe(true);
    await fx
      .manager({ project: "entities", entity: "my-team" })
      .logFiles("ours", await folder({ "o.txt": "o" }));
    expect(fx.emulator.state.project("my-team", "entities")?.sequences.has("ours")).toBe(true);
    const foreign = fx.manager({ project: "entities", entity: "someone-else" });
    await expect(foreign.logFiles("theirs", await folder({ "t.txt": "t" }))).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
    });
  });

  it("reports progress for uploads and downloads", async () => {
    const m = fx.manager({ project: "progress" });
    const up: ProgressEvent[] = [];
    await m.logFiles("p", await folder({ "a.txt": "aaaa", "b.txt": "bb" }), {
      onProgress: (e) => up.push(e),
    });
    expect(up[0]).toEqual({ type: "start", operation: "upload", files: 2, totalBytes: 6 });
    expect(up.at(-1)).toMatchObject({ type: "done", operation: "upload", files: 2 });
    expect(
      up
        .filter((e) => e.type === "file-done")
        .map((e) => (e.type === "file-done" ? e.path : ""))
        .sort(),
    ).toEqual(["a.txt", "b.txt"]);
    expect(up).toContainEqual({ type: "file", path: "a.txt", bytes: 4, totalBytes: 4 });
    const down: ProgressEvent[] = [];
    await m.downloadArtifact("p", { to: join(fx.dir, "progress-out"), onProgress: (e) => down.push(e) });
    expect(down[0]).toEqual({ type: "start", operation: "download", files: 2, totalBytes: 6 });
    expect(down.at(-1)).toEqual({ type: "done", operation: "download", files: 2, bytes: 6 });
  });

  it("an upload aborted mid-way rejects with the signal's reason, leaves no version, and a retry works", async () => {
    const m = fx.manager({ project: "abort", concurrency: 1 });
    const dir = await folder({ "1.txt": "one", "2.txt": "two", "3.txt": "three" });
    const controller = new AbortController();
    const reason = new Error("user cancelled");
    const aborted = m.logFiles("cancelled", dir, {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === "file-done") controller.abort(reason);
      },
    });
    await expect(aborted).rejects.toBe(reason);
    expect(await m.existsInCollection("cancelled")).toBe(false);
    expect(await m.listArtifacts()).not.toContain("cancelled");
    await expect(m.listVersions("cancelled")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await m.logFiles("cancelled", dir)).version).toBe("v0");
    const early = new AbortController();
    early.abort(reason);
    await expect(m.logFiles("cancelled", dir, { signal: early.signal })).rejects.toBe(reason);
    await expect(
      m.downloadArtifact("cancelled", { to: join(fx.dir, "never"), signal: early.signal }),
    ).rejects.toBe(reason);
    const midway = new AbortController();
    const target = join(fx.dir, "aborted-download");
    const download = m.downloadArtifact("cancelled", {
      to: target,
      signal: midway.signal,
      onProgress: (e) => {
        if (e.type === "file-done") midway.abort(reason);
      },
    });
    await expect(download).rejects.toBe(reason);
    await expect(stat(target)).rejects.toThrow(); // nothing partial in the target
    expect((await readdir(fx.dir)).filter((f) => f.startsWith("aborted-download"))).toEqual([]);
  });

  it("versions of one name logged concurrently get distinct numbers", async () => {
    const m = fx.manager({ project: "concurrent" });
    const dirs = await Promise.all([0, 1, 2].map((i) => folder({ "f.txt": `content ${i}` })));
    const versions = await Promise.all(dirs.map((dir) => m.logFiles("race", dir)));
    expect(versions.map((v) => v.version).sort()).toEqual(["v0", "v1", "v2"]);
    expect(await m.listVersions("race")).toEqual(["v0", "v1", "v2"]);
  });

  it("createWandbManagerFromUrl reads wandb://ENTITY/PROJECT with WANDB_BASE_URL and WANDB_API_KEY", async () => {
    const env = { WANDB_BASE_URL: fx.emulator.url, WANDB_API_KEY: fx.emulator.apiKey };
    const m = createWandbManagerFromUrl("wandb://my-team/from-url", { env, retry: { retries: 0 } });
    expect(m.target).toEqual({ baseUrl: fx.emulator.url, entity: "my-team", project: "from-url" });
    expect((await m.logFiles("u", await folder({ "u.txt": "u" }))).version).toBe("v0");
    expect(fx.emulator.state.project("my-team", "from-url")?.sequences.has("u")).toBe(true);
  });
});
