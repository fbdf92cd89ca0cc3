/** `artifacts cache info|prune|clear` and `get --no-cache`, through the built binary on s3:// (radosgw). */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, runCli } from "../cli/run-cli.js";
import { type CloudStore, s3Store } from "../servers/cloud-stores.js";

let dir: string;
let store: CloudStore;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  await ensureBuilt();
  store = await s3Store();
  dir = await mkdtemp(join(tmpdir(), "cli-cache-"));
  await mkdir(join(dir, "model"));
  await writeFile(join(dir, "model/a.txt"), "alpha\n");
  await writeFile(join(dir, "model/b.bin"), Buffer.alloc(300_000, 7));
  const options = store.storageOptions as Record<string, string>;
  env = {
    ARTIFACTS_STORE: store.url,
    AWS_ENDPOINT_URL: String(options.endpoint),
    AWS_ACCESS_KEY_ID: String(options.accessKeyId),
    AWS_SECRET_ACCESS_KEY: String(options.secretAccessKey),
    AWS_REGION: "us-east-1",
    ARTIFACTS_CACHE: undefined, // the default: on for s3://
    ARTIFACTS_CACHE_DIR: join(dir, "cache"),
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await store?.cleanup();
});

async function cli(...args: string[]) {
  const run = await runCli(args, { cwd: dir, env });
  return { ...run, json: () => JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "null") };
}

describe("artifacts cache", () => {
  it("get fills the cache, get --no-cache does not; info, prune --max and clear report what they did", async () => {
    expect((await cli("log", "model", "m")).code).toBe(0);
    expect((await cli("get", "m", "--no-cache", "--to", "out0")).code).toBe(0);
    expect((await cli("cache", "info", "--json")).json()).toMatchObject({
      action: "info",
      dir: join(dir, "cache"),
      files: 0,
      enabled: true,
    });
    expect((await cli("get", "m", "--to", "out1")).code).toBe(0);
    const info = await cli("cache", "info");
    expect(info.stdout).toContain(join(dir, "cache"));
    expect(info.stdout).toContain("2 files");
    expect(await readFile(join(dir, "out1/b.bin"))).toEqual(Buffer.alloc(300_000, 7));
    // 300006 bytes held: a cap of 300000 removes the least recently used of the two, whichever it is.
    expect((await cli("cache", "prune", "--max", "300000", "--json")).json()).toMatchObject({
      action: "prune",
      removedFiles: 1,
      files: 1,
    });
    expect((await cli("cache", "clear", "--json")).json()).toMatchObject({ removedFiles: 1, files: 0 });
    expect((await cli("cache", "info", "--json")).json()).toMatchObject({ files: 0, bytes: 0 });
  });

  it("bad actions and sizes are usage errors (exit 2)", async () => {
    expect((await cli("cache", "purge")).code).toBe(2);
    expect((await cli("cache", "prune", "--max", "lots")).code).toBe(2);
    expect((await cli("cache", "info", "--max", "1G")).code).toBe(2);
  });
});
