/**
 * Ctrl-C during the commit of `artifacts log` on cloud stores (issue 17, item 1), through a proxy that
 * holds the commit record's request: once the record reached the store, the version is kept whole,
 * printed as logged, named on stderr, and the exit code is 0; before, nothing is committed (exit 130),
 * and the held request, arriving late, cannot commit it.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { azureStore, type CloudStore, s3Store } from "../servers/cloud-stores.js";
import { startGcsFake } from "../servers/gcs-fake-server.js";
import { type HoldProxy, startHoldProxy, writeOf } from "../servers/hold-proxy.js";
import { BIN, type CliRun, ensureBuilt, lines } from "./run-cli.js";

/** A cloud store for the CLI: the server's port, and the environment that points the CLI at a proxy. */
interface CliStore {
  store: CloudStore;
  targetPort: number;
  env: (proxyEndpoint: string) => Record<string, string>;
  close: () => Promise<void>;
}

const BACKENDS: { name: string; open: () => Promise<CliStore> }[] = [
  {
    name: "s3:// (radosgw)",
    open: async () => {
      const store = await s3Store();
      const options = store.storageOptions as Record<string, string>;
      return {
        store,
        targetPort: Number(new URL(String(options.endpoint)).port),
        env: (endpoint) => ({
          AWS_ENDPOINT_URL: endpoint,
          AWS_ACCESS_KEY_ID: String(options.accessKeyId),
          AWS_SECRET_ACCESS_KEY: String(options.secretAccessKey),
          AWS_REGION: "us-east-1",
        }),
        close: () => store.cleanup(),
      };
    },
  },
  {
    name: "az:// (azurite)",
    open: async () => {
      const store = await azureStore();
      const connection = String(store.storageOptions.connectionString);
      const port = Number(/BlobEndpoint=http:\/\/127\.0\.0\.1:(\d+)/.exec(connection)?.[1]);
      return {
        store,
        targetPort: port,
        env: (endpoint) => ({
          AZURE_STORAGE_CONNECTION_STRING: connection.replace(
            `http://127.0.0.1:${port}`,
            `http://127.0.0.1:${new URL(endpoint).port}`,
          ),
        }),
        close: () => store.cleanup(),
      };
    },
  },
  {
    name: "gs:// (GCS fake)",
    open: async () => {
      const fake = await startGcsFake({ buckets: ["am-cli"] });
      return {
        store: {
          url: `gs://am-cli/certainty-${Date.now().toString(36)}`,
          storageOptions: { apiEndpoint: fake.endpoint },
          cleanup: async () => {},
        },
        targetPort: Number(new URL(fake.endpoint).port),
        env: (endpoint) => ({ STORAGE_EMULATOR_HOST: endpoint }),
        close: () => fake.close(),
      };
    },
  },
];

let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), "cli-certainty-"));
  await mkdir(join(dir, "model"));
  await writeFile(join(dir, "model/config.json"), '{"lr":0.001}\n');
  await writeFile(join(dir, "model/weights.bin"), Buffer.alloc(100_000, 7));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI and sends it SIGINT once the proxy holds a caught request. */
function runInterrupted(args: string[], env: Record<string, string>, proxy: HoldProxy): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, ARTIFACTS_STORE: undefined, ARTIFACTS_COLLECTION: undefined, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    void proxy.waitForCaught(1).then(() => child.kill("SIGINT"));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe.each(BACKENDS)("artifacts log, Ctrl-C during the commit, on $name", (backend) => {
  let cli: CliStore;
  let reader: FileSystemArtifactManager;
  beforeAll(async () => {
    cli = await backend.open();
    reader = new FileSystemArtifactManager({ url: cli.store.url, storageOptions: cli.store.storageOptions });
  });
  afterAll(async () => {
    await reader?.close();
    await cli?.close();
  });

  /** Runs one test with a fresh hold proxy in front of the store's server. */
  const withProxy = async (test: (proxy: HoldProxy, env: Record<string, string>) => Promise<void>) => {
    const proxy = await startHoldProxy(cli.targetPort);
    try {
      await test(proxy, { ARTIFACTS_STORE: cli.store.url, ...cli.env(proxy.endpoint) });
    } finally {
      await proxy.release().catch(() => undefined);
      await proxy.close();
    }
  };

  it("after the record reached the store: exit 0, the version printed as logged, stderr names it as kept", async () => {
    await withProxy(async (proxy, env) => {
      proxy.arm({ match: writeOf("meta/versions/v0.json"), mode: "answer" });
      const run = await runInterrupted(["log", "model", "kept"], env, proxy);
      expect(proxy.caught[0]?.serverStatus, "the server stored the record").toBeLessThan(300);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^logged kept:v0 in collection 'default' \(2 files, /);
      // Progress lines come first on stderr; the notice is the last line.
      const notices = lines(run.stderr).filter((line) => line.startsWith("artifacts: "));
      expect(notices, run.stderr).toEqual([
        "artifacts: Ctrl-C (SIGINT) came after kept:v0 was committed in collection 'default': the version is complete and kept (log again only if you want another version)",
      ]);
      expect(lines(run.stderr).at(-1)).toBe(notices[0]);
    });
    expect(await reader.listVersions("kept")).toEqual(["v0"]);
    expect(await reader.verify("kept", { version: "v0" })).toMatchObject({ ok: true, missing: [] });
  });

  it("the same under --json: the result line on stdout, one notice object on stderr", async () => {
    await withProxy(async (proxy, env) => {
      proxy.arm({ match: writeOf("meta/versions/v0.json"), mode: "answer" });
      const run = await runInterrupted(["log", "model", "kept-json", "--json"], env, proxy);
      expect(run.code, run.stderr).toBe(0);
      const result = JSON.parse(lines(run.stdout).at(-1) ?? "{}");
      expect(result).toMatchObject({ type: "result", name: "kept-json", version: "v0", files: 2 });
      const errors = lines(run.stderr);
      expect(errors).toHaveLength(1);
      expect(JSON.parse(errors[0] ?? "")).toMatchObject({ notice: { code: "INTERRUPTED_AFTER_COMMIT" } });
    });
    expect(await reader.verify("kept-json", { version: "v0" })).toMatchObject({ ok: true });
  });

  it("before the record reached the store: exit 130, no version, and the late record request cannot commit it", async () => {
    await withProxy(async (proxy, env) => {
      proxy.arm({ match: writeOf("meta/versions/v0.json"), mode: "request", count: 1 });
      const run = await runInterrupted(["log", "model", "gone", "--json"], env, proxy);
      expect(run.code, run.stderr).toBe(130);
      expect(JSON.parse(run.stderr)).toMatchObject({ error: { code: "INTERRUPTED" } });
      expect(await reader.listVersions("gone")).toEqual([]);
      const [late] = await proxy.release();
      expect(late, "the server's answer to the late record request").toBeGreaterThanOrEqual(400);
      expect(late).toBeLessThan(500);
    });
    expect(await reader.listVersions("gone")).toEqual([]);
    expect((await reader.logFiles("gone", join(dir, "model"))).version).toBe("v1");
  });
});
