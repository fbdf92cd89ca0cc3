/**
 * The package as a user gets it: `npm pack`, then the tarball installed into fresh projects outside this
 * repository (so no SDK in our node_modules can be found), `--offline` (the tarball has no required
 * dependency to fetch). Checks the install weight (no cloud SDK
 * installed), the library from ESM and from CommonJS `require`, the `checkpoint` subpath, the typed error
 * of a backend whose SDK is missing, the bundled CLI without the SDKs, LICENSE and source maps.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLOUD_SDK_VERSIONS, type CloudSdk, loadSdk, sdkInstallCommand } from "../../src/drivers/load-sdk.js";
import { isArtifactError } from "../../src/errors.js";
import { ensureBuilt, ROOT } from "../cli/run-cli.js";
import { startWandbEmulator, type WandbEmulator } from "../wandb-emulator/server.js";

const run = promisify(execFile);
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  dependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const SDKS = Object.keys(CLOUD_SDK_VERSIONS) as CloudSdk[];
const S3_INSTALL = "npm i @aws-sdk/client-s3@3.1175.0 @aws-sdk/lib-storage@3.1175.0";

/** The environment of npm and of the projects' processes: no npm_* variables of an enclosing `npm test`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !/^npm_config_(cache|registry|userconfig)$/i.test(key)) continue;
    if (/^(AWS_|AZURE_|GOOGLE_|GCLOUD_|WANDB_|ARTIFACTS_)/.test(key)) continue;
    env[key] = value;
  }
  // The node running the tests first, for npm and for the `#!/usr/bin/env node` of the bin.
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;
  return { ...env, ...extra };
}

async function npm(args: string[], cwd: string): Promise<string> {
  try {
    return (await run("npm", args, { cwd, env: cleanEnv(), maxBuffer: 64 << 20 })).stdout;
  } catch (error) {
    const { stderr = "", message } = error as { stderr?: string; message: string };
    throw new Error(`npm ${args.join(" ")} failed in ${cwd}: ${message}\n${stderr}`);
  }
}

/** Runs `node script` in a project; resolves to its stdout parsed as JSON. */
async function node(
  cwd: string,
  script: string,
  env: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [script], { cwd, env: cleanEnv({ HOME: cwd, ...env }) });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** Runs the installed `artifacts` bin (through node_modules/.bin, as `npx artifacts` does). */
async function cli(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = join(cwd, "node_modules/.bin/artifacts");
  const env = cleanEnv({ HOME: cwd, AWS_EC2_METADATA_DISABLED: "true" });
  return run(bin, args, { cwd, env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

/** Every file the ES module `entry` reaches through relative imports, relative to `root`. */
function moduleGraph(entry: string, root: string): string[] {
  const seen = new Set<string>();
  const todo = [entry];
  for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, spec] of readFileSync(file, "utf8").matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)) {
      todo.push(resolve(dirname(file), spec as string));
    }
  }
  return [...seen].map((file) => relative(root, file)).sort();
}

const ESM_SCRIPT = `
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { FileSystemArtifactManager, WandbArtifactManager } from "artifact-manager";
import { isTensor, loadCheckpoint, saveCheckpoint, Tensor } from "artifact-manager/checkpoint";
import { isArtifactError } from "artifact-manager/errors";

const out = {};
out.resolvableSdks = ${JSON.stringify(SDKS)}.filter((name) => {
  try { import.meta.resolve(name); return true; } catch { return false; }
});
await mkdir("data", { recursive: true });
await writeFile("data/a.txt", "alpha");
const local = new FileSystemArtifactManager({ url: "./store" });
out.local = (await local.logFiles("ds", "data")).version;
await local.downloadArtifact("ds", { to: "restored" });
out.localBack = await readFile("restored/a.txt", "utf8");
out.memory = (await new FileSystemArtifactManager({ url: "memory://pack" }).logFiles("m", "data")).version;
await saveCheckpoint("w.pt", { w: new Tensor({ dtype: "float32", shape: [2], data: new Float32Array([1, 2]) }) });
const tree = await loadCheckpoint("w.pt");
out.checkpoint = isTensor(tree.w) ? tree.w.toArray() : null;
const wandb = new WandbArtifactManager({
  baseUrl: process.env.EMU_URL, apiKey: process.env.EMU_KEY, project: "pack", env: {},
});
out.wandb = (await wandb.logFiles("wm", "data")).version;
await wandb.downloadArtifact("wm", { to: "from-wandb" });
out.wandbBack = await readFile("from-wandb/a.txt", "utf8");
out.cloud = {};
for (const [url, storageOptions] of [
  ["s3://bucket/prefix", {}],
  ["gs://bucket/prefix", {}],
  ["az://container/prefix", { connectionString: "UseDevelopmentStorage=true" }],
]) {
  try {
    await new FileSystemArtifactManager({ url, storageOptions }).listCollectionNames();
    out.cloud[url] = "no error";
  } catch (error) {
    out.cloud[url] = { typed: isArtifactError(error), code: error.code, message: error.message, context: error.context };
  }
}
console.log(JSON.stringify(out));
`;

const CJS_SCRIPT = `
const { FileSystemArtifactManager, ArtifactError } = require("artifact-manager");
const checkpoint = require("artifact-manager/checkpoint");
const errors = require("artifact-manager/errors");
(async () => {
  const manager = new FileSystemArtifactManager({ url: "memory://cjs" });
  require("node:fs").mkdirSync("data", { recursive: true });
  require("node:fs").writeFileSync("data/a.txt", "alpha");
  const logged = await manager.logFiles("m", "data");
  const x = new checkpoint.Tensor({ dtype: "int32", shape: [1], data: new Int32Array([7]) });
  const tree = await checkpoint.loadCheckpoint(await checkpoint.encodeCheckpoint({ x }));
  console.log(JSON.stringify({
    version: logged.version,
    checkpoint: tree.x.toArray(),
    sameErrorClass: errors.ArtifactError === ArtifactError,
    loadCheckpoint: typeof checkpoint.loadCheckpoint,
  }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

/** CommonJS TypeScript: the `@ts-expect-error` lines fail the compile if the types resolved to `any`. */
const CJS_TS = `
import { mkdirSync, writeFileSync } from "node:fs";
import { FileSystemArtifactManager } from "artifact-manager";
import { isTensor, Tensor } from "artifact-manager/checkpoint";
import { isArtifactError } from "artifact-manager/errors";

export function neverCalled(): FileSystemArtifactManager {
  // @ts-expect-error the store url is a string
  return new FileSystemArtifactManager({ url: 42 });
}
// @ts-expect-error no such export
import type { NoSuchExport } from "artifact-manager/checkpoint";

async function main(): Promise<void> {
  mkdirSync("ts-data", { recursive: true });
  writeFileSync("ts-data/a.txt", "alpha");
  const logged = await new FileSystemArtifactManager({ url: "memory://cjs-ts" }).logFiles("m", "ts-data");
  const tensor = new Tensor({ dtype: "int32", shape: [1], data: new Int32Array([1]) });
  console.log(JSON.stringify({ version: logged.version, isTensor: isTensor(tensor), typed: !isArtifactError(tensor) }));
}
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
`;

let work: string;
let tarball: string;
let packedFiles: string[];
let esm: string;
let cjs: string;
let emulator: WandbEmulator;

beforeAll(async () => {
  try {
    execFileSync("npm", ["--version"], { stdio: "pipe", env: cleanEnv() });
  } catch (cause) {
    throw new Error(
      "npm is not on PATH: this test packs the package with `npm pack` and installs it with `npm install`; install npm (it comes with Node.js)",
      { cause },
    );
  }
  await ensureBuilt();
  emulator = await startWandbEmulator();
  work = await mkdtemp(join(tmpdir(), "artifact-manager-pack-"));
  const [packed] = JSON.parse(
    await npm(["pack", "--json", "--ignore-scripts", "--pack-destination", work], ROOT),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  if (packed === undefined) throw new Error("npm pack --json printed no package");
  tarball = join(work, packed.filename);
  packedFiles = packed.files.map((file) => file.path);
  esm = join(work, "esm");
  cjs = join(work, "cjs");
  // The runtime dependencies as tarballs (what a registry install would fetch), at the locked versions.
  const dependencyTarballs: string[] = [];
  for (const name of Object.keys(PKG.dependencies ?? {})) {
    const [dep] = JSON.parse(
      await npm(
        ["pack", "--json", "--ignore-scripts", "--pack-destination", work, join(ROOT, "node_modules", name)],
        ROOT,
      ),
    ) as Array<{ filename: string }>;
    if (dep === undefined) throw new Error(`npm pack of the dependency ${name} printed nothing`);
    dependencyTarballs.push(join(work, dep.filename));
  }
  await Promise.all(
    [
      [esm, "module"],
      [cjs, "commonjs"],
    ].map(async ([dir, type]) => {
      await mkdir(dir as string);
      await writeFile(
        join(dir as string, "package.json"),
        JSON.stringify({ name: `pack-test-${type}`, version: "1.0.0", private: true, type }),
      );
      // --omit=optional: @node-rs/crc32 (a faster crc32c, with a fallback) would need its registry metadata,
      // which `npm ci` does not cache; so would the runtime dependencies: they are packed from this
      // checkout's node_modules and installed beside the tarball, so that the install needs nothing but
      // local tarballs, and an empty cache of our own keeps the test the same on every machine.
      const cache = join(work, `npm-cache-${type}`);
      await npm(
        [
          "install",
          "--offline",
          "--omit=optional",
          "--cache",
          cache,
          "--no-audit",
          "--no-fund",
          tarball,
          ...dependencyTarballs,
        ],
        dir as string,
      );
    }),
  );
}, 120_000);

afterAll(async () => {
  await emulator?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe("npm pack", () => {
  it("ships LICENSE (MIT) and no source map pointing at an unshipped file", async () => {
    expect(packedFiles).toContain("LICENSE");
    expect(await readFile(join(ROOT, "LICENSE"), "utf8")).toMatch(
      /^MIT License\n\nCopyright \(c\) 2026 artifact-manager contributors/,
    );
    for (const map of packedFiles.filter((path) => path.endsWith(".map"))) {
      const { sources } = JSON.parse(await readFile(join(ROOT, map), "utf8")) as { sources: string[] };
      for (const source of sources) expect(packedFiles).toContain(join(dirname(map), source));
    }
    for (const js of packedFiles.filter((path) => path.endsWith(".js"))) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(await readFile(join(ROOT, js), "utf8"))?.[1];
      if (url !== undefined) expect(packedFiles, `${js}'s map`).toContain(join(dirname(js), url));
    }
  });

  it("has no cloud SDK among its dependencies: they are optional peers, pinned as dev dependencies", () => {
    // Two small dependencies without dependencies of their own: XXH128 digests (W&B) and SigV4 signing (S3).
    expect(Object.keys(PKG.dependencies ?? {}).sort()).toEqual(["aws4", "hash-wasm"]);
    for (const sdk of SDKS) {
      expect(PKG.devDependencies[sdk], sdk).toBe(CLOUD_SDK_VERSIONS[sdk]);
      expect(PKG.peerDependencies[sdk], sdk).toBe(`^${CLOUD_SDK_VERSIONS[sdk]}`);
      expect(PKG.peerDependenciesMeta[sdk]?.optional, sdk).toBe(true);
    }
  });

  it("installs without any cloud SDK (a few packages, about 10 MB)", async () => {
    const modules = join(esm, "node_modules");
    for (const sdk of SDKS) expect(existsSync(join(modules, sdk)), sdk).toBe(false);
    const listed = JSON.parse(await npm(["ls", "--all", "--json"], esm)) as {
      dependencies: Record<string, { dependencies?: Record<string, unknown> }>;
    };
    // The package and its runtime dependencies (installed beside it here, from their tarballs), nothing else.
    expect(Object.keys(listed.dependencies).sort()).toEqual(
      ["artifact-manager", ...Object.keys(PKG.dependencies ?? {})].sort(),
    );
    const size = Number(execFileSync("du", ["-sk", modules], { encoding: "utf8" }).split("\t")[0]) * 1024;
    expect(size).toBeLessThan(15 * 2 ** 20);
  });
});

describe("the installed library without the cloud SDKs", () => {
  it("works from ESM on local, memory://, W&B and checkpoints; s3://, gs://, az:// say what to install", async () => {
    await writeFile(join(esm, "use.mjs"), ESM_SCRIPT);
    const out = await node(esm, "use.mjs", { EMU_URL: emulator.url, EMU_KEY: emulator.apiKey });
    expect(out.resolvableSdks).toEqual([]);
    expect(out).toMatchObject({
      local: "v0",
      localBack: "alpha",
      memory: "v0",
      checkpoint: [1, 2],
      wandb: "v0",
      wandbBack: "alpha",
    });
    const cloud = out.cloud as Record<
      string,
      { typed: boolean; code: string; message: string; context: object }
    >;
    expect(cloud["s3://bucket/prefix"]).toMatchObject({
      typed: true,
      code: "UNSUPPORTED",
      context: { backend: "s3", package: "@aws-sdk/client-s3", install: S3_INSTALL },
    });
    expect(cloud["s3://bucket/prefix"]?.message).toContain(`install it with: ${S3_INSTALL}`);
    expect(cloud["gs://bucket/prefix"]).toMatchObject({
      code: "UNSUPPORTED",
      context: { install: "npm i @google-cloud/storage@7.22.0" },
    });
    expect(cloud["az://container/prefix"]).toMatchObject({
      code: "UNSUPPORTED",
      context: { install: "npm i @azure/storage-blob@12.32.0" },
    });
  });

  it("works from CommonJS require() (Node >= 20.19 loads the ES modules: no top-level await in the graph)", async () => {
    const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
    expect(
      major > 20 || (major === 20 && minor >= 19),
      `Node ${process.versions.node} cannot require ESM`,
    ).toBe(true);
    await writeFile(join(cjs, "use.js"), CJS_SCRIPT);
    expect(await node(cjs, "use.js")).toEqual({
      version: "v0",
      checkpoint: [7],
      sameErrorClass: true,
      loadCheckpoint: "function",
    });
  });

  it("type-checks and runs from a CommonJS TypeScript project (module nodenext, and node10 through typesVersions)", async () => {
    await writeFile(join(cjs, "typed.ts"), CJS_TS);
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const configs = [
      ["tsconfig.nodenext.json", "nodenext"],
      ["tsconfig.node10.json", "commonjs"],
    ] as const;
    const compile = async ([config, module]: (typeof configs)[number]) => {
      const compilerOptions = {
        module,
        moduleResolution: module === "nodenext" ? "nodenext" : "node10",
        target: "es2022",
        strict: true,
        skipLibCheck: true,
        typeRoots: [join(ROOT, "node_modules/@types")],
        types: ["node"],
        ...(module === "nodenext" ? {} : { noEmit: true }),
      };
      await writeFile(join(cjs, config), JSON.stringify({ compilerOptions, files: ["typed.ts"] }));
      await run(process.execPath, [tsc, "-p", config], { cwd: cjs }).catch((error: { stdout: string }) => {
        throw new Error(`tsc -p ${config} failed in ${cjs}:\n${error.stdout}`);
      });
    };
    await Promise.all(configs.map(compile));
    expect(await node(cjs, "typed.js")).toEqual({ version: "v0", isTensor: true, typed: true });
  });

  it("artifact-manager/checkpoint loads the checkpoint code alone: no manager, driver or storage module", () => {
    const dist = join(esm, "node_modules/artifact-manager/dist");
    const graph = moduleGraph(join(dist, "checkpoint/index.js"), dist);
    expect(graph.filter((file) => !file.startsWith("checkpoint/"))).toEqual(["errors.js"]);
    // The main entry, for contrast, loads the managers (and, through them, no SDK: checked above).
    expect(moduleGraph(join(dist, "index.js"), dist).some((file) => file.startsWith("managers/"))).toBe(true);
  });
});

describe("the installed CLI without the cloud SDKs (they are bundled)", () => {
  it("prints its version, logs and lists a local store, and reaches the S3 SDK for s3://", async () => {
    expect((await cli(esm, ["--version"])).stdout.trim()).toBe(PKG.version);
    await mkdir(join(esm, "cli-data"), { recursive: true });
    await writeFile(join(esm, "cli-data/b.txt"), "beta");
    const logged = await cli(esm, ["log", "cli-data", "cli-model", "--store", "./cli-store", "--quiet"]);
    expect(logged.code, logged.stderr).toBe(0);
    const listed = await cli(esm, ["ls", "--store", "./cli-store", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain("default");
    // No credentials anywhere: the bundled SDK's credential chain answers, not a missing package.
    const s3 = await cli(esm, ["ls", "--store", "s3://bucket/prefix"]);
    expect(s3.code).not.toBe(0);
    expect(s3.stderr).toContain("[UNAUTHENTICATED]");
    expect(s3.stderr).not.toMatch(/npm i|Cannot find (package|module)/);
  });
});

describe("loadSdk", () => {
  it("maps only the named package's absence to UNSUPPORTED with the install line", async () => {
    const missing = (name: string) =>
      Object.assign(new Error(`Cannot find package '${name}' imported from /x.js`), {
        code: "ERR_MODULE_NOT_FOUND",
      });
    const error = await loadSdk("@azure/identity", () => Promise.reject(missing("@azure/identity"))).catch(
      (e) => e,
    );
    expect(isArtifactError(error, "UNSUPPORTED")).toBe(true);
    expect((error as Error).message).toContain("npm i @azure/identity@4.13.1");
    expect(sdkInstallCommand("@aws-sdk/lib-storage")).toBe(S3_INSTALL);
    // A dependency of an installed SDK missing is a broken install, not "install the SDK": unchanged.
    const other = missing("@smithy/core");
    await expect(loadSdk("@aws-sdk/client-s3", () => Promise.reject(other))).rejects.toBe(other);
    await expect(loadSdk("@aws-sdk/client-s3", () => Promise.resolve(42))).resolves.toBe(42);
  });
});
