/** The real `artifacts` binary on az:// (azurite), s3:// (radosgw) and gs:// (the GCS fake), configured only through the environment. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { azureStore, type CloudStore, s3Store } from "../servers/cloud-stores.js";
import { startGcsFake } from "../servers/gcs-fake-server.js";
import { useSharedServer } from "../servers/shared-servers.js";
import { ensureBuilt, lines, ndjson, runCli } from "./run-cli.js";

let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), "cli-cloud-"));
  await mkdir(join(dir, "model"));
  await writeFile(join(dir, "model/a.txt"), "alpha\n");
  await writeFile(join(dir, "model/big.bin"), Buffer.alloc(6 * 1024 * 1024, 3));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * log → log → versions → get → verify → diff through the binary, on `store` with `env`. Nothing but the
 * results may reach stderr (with `--json`, an error is its one line there).
 */
async function roundTrip(store: CloudStore, env: Record<string, string | undefined>) {
  const cli = (...args: string[]) =>
    runCli([...args, "--json"], { cwd: dir, env: { ARTIFACTS_STORE: store.url, ...env } });
  const last = async (...args: string[]) => {
    const run = await cli(...args);
    expect(run.stderr, `${args.join(" ")}: ${run.stderr}`).toBe("");
    expect(run.code).toBe(0);
    return ndjson(run.stdout).at(-1) as Record<string, unknown>;
  };
  expect(await last("log", "model", "cloud-model", "-d", "first")).toMatchObject({ version: "v0", files: 2 });
  expect(await last("log", join("model", "a.txt"), "cloud-model", "--path", "docs/a.txt")).toMatchObject({
    version: "v1",
  });
  const versions = await last("versions", "cloud-model");
  expect((versions.versions as { version: string }[]).map((v) => v.version)).toEqual(["v0", "v1"]);
  expect(await last("get", "cloud-model:v0", "--to", `out-${store.url.slice(0, 2)}`)).toMatchObject({
    version: "v0",
  });
  expect((await readFile(join(dir, `out-${store.url.slice(0, 2)}`, "big.bin"))).length).toBe(6 * 1024 * 1024);
  expect(await last("verify", "cloud-model:v0")).toMatchObject({ ok: true });
  expect(await last("diff", "cloud-model:v0", "cloud-model:v1")).toMatchObject({
    added: [{ path: "docs/a.txt" }],
    removed: [{ path: "a.txt" }, { path: "big.bin" }],
  });
  const missing = await cli("get", "no-such-model");
  expect(missing.code).toBe(1);
  expect(lines(missing.stderr)).toHaveLength(1);
  expect(JSON.parse(missing.stderr).error.code).toBe("NOT_FOUND");
}

describe("artifacts CLI on cloud stores", () => {
  it("az:// with AZURE_STORAGE_CONNECTION_STRING (azurite)", async () => {
    const store = await azureStore();
    try {
      const azurite = await useSharedServer("azurite");
      await roundTrip(store, { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString });
    } finally {
      await store.cleanup();
    }
  });

  it("gs:// with STORAGE_EMULATOR_HOST (the project's GCS fake server)", async () => {
    const fake = await startGcsFake({ buckets: ["am-cli"] });
    try {
      const store: CloudStore = { url: "gs://am-cli/cli-test", storageOptions: {}, cleanup: async () => {} };
      await roundTrip(store, { STORAGE_EMULATOR_HOST: fake.endpoint });
    } finally {
      await fake.close();
    }
  });

  // The SDK's Node-version notice (8 lines on Node 20) is not the CLI user's to act on: the CLI hides it.
  it("s3:// with AWS_ENDPOINT_URL and AWS_* keys (radosgw), without the SDK's Node-version notice", async () => {
    const store = await s3Store();
    try {
      const options = store.storageOptions as Record<string, string>;
      await roundTrip(store, {
        AWS_ENDPOINT_URL: String(options.endpoint),
        AWS_ACCESS_KEY_ID: String(options.accessKeyId),
        AWS_SECRET_ACCESS_KEY: String(options.secretAccessKey),
        AWS_REGION: "us-east-1",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
      });
    } finally {
      await store.cleanup();
    }
  });
});
