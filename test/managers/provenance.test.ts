/** Issue 20 provenance: what a log records about who and what made it, and its validated inputs. */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { collectProvenance } from "../../src/managers/provenance.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "am-prov-"));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd })
    .toString()
    .trim();

describe("collectProvenance", () => {
  it("names host, user, argv and cwd; outside a repository there is no git entry", async () => {
    const outside = await mkdtemp(join(dir, "plain-"));
    const p = await collectProvenance(outside);
    expect(p.host).toBe(hostname());
    expect(p.user.length).toBeGreaterThan(0);
    expect(p.command).toEqual(process.argv);
    expect(p.cwd).toBe(outside);
    expect(p.git).toBeUndefined();
  });

  it("inside a repository: the HEAD commit, the branch, and dirty once a tracked file changes", async () => {
    const repo = await mkdtemp(join(dir, "repo-"));
    git(repo, "init", "-q", "-b", "main");
    await writeFile(join(repo, "train.py"), "print(1)\n");
    git(repo, "add", "train.py");
    git(repo, "commit", "-q", "-m", "one");
    const head = git(repo, "rev-parse", "HEAD");
    await writeFile(join(repo, "untracked.txt"), "x");
    expect((await collectProvenance(repo)).git).toEqual({ commit: head, dirty: false, branch: "main" });
    await writeFile(join(repo, "train.py"), "print(2)\n");
    expect((await collectProvenance(repo)).git).toEqual({ commit: head, dirty: true, branch: "main" });
  });

  it("no git on PATH: no git entry, no failure", async () => {
    const saved = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      expect((await collectProvenance(process.cwd())).git).toBeUndefined();
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe("records carry provenance and inputs", () => {
  const store = () =>
    new FileSystemArtifactManager({ url: `memory://prov-${randomBytes(4).toString("hex")}` });
  const file = async (content: string) => {
    const path = join(dir, `${randomBytes(4).toString("hex")}.txt`);
    await writeFile(path, content);
    return path;
  };

  it("a log records provenance (unless provenance: false) and resolved inputs", async () => {
    const m = store();
    await m.logFiles("raw", await file("r"));
    await m.logFiles("dataset", await file("d0"));
    await m.logFiles("dataset", await file("d1"));
    await m.setAlias("dataset", "golden", { version: "v0" });
    await m.logFiles("labels", await file("l"), { collection: "other" });
    await m.logFiles("model", await file("m"), {
      inputs: ["dataset:golden", "raw", "other/labels:v0", "raw:0"],
    });
    const record = await m.getVersion("model");
    expect(record.inputs).toEqual(["dataset:v0", "raw:v0", "other/labels:v0"]);
    expect(record.provenance?.host).toBe(hostname());
    expect(record.provenance?.command).toEqual(process.argv);
    await m.logFiles("quiet", await file("q"), { provenance: false });
    const quiet = await m.getVersion("quiet");
    expect(quiet.provenance).toBeUndefined();
    expect(quiet.inputs).toBeUndefined();
  });

  it("a missing or malformed input fails the log before anything is written", async () => {
    const m = store();
    await m.logFiles("dataset", await file("d"));
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: { code?: string }) => e.code,
      );
    expect(await codeOf(m.logFiles("model", await file("m"), { inputs: ["dataset:v7"] }))).toBe("NOT_FOUND");
    expect(await codeOf(m.logFiles("model", await file("m"), { inputs: ["nope"] }))).toBe("NOT_FOUND");
    expect(await codeOf(m.logFiles("model", await file("m"), { inputs: ["bad name!"] }))).toBe(
      "INVALID_NAME",
    );
    expect(await codeOf(m.logFiles("model", await file("m"), { inputs: ["dataset:"] }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(await codeOf(m.logFiles("model", await file("m"), { inputs: "dataset" as never }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(await codeOf(m.logFiles("model", await file("m"), { provenance: "no" as never }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(await m.listVersions("model").catch(() => [])).toEqual([]);
  });

  it("the record on disk holds the fields (docs/store-format.md) and stays a v1 record", async () => {
    const root = await mkdtemp(join(dir, "store-"));
    const m = new FileSystemArtifactManager({ url: root });
    await m.logFiles("dataset", await file("d"));
    await m.logFiles("model", await file("m"), { inputs: ["dataset:v0"] });
    const raw = JSON.parse(
      await readFile(join(root, "default", "model", "meta", "versions", "v0.json"), "utf8"),
    );
    expect(raw.format).toBe(1);
    expect(raw.inputs).toEqual(["dataset:v0"]);
    expect(Object.keys(raw.provenance).sort()).toEqual(
      expect.arrayContaining(["command", "cwd", "host", "user"]),
    );
  });
});
