/**
 * The real W&B SDK (wandb 0.30.0, `scripts/setup-wandb-sdk.sh`) against the emulator, both ways: the
 * SDK logs and our WandbArtifactManager reads; we log and the SDK's public API reads. The SDK is the
 * judge of the emulator: every request it makes in these flows must be answered as W&B answers it.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_FOLLOW_REFERENCES } from "../../../src/managers/wandb/limits.js";
import { type EmulatorFixture, startFixture } from "./fixtures.js";
import { runSdk } from "./wandb-sdk.js";

let fx: EmulatorFixture;
/** The emulator's request log: one line per request, and one per GraphQL error it answered. */
const log: string[] = [];

/** Every request since the last call was answered as W&B answers it: no GraphQL error, no unknown endpoint. */
function expectCleanLog() {
  expect(log.filter((line) => !/ -> 200$/.test(line))).toEqual([]);
  log.length = 0;
}
beforeAll(async () => {
  fx = await startFixture({ log: (line) => log.push(line) });
});
afterAll(() => fx.close());

const md5 = (bytes: Buffer | string) => createHash("md5").update(bytes).digest("hex");

/** Relative path → hex md5 of every file under `dir`. */
async function tree(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    result[relative(dir, full)] = md5(await readFile(full));
  }
  return result;
}

const V0_FILES = {
  "a.txt": md5("hello\n"),
  "folder/b.bin": md5(Buffer.concat(Array.from({ length: 4 }, () => Buffer.from([...Array(256).keys()])))),
  "folder/sub/c.txt": md5("c"),
  "folder/empty.txt": md5(""),
  "folder/h\u00e9llo w\u00f6rld.txt": md5("\u00fcnicode \u2713\n"),
};

describe("the real W&B SDK logs, WandbArtifactManager reads", () => {
  const project = "sdk-to-us";
  let logged: Array<{ version: string; digest: string; id: string }>;

  beforeAll(async () => {
    const work = join(fx.dir, "sdk-log");
    logged = await runSdk(fx.emulator, join(work, "home"), "log_versions.py", [
      fx.emulator.entity,
      project,
      work,
    ]);
  }, 180_000);

  it("the SDK logs two versions with files, folders, aliases, description and metadata", () => {
    expect(log.filter((line) => /^POST \/files\/.*\/file_stream -> 200$/.test(line)).length).toBeGreaterThan(
      0,
    );
    const run = [...(fx.emulator.state.project(fx.emulator.entity, project)?.runs.values() ?? [])][0];
    expect([...(run?.files.keys() ?? [])]).toContain("wandb-summary.json"); // createRunFiles at finish
    expectCleanLog();
    expect(logged.map((v) => v.version)).toEqual(["v0", "v1"]);
    const v0 = fx.emulator.state.artifacts.get(logged[0]?.id ?? "");
    expect(v0?.state).toBe("COMMITTED");
    expect([...(v0?.entries.keys() ?? [])].sort()).toEqual(Object.keys(V0_FILES).sort());
  });

  it("downloads by number, alias and latest, with the SDK's bytes", async () => {
    const m = fx.manager({ project });
    const byNumber = join(fx.dir, "sdk-v0");
    expect(await m.downloadArtifact("ds", { collection: "dataset", version: 0, to: byNumber })).toMatchObject(
      {
        version: "v0",
      },
    );
    expect(await tree(byNumber)).toEqual(V0_FILES);
    const byAlias = join(fx.dir, "sdk-best");
    await m.downloadArtifact("ds", { collection: "dataset", version: "best", to: byAlias });
    expect(await tree(byAlias)).toEqual(V0_FILES);
    const latest = join(fx.dir, "sdk-latest");
    expect(await m.downloadArtifact("ds", { collection: "dataset", to: latest })).toMatchObject({
      version: "v1",
    });
    expect(await tree(latest)).toEqual({ ...V0_FILES, "a.txt": md5("hello again\n") });
  });

  it("lists versions and aliases, reads a version's record and verifies it", async () => {
    const m = fx.manager({ project });
    expect(await m.listVersions("ds", { collection: "dataset" })).toEqual(["v0", "v1"]);
    expect(await m.listAliases("ds", { collection: "dataset" })).toEqual({ best: "v0", candidate: "v1" });
    const record = await m.getVersion("ds", { collection: "dataset", version: "v0" });
    expect(record).toMatchObject({
      name: "ds",
      collection: "dataset",
      version: "v0",
      description: "version 0",
      metadata: { step: 0, lr: 0.5 },
    });
    expect(record.files.map((f) => f.path)).toEqual(Object.keys(V0_FILES).sort());
    expect(record.files.find((f) => f.path === "folder/b.bin")?.size).toBe(1024);
    // W&B DateTimes carry no zone and are UTC: the record gives them with one
    expect(record.createdAt).toMatch(/Z$/);
    expect(Math.abs(Date.parse(record.createdAt ?? "") - Date.now())).toBeLessThan(10 * 60_000);
    for (const version of ["v0", "v1"]) {
      expect(await m.verify("ds", { collection: "dataset", version })).toMatchObject({ ok: true });
    }
  });
  it("alias edits saved with the SDK (addAliases / deleteAliases) are what listAliases reads", async () => {
    const m = fx.manager({ project });
    const ref = `${fx.emulator.entity}/${project}/ds:v0`;
    const home = join(fx.dir, "sdk-alias-home");
    // "candidate" moves off v1 (an alias is unique in its collection), "best" goes
    const saved = await runSdk(fx.emulator, home, "edit_aliases.py", [ref, "prod,candidate", "best"]);
    expect(saved).toEqual(["candidate", "prod"]);
    expect(await m.listAliases("ds", { collection: "dataset" })).toEqual({ prod: "v0", candidate: "v0" });
    expectCleanLog();
  }, 60_000);

  it("a checksum=False reference the SDK logs (recorded with size 0: unknown) downloads", async () => {
    const body = "a reference's bytes\n";
    const server = createServer((_req, res) => void res.writeHead(200).end(body));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ref/web.txt`;
      const home = join(fx.dir, "sdk-ref-home");
      expect(
        await runSdk(fx.emulator, home, "log_reference.py", [fx.emulator.entity, project, "ref", url]),
      ).toBe("v0");
      // the server is on loopback: followed only when named (issue 18.12)
      const m = fx.manager({
        project,
        followReferences: [...DEFAULT_FOLLOW_REFERENCES, "private-addresses"],
      });
      expect((await m.getVersion("ref", { collection: "dataset" })).files).toMatchObject([
        { path: "web.txt", size: 0 },
      ]);
      const to = join(fx.dir, "sdk-ref");
      await m.downloadArtifact("ref", { collection: "dataset", to });
      expect(await tree(to)).toEqual({ "web.txt": md5(body) });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    expectCleanLog();
  }, 60_000);

  it("identical content logged twice by the SDK is one version (it always asks for digest dedup)", async () => {
    const work = join(fx.dir, "sdk-twice");
    const versions = await runSdk(fx.emulator, join(work, "home"), "log_same_twice.py", [
      fx.emulator.entity,
      project,
      work,
    ]);
    expect(versions).toEqual(["v0", "v0"]);
    const m = fx.manager({ project });
    expect(await m.listVersions("twice", { collection: "dataset" })).toEqual(["v0"]);
    // our log of the same content finds the SDK's version (same artifact digest), as the SDK does
    const same = join(work, "ours");
    await mkdir(same, { recursive: true });
    await writeFile(join(same, "same.txt"), "same bytes\n");
    expect(await m.logFiles("twice", same, { collection: "dataset" })).toEqual({
      name: "twice",
      collection: "dataset",
      version: "v0",
      reused: true,
    });
    expect(
      await m.logFiles("twice", same, { collection: "dataset", ifUnchanged: "new-version" }),
    ).toMatchObject({
      version: "v1",
    });
    expectCleanLog();
  }, 60_000);
});

describe("WandbArtifactManager logs, the real W&B SDK reads", () => {
  const project = "us-to-sdk";

  /** Writes `files` under a fresh folder `name` and returns it. */
  async function folder(name: string, files: Record<string, string>): Promise<string> {
    const dir = join(fx.dir, name);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(dir, path, ".."), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    return dir;
  }

  interface SdkVersion {
    version: string;
    type: string;
    digest: string;
    description: string | null;
    metadata: Record<string, unknown>;
    aliases: string[];
    files: Record<string, string>;
    listed: string[];
  }
  const read = (ref: string, root: string) =>
    runSdk<SdkVersion>(fx.emulator, join(fx.dir, "sdk-read-home"), "read_version.py", [
      `${fx.emulator.entity}/${project}/${ref}`,
      join(fx.dir, root),
    ]);

  it("a single file with description and metadata: download, verify, metadata", async () => {
    const m = fx.manager({ project });
    const dir = await folder("one-file", { "weights.bin": "w".repeat(3000) });
    const metadata = { lr: 0.01, layers: [64, 32], nested: { ok: true }, name: "r\u00e9sum\u00e9" };
    await m.logFiles("single", join(dir, "weights.bin"), {
      collection: "model",
      description: "one file",
      metadata,
    });
    const got = await read("single:v0", "sdk-single");
    expect(got).toMatchObject({ version: "v0", type: "model", description: "one file", metadata });
    expect(got.aliases).toEqual(["latest"]); // the SDK leaves version strings out of `aliases`
    expect(got.files).toEqual({ "weights.bin": md5("w".repeat(3000)) });
    expect(got.listed).toEqual(["weights.bin"]); // artifact.files(): the membership's files query
    expectCleanLog();
    expect(got.digest).toBe(
      fx.emulator.state.project(fx.emulator.entity, project)?.sequences.get("single")?.versions[0]?.digest,
    );
  }, 60_000);

  it("a folder (nested, empty and unicode files) and an alias: download, verify, aliases", async () => {
    const m = fx.manager({ project });
    const files = {
      "a.txt": "alpha\n",
      "deep/er/b.json": '{"b": 1}',
      "empty.txt": "",
      "\u00fcn\u00efc\u00f6de/\u6587\u4ef6.txt": "\u2713",
    };
    await m.logFiles("tree", await folder("a-folder", files), { collection: "dataset" });
    await m.logFiles("tree", await folder("a-folder-2", { ...files, "a.txt": "beta\n" }), {
      collection: "dataset",
    });
    await m.setAlias("tree", "golden", { collection: "dataset", version: 0 });
    const v0 = await read("tree:golden", "sdk-tree");
    expect(v0).toMatchObject({ version: "v0", type: "dataset", metadata: {} });
    expect(v0.aliases).toEqual(["golden"]);
    expect(v0.files).toEqual(Object.fromEntries(Object.entries(files).map(([p, c]) => [p, md5(c)])));
    expect(v0.listed).toEqual(Object.keys(files).sort());
    const latest = await read("tree:latest", "sdk-tree-latest");
    expect(latest.aliases).toEqual(["latest"]);
    expect(latest.files["a.txt"]).toBe(md5("beta\n"));
    expectCleanLog();
  }, 60_000);

  it("an http:// reference we log is downloaded and checked by the SDK (its digest is the unquoted ETag)", async () => {
    const body = "served over http\n";
    const server = createServer((req, res) => {
      res.writeHead(200, { etag: '"v1-abc"', "content-length": String(Buffer.byteLength(body)) });
      res.end(req.method === "HEAD" ? undefined : body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/data/web.txt`;
      await fx.manager({ project }).logReferences("web", url);
      const got = await read("web:v0", "sdk-web");
      expect(got.files).toEqual({ "web.txt": md5(body) });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    expectCleanLog();
  }, 60_000);

  it("identical content: our log is reused by default, and the SDK's log of the same folder finds our version", async () => {
    const m = fx.manager({ project });
    const dir = await folder("same-twice", { "x.txt": "x\n", "sub/y.txt": "y" });
    expect((await m.logFiles("dedup", dir)).version).toBe("v0");
    expect(await m.logFiles("dedup", dir)).toMatchObject({ version: "v0", reused: true });
    const home = join(fx.dir, "sdk-dedup-home");
    const args = [fx.emulator.entity, project, "dedup", "default", dir];
    expect(await runSdk(fx.emulator, home, "log_dir.py", args)).toBe("v0");
    expect(await m.listVersions("dedup")).toEqual(["v0"]);
    expectCleanLog();
  }, 60_000);

  it("metadata: 100 keys are read by the SDK; 101 (which it cannot read) are INVALID_ARGUMENT", async () => {
    const m = fx.manager({ project });
    const dir = await folder("many-keys", { "k.txt": "k" });
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    await expect(m.logFiles("keys", dir, { metadata: keys(101) })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(await m.exists("keys")).toBe(false);
    await m.logFiles("keys", dir, { metadata: keys(100) });
    expect((await read("keys:v0", "sdk-keys")).metadata).toEqual(keys(100));
    expectCleanLog();
  }, 60_000);
});
