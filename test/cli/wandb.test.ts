/** The real `artifacts` binary on `wandb://ENTITY/PROJECT`, against the W&B emulator on loopback. */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWandbEmulator, type WandbEmulator } from "../wandb-emulator/server.js";
import { ensureBuilt, lines, ndjson, runCli } from "./run-cli.js";

let dir: string;
let emulator: WandbEmulator;

const cli = (...args: string[]) =>
  runCli(args, {
    cwd: dir,
    env: {
      ARTIFACTS_STORE: `wandb://${emulator.entity}/cli-project`,
      WANDB_BASE_URL: emulator.url,
      WANDB_API_KEY: emulator.apiKey,
      WANDB_ENTITY: undefined,
      WANDB_PROJECT: undefined,
      // `get` of the file:// reference logged below: followed only when named (issue 18.12)
      ARTIFACTS_FOLLOW_REFERENCES: "default,file",
      HOME: dir,
      NETRC: join(dir, "no-netrc"),
    },
  });
const json = async (...args: string[]) => {
  const run = await cli(...args, "--json");
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  // The last line is the result: the only line, or the one after the NDJSON progress events.
  return ndjson(run.stdout).at(-1) as Record<string, unknown>;
};

beforeAll(async () => {
  await ensureBuilt();
  emulator = await startWandbEmulator();
  dir = await mkdtemp(join(tmpdir(), "cli-wandb-"));
  await mkdir(join(dir, "model"));
  await writeFile(join(dir, "model/a.txt"), "alpha\n");
  await writeFile(join(dir, "model/b.txt"), "beta\n");
});

afterAll(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("artifacts CLI on wandb://", () => {
  it("logs, lists, gets, verifies, diffs and aliases", async () => {
    expect(await json("log", "model", "my-model", "-d", "first", "--collection", "model")).toMatchObject({
      type: "result",
      version: "v0",
      collection: "model",
      files: 2,
    });
    await writeFile(join(dir, "model/a.txt"), "alpha two\n");
    expect(await json("log", "model", "my-model", "--collection", "model", "--alias", "best")).toMatchObject({
      version: "v1",
    });
    const versions = await json("versions", "my-model", "--collection", "model");
    expect((versions.versions as { version: string }[]).map((v) => v.version)).toEqual(["v0", "v1"]);
    expect(await json("ls")).toMatchObject({ collections: [{ name: "model", artifacts: 1 }] });

    const got = await json("get", "my-model:v0", "--collection", "model", "--to", "out");
    expect(got).toMatchObject({ version: "v0" });
    expect(await readFile(join(dir, "out/a.txt"), "utf8")).toBe("alpha\n");
    expect(await json("verify", "my-model:best", "--collection", "model")).toMatchObject({
      ok: true,
      version: "v1",
    });
    expect(await json("diff", "my-model:v0", "my-model:v1", "--collection", "model")).toMatchObject({
      changed: [{ path: "a.txt" }],
      added: [],
      removed: [],
      unchanged: 1,
    });
    expect(await json("alias", "ls", "my-model", "--collection", "model")).toMatchObject({
      aliases: { best: "v1" },
    });
  });

  it("shows the files' md5 (W&B records no sha256) instead of an empty SHA256 column", async () => {
    await writeFile(join(dir, "one.txt"), "alpha\n");
    expect((await cli("log", "one.txt", "md5-shown", "--collection", "data", "-q")).code).toBe(0);
    const run = await cli("show", "md5-shown", "--collection", "data");
    expect(run.code, run.stderr).toBe(0);
    const md5 = createHash("md5").update("alpha\n").digest("base64");
    const rows = run.stdout.split("\n");
    expect(rows.find((line) => line.startsWith("PATH"))).toMatch(/\bMD5\b/);
    expect(rows.find((line) => line.startsWith("one.txt"))).toContain(md5);
  });

  it("logs a URI as a reference on W&B (fetched from there by get); elsewhere a file:// URL is a path, other URIs are refused", async () => {
    await mkdir(join(dir, "refd"), { recursive: true });
    await writeFile(join(dir, "refd/r.txt"), "referenced\n");
    const uri = pathToFileURL(join(dir, "refd")).href;
    expect(await json("log", uri, "refs", "--collection", "data", "--path", "inside")).toMatchObject({
      version: "v0",
      files: 1,
    });
    expect((await cli("get", "refs", "--collection", "data", "--to", "refs-out", "-q")).code).toBe(0);
    expect(await readFile(join(dir, "refs-out/inside/r.txt"), "utf8")).toBe("referenced\n");
    const show = await cli("show", "refs", "--collection", "data");
    expect(show.stdout).toContain(`ref:${uri}/r.txt`);
    const local = (...args: string[]) => runCli([...args, "--store", join(dir, "local-store")], { cwd: dir });
    expect((await local("log", pathToFileURL(join(dir, "refd/r.txt")).href, "plain", "-q")).code).toBe(0);
    expect((await local("get", "plain", "--to", "plain-out", "-q")).code).toBe(0);
    expect(await readFile(join(dir, "plain-out/r.txt"), "utf8")).toBe("referenced\n");
    const refused = await local("log", "s3://bucket/key", "nope");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("only a W&B store (--store wandb://…) records references");
  });

  it("fails gc with one UNSUPPORTED line, and a wrong key with UNAUTHENTICATED or PERMISSION_DENIED", async () => {
    const gc = await cli("gc");
    expect(gc.code).toBe(1);
    expect(lines(gc.stderr)).toHaveLength(1);
    expect(gc.stderr).toContain("[UNSUPPORTED]");
    const denied = await runCli(["ls", "--json"], {
      cwd: dir,
      env: {
        ARTIFACTS_STORE: `wandb://${emulator.entity}/cli-project`,
        WANDB_BASE_URL: emulator.url,
        WANDB_API_KEY: "0".repeat(40),
      },
    });
    expect(denied.code).toBe(1);
    expect(lines(denied.stderr)).toHaveLength(1);
    expect(["UNAUTHENTICATED", "PERMISSION_DENIED"]).toContain(JSON.parse(denied.stderr).error.code);
  });
});
