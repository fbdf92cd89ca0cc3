/** The real `artifacts` binary on a local store: log → versions → get → verify → diff → alias → show → ls. */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, lines, ndjson, runCli } from "./run-cli.js";

let dir: string;
const cli = (...args: string[]) => runCli(args, { cwd: dir });
const json = async (...args: string[]) => {
  const run = await cli(...args, "--json");
  expect(run.stderr, `stderr of ${args.join(" ")}`).toBe("");
  expect(run.code).toBe(0);
  expect(lines(run.stdout), "--json prints one line").toHaveLength(1);
  return JSON.parse(run.stdout) as Record<string, unknown>;
};
/** The final `{"type":"result"}` line of a transfer under --json. */
const result = (stdout: string) => ndjson(stdout).at(-1) as Record<string, unknown>;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), "cli-workflow-"));
  await mkdir(join(dir, "model/sub"), { recursive: true });
  await writeFile(join(dir, "model/a.txt"), "alpha\n");
  await writeFile(join(dir, "model/sub/b.bin"), Buffer.alloc(3000, 7));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("artifacts CLI on the default ./artifacts store", () => {
  it("logs a folder as v0 with description, metadata and an alias (--json NDJSON)", async () => {
    const run = await cli(
      "log",
      "model",
      "my-model",
      "-d",
      "first",
      "--meta",
      "lr=0.1",
      "--meta",
      "opt=adam",
      "--alias",
      "best",
      "--json",
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const events = ndjson(run.stdout);
    expect(events[0]).toMatchObject({ type: "start", operation: "upload", files: 2, totalBytes: 3006 });
    expect(
      events
        .filter((e) => e.type === "file-done")
        .map((e) => e.path)
        .sort(),
    ).toEqual(["a.txt", "sub/b.bin"]);
    expect(result(run.stdout)).toEqual({
      type: "result",
      name: "my-model",
      collection: "default",
      version: "v0",
      store: "./artifacts",
      files: 2,
      size: 3006,
      aliases: ["best"],
      reused: false,
    });
    expect((await readdir(join(dir, "artifacts"))).includes("default")).toBe(true);
  });

  it("logs a changed folder as v1, with plain progress lines on a non-terminal stderr", async () => {
    await writeFile(join(dir, "model/a.txt"), "alpha, changed\n");
    await writeFile(join(dir, "model/c.txt"), "new file\n");
    await rm(join(dir, "model/sub"), { recursive: true });
    const run = await cli("log", "model", "my-model", "--description", "second");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/my-model:v1/);
    expect(run.stderr).not.toContain("\r");
    expect(lines(run.stderr)[0]).toMatch(/^upload: 2 files/);
    expect(run.stderr).toMatch(/uploaded 2 files/);
  });

  it("lists versions with dates, files, sizes, aliases and descriptions", async () => {
    const doc = await json("versions", "my-model");
    expect(doc).toMatchObject({ name: "my-model", collection: "default" });
    const versions = doc.versions as Record<string, unknown>[];
    expect(versions.map((v) => v.version)).toEqual(["v0", "v1"]);
    expect(versions[0]).toMatchObject({
      files: 2,
      size: 3006,
      aliases: ["best"],
      latest: false,
      description: "first",
    });
    expect(versions[1]).toMatchObject({ files: 2, aliases: [], latest: true, description: "second" });
    expect(Number.isNaN(Date.parse(String(versions[1]?.createdAt)))).toBe(false);
    const human = await cli("versions", "my-model");
    expect(human.stdout.split("\n")[0]).toMatch(/^VERSION\s+CREATED\s+FILES\s+SIZE\s+ALIASES\s+DESCRIPTION$/);
    expect(human.stdout).toMatch(/v1 .*latest/);
  });

  it("gets the latest version into ./NAME and an alias into --to", async () => {
    const latest = await cli("get", "my-model", "--quiet");
    expect(latest.code).toBe(0);
    expect(latest.stdout + latest.stderr).toBe("");
    expect(await readFile(join(dir, "my-model/a.txt"), "utf8")).toBe("alpha, changed\n");
    expect(await readFile(join(dir, "my-model/c.txt"), "utf8")).toBe("new file\n");
    const best = await cli("get", "my-model:best", "--to", "restored", "--json");
    expect(result(best.stdout)).toMatchObject({ type: "result", version: "v0", path: join(dir, "restored") });
    expect(await readFile(join(dir, "restored/a.txt"), "utf8")).toBe("alpha\n");
    expect((await readFile(join(dir, "restored/sub/b.bin"))).length).toBe(3000);
  });

  it("gets one file with --file", async () => {
    const run = await cli("get", "my-model:v0", "--file", "sub/b.bin", "--to", "one", "--json");
    expect(run.code).toBe(0);
    expect(result(run.stdout)).toMatchObject({
      version: "v0",
      file: "sub/b.bin",
      path: join(dir, "one/sub/b.bin"),
    });
    expect(await readdir(join(dir, "one"))).toEqual(["sub"]);
    expect(await readdir(join(dir, "one/sub"))).toEqual(["b.bin"]);
    const missing = await cli("get", "my-model:v0", "--file", "nope.txt", "--to", "none");
    expect(missing.code).toBe(1);
    expect(lines(missing.stderr)).toHaveLength(1);
    expect(missing.stderr).toContain("[NOT_FOUND]");
  });

  it("verifies a version (exit 0) and reports a corrupted file (exit 1)", async () => {
    const run = await cli("verify", "my-model:v0", "--json");
    expect(run.code).toBe(0);
    expect(result(run.stdout)).toMatchObject({
      ok: true,
      version: "v0",
      missing: [],
      extra: [],
      changed: [],
    });
    await writeFile(join(dir, "artifacts/default/my-model/v0/a.txt"), "tampered\n");
    const bad = await cli("verify", "my-model:v0", "--json");
    expect(bad.code).toBe(1);
    expect(result(bad.stdout)).toMatchObject({ ok: false, changed: ["a.txt"] });
    const human = await cli("verify", "my-model:v0");
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/changed\s+a\.txt/);
    const quietProblem = await cli("verify", "my-model:v0", "-q");
    expect(quietProblem.code).toBe(1);
    expect(quietProblem.stdout).toMatch(/changed\s+a\.txt/);
    const quietOk = await cli("verify", "my-model:v1", "-q");
    expect(quietOk.code).toBe(0);
    expect(quietOk.stdout + quietOk.stderr).toBe("");
  });

  it("diffs two versions from their records", async () => {
    const doc = await json("diff", "my-model:v0", "my-model:v1");
    expect(doc).toEqual({
      from: { name: "my-model", collection: "default", version: "v0" },
      to: { name: "my-model", collection: "default", version: "v1" },
      added: [{ path: "c.txt", size: 9 }],
      removed: [{ path: "sub/b.bin", size: 3000 }],
      changed: [{ path: "a.txt", fromSize: 6, toSize: 15 }],
      unchanged: 0,
      sameDigest: false,
    });
    expect(await json("diff", "my-model:v1", "my-model:latest")).toMatchObject({
      unchanged: 2,
      sameDigest: true,
    });
    const human = await cli("diff", "my-model:best", "my-model");
    expect(human.stdout).toMatch(/^\+ c\.txt/m);
    expect(human.stdout).toMatch(/^- sub\/b\.bin/m);
    expect(human.stdout).toMatch(/^~ a\.txt/m);
  });

  it("sets, moves, lists and removes aliases", async () => {
    expect(await json("alias", "set", "my-model:v1", "production")).toMatchObject({
      action: "set",
      version: "v1",
    });
    expect(await json("alias", "set", "my-model:v1", "best")).toMatchObject({ version: "v1" });
    expect(await json("alias", "ls", "my-model")).toMatchObject({
      aliases: { best: "v1", production: "v1" },
    });
    expect((await cli("alias", "rm", "my-model", "production")).code).toBe(0);
    expect(await json("alias", "ls", "my-model")).toMatchObject({ aliases: { best: "v1" } });
    const gone = await cli("alias", "rm", "my-model", "production");
    expect(gone.code).toBe(1);
    expect(lines(gone.stderr)).toHaveLength(1);
    expect((await cli("alias", "frob", "my-model")).code).toBe(2);
    expect((await cli("alias", "set", "my-model", "latest")).code).toBe(1);
  });

  it("shows the commit record", async () => {
    const record = await json("show", "my-model:v0");
    expect(record).toMatchObject({ format: 1, name: "my-model", version: "v0", description: "first" });
    expect(record.metadata).toEqual({ lr: 0.1, opt: "adam" });
    const files = record.files as { path: string; size: number; sha256: string }[];
    expect(files.map((f) => f.path)).toEqual(["a.txt", "sub/b.bin"]);
    expect(files[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const human = await cli("show", "my-model");
    expect(human.stdout).toMatch(/^my-model:v1/);
    expect(human.stdout).toMatch(/^PATH\s+SIZE\s+SHA256$/m);
  });

  it("lists collections and artifacts, in other collections too", async () => {
    await writeFile(join(dir, "data.csv"), "x,y\n1,2\n");
    const logged = await runCli(["log", "data.csv", "dataset", "--path", "tables/data.csv", "-q"], {
      cwd: dir,
      env: { ARTIFACTS_COLLECTION: "datasets" },
    });
    expect(logged.code).toBe(0);
    expect(logged.stdout + logged.stderr).toBe("");
    expect(await json("ls")).toMatchObject({
      collections: [
        { name: "datasets", artifacts: 1 },
        { name: "default", artifacts: 1 },
      ],
    });
    const doc = await json("ls", "default");
    expect(doc.artifacts).toEqual([
      expect.objectContaining({
        name: "my-model",
        latest: "v1",
        versions: 2,
        files: 2,
        description: "second",
      }),
    ]);
    const inDatasets = await json("show", "dataset", "--collection", "datasets");
    expect((inDatasets.files as { path: string }[]).map((f) => f.path)).toEqual(["tables/data.csv"]);
  });

  it("uses --store and ARTIFACTS_STORE, and memory:// starts empty in every process", async () => {
    const other = join(dir, "other-store");
    expect((await cli("log", "data.csv", "d", "--store", other, "-q")).code).toBe(0);
    const env = await runCli(["ls", "default", "--json"], { cwd: dir, env: { ARTIFACTS_STORE: other } });
    expect(JSON.parse(env.stdout).artifacts.map((a: { name: string }) => a.name)).toEqual(["d"]);
    expect((await cli("log", "data.csv", "d", "--store", "memory://", "-q")).code).toBe(0);
    expect(await json("ls", "--store", "memory://")).toMatchObject({ collections: [] });
  });
});
