/** `ls COLLECTION` and `versions NAME` filters (--alias, --since, --meta) and metadata in `versions --json`. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/index.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";

let dir: string;

/** Runs the CLI in this process on the test store; returns exit code, stdout and stderr. */
async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main([...argv, "--store", join(dir, "store")], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    cwd: dir,
  });
  return { code, stdout, stderr };
}

const json = async (...argv: string[]) => {
  const run = await cli(...argv, "--json");
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  // The last line is the result (a transfer prints NDJSON progress events before it).
  return JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "") as Record<string, unknown>;
};
const versionsOf = async (...argv: string[]) =>
  ((await json("versions", ...argv)).versions as { version: string }[]).map((v) => v.version);
const artifactsOf = async (...argv: string[]) =>
  ((await json("ls", ...argv)).artifacts as { name: string; latest: string }[]).map(
    (a) => `${a.name}:${a.latest}`,
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cli-filters-"));
  await writeFile(join(dir, "f.txt"), "x");
  const manager = new FileSystemArtifactManager({ url: join(dir, "store") });
  const metadata = [
    { optimizer: "adam", lr: 0.1, epochs: 10 },
    { optimizer: "sgd", lr: 0.01, epochs: 10 },
    { optimizer: "adam", lr: 0.001, tags: ["a", "b"] },
  ];
  for (const meta of metadata) await manager.logFiles("net", join(dir, "f.txt"), { metadata: meta });
  await manager.logFiles("data", join(dir, "f.txt"), { metadata: { source: "web" } });
  await manager.setAlias("net", "best", { version: "v1" });
  await manager.close();
  // v0 of net is old: its record says it was made in 2020.
  const record = join(dir, "store/default/net/meta/versions/v0.json");
  const text = await readFile(record, "utf8");
  await writeFile(record, text.replace(/"createdAt":\s*"[^"]*"/, '"createdAt": "2020-01-02T03:04:05.000Z"'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("versions filters", () => {
  it("versions --json carries each version's metadata", async () => {
    const result = await json("versions", "net");
    expect(result.versions).toMatchObject([
      { version: "v0", metadata: { optimizer: "adam", lr: 0.1, epochs: 10 } },
      { version: "v1", metadata: { optimizer: "sgd" } },
      { version: "v2", metadata: { tags: ["a", "b"] } },
    ]);
  });

  it("--meta keeps versions whose metadata matches (all of them; JSON values by content)", async () => {
    expect(await versionsOf("net", "--meta", "optimizer=adam")).toEqual(["v0", "v2"]);
    expect(await versionsOf("net", "--meta", "optimizer=adam", "--meta", "epochs=10")).toEqual(["v0"]);
    expect(await versionsOf("net", "--meta", "lr=0.01")).toEqual(["v1"]);
    expect(await versionsOf("net", "--meta", 'tags=["a","b"]')).toEqual(["v2"]);
    expect(await versionsOf("net", "--meta", "optimizer=rmsprop")).toEqual([]);
  });

  it("--alias keeps the version it points at; latest is the latest", async () => {
    expect(await versionsOf("net", "--alias", "best")).toEqual(["v1"]);
    expect(await versionsOf("net", "--alias", "latest")).toEqual(["v2"]);
    expect(await versionsOf("net", "--alias", "nope")).toEqual([]);
  });

  it("--since takes a date or an age", async () => {
    expect(await versionsOf("net", "--since", "2021-01-01")).toEqual(["v1", "v2"]);
    expect(await versionsOf("net", "--since", "2019-12-31")).toEqual(["v0", "v1", "v2"]);
    expect(await versionsOf("net", "--since", "1d")).toEqual(["v1", "v2"]);
    expect(await versionsOf("net", "--since", "2099-01-01")).toEqual([]);
    const human = await cli("versions", "net", "--since", "2099-01-01");
    expect(human.stdout).toBe("no version of 'net' in collection 'default' matches the filters\n");
    const bad = await cli("versions", "net", "--since", "yesterday");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--since' of 'versions' needs a date");
  });
});

describe("ls filters", () => {
  it("filter the artifacts of a collection by their latest version, or by an alias", async () => {
    expect(await artifactsOf("default")).toEqual(["data:v0", "net:v2"]);
    expect(await artifactsOf("default", "--meta", "optimizer=adam")).toEqual(["net:v2"]);
    expect(await artifactsOf("default", "--meta", "source=web")).toEqual(["data:v0"]);
    expect(await artifactsOf("default", "--alias", "best")).toEqual(["net:v1"]);
    expect(await artifactsOf("default", "--alias", "best", "--meta", "optimizer=adam")).toEqual([]);
    expect(await artifactsOf("default", "--since", "1d")).toEqual(["data:v0", "net:v2"]);
  });

  it("without a collection the filters are a usage error", async () => {
    const run = await cli("ls", "--since", "1d");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("artifacts ls COLLECTION");
  });
});

describe("log --include / --exclude", () => {
  it("logs only the chosen files of a folder (repeatable; exclude wins)", async () => {
    const { mkdir } = await import("node:fs/promises");
    for (const path of ["run/model.pt", "run/tmp/x.pt", "run/notes.txt", "run/a.tmp"]) {
      await mkdir(join(dir, path, ".."), { recursive: true });
      await writeFile(join(dir, path), path);
    }
    const logged = await json(
      "log",
      "run",
      "picked",
      "--include",
      "*.pt",
      "--include",
      "notes.txt",
      "--exclude",
      "tmp",
    );
    expect(logged).toMatchObject({ version: "v0", files: 2 });
    const shown = await cli("show", "picked", "--json");
    expect(JSON.parse(shown.stdout).files.map((f: { path: string }) => f.path)).toEqual([
      "model.pt",
      "notes.txt",
    ]);
    const none = await cli("log", "run", "picked", "--include", "*.safetensors");
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no file of");
  });
});
