/**
 * Downloads respect the target folder (issue 17, item 7): an existing `to` is filled in place (its
 * inode, mode and owner stay; an empty mount point works), and staging folders of killed downloads are
 * removed by the next download into the same target, never those of live ones.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalDriver } from "../../src/drivers/local.js";
import { isArtifactError } from "../../src/errors.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { STALE_STAGING_AGE_MS, stagingHostId } from "../../src/storage/download-staging.js";
import type { StorageDriver } from "../../src/storage/driver.js";
import { tempFolder } from "./filesystem/helpers.js";
import { startFixture } from "./wandb/fixtures.js";

const run = promisify(execFile);
const WORKER = fileURLToPath(new URL("../fixtures/download/download-worker.ts", import.meta.url));
const FILES = { "a.txt": "a", "nested/b.txt": "b", "nested/c.txt": "c", "z.txt": "z" };

let dir: { path: string; remove: () => Promise<void> };
let store: string;
beforeEach(async () => {
  dir = await tempFolder("am-download-staging-");
  store = join(dir.path, "store");
  await new FileSystemArtifactManager({ url: store }).logFiles("art", await source(dir.path));
});
afterEach(() => dir.remove());

/** A folder holding {@link FILES}. */
async function source(parent: string): Promise<string> {
  const src = join(parent, `src-${randomBytes(4).toString("hex")}`);
  for (const [path, content] of Object.entries(FILES)) {
    await mkdir(join(src, dirname(path)), { recursive: true });
    await writeFile(join(src, path), content);
  }
  return src;
}

/** An empty folder with mode 0700 (chmod: the umask does not apply) and its inode. */
async function privateFolder(path: string): Promise<number> {
  await mkdir(path, { mode: 0o700 });
  return (await stat(path)).ino;
}

/** Asserts `to` is the same 0700 folder, holds every file and no staging folder (inside or beside). */
async function expectKeptAndFilled(to: string, ino: number): Promise<void> {
  const info = await stat(to);
  expect(info.ino).toBe(ino);
  expect(info.mode & 0o777).toBe(0o700);
  for (const [path, content] of Object.entries(FILES))
    expect(await readFile(join(to, path), "utf8")).toBe(content);
  expect(await stagingFolders(to)).toEqual([]);
}

/** The staging folders of downloads into `to`: inside it and beside it. */
async function stagingFolders(to: string): Promise<string[]> {
  const beside = (await readdir(dirname(to))).filter((n) =>
    n.startsWith(`.${basename(to)}.artifact-download-`),
  );
  const inside = (await readdir(to).catch(() => [])).filter((n) => n.startsWith(".artifact-download-"));
  return [...beside.map((n) => join(dirname(to), n)), ...inside.map((n) => join(to, n))];
}

describe("an existing target folder is filled in place", () => {
  it.each(["local store", "memory://"])(
    "%s: an empty 0700 folder keeps its inode and mode",
    async (label) => {
      const url = label === "memory://" ? `memory://staging-${randomBytes(4).toString("hex")}` : store;
      const manager = new FileSystemArtifactManager({ url });
      if (label === "memory://") await manager.logFiles("art", await source(dir.path));
      const to = join(dir.path, "private");
      const ino = await privateFolder(to);
      await manager.downloadArtifact("art", { to });
      await expectKeptAndFilled(to, ino);
    },
  );

  it("the temporary form keeps its private (0700) folder", async () => {
    const manager = new FileSystemArtifactManager({ url: store });
    await using tmp = await manager.downloadArtifact("art");
    expect((await stat(tmp.path)).mode & 0o777).toBe(0o700);
    expect(await readFile(join(tmp.path, "nested", "b.txt"), "utf8")).toBe("b");
  });

  it("W&B: an empty 0700 folder keeps its inode and mode", async () => {
    const fx = await startFixture();
    try {
      const manager = fx.manager({ project: "staging" });
      await manager.logFiles("art", await source(fx.dir));
      const to = join(dir.path, "private");
      const ino = await privateFolder(to);
      await manager.downloadArtifact("art", { to });
      await expectKeptAndFilled(to, ino);
    } finally {
      await fx.close();
    }
  });

  it("a symbolic link to a missing folder is INVALID_ARGUMENT before anything is downloaded", async () => {
    const to = join(dir.path, "dangling");
    await symlink(join(dir.path, "nowhere"), to);
    const error = await new FileSystemArtifactManager({ url: store })
      .downloadArtifact("art", { to })
      .catch((e: unknown) => e);
    expect(isArtifactError(error, "INVALID_ARGUMENT")).toBe(true);
    expect((await readdir(dir.path)).filter((n) => !n.startsWith("src-")).sort()).toEqual([
      "dangling",
      "store",
    ]);
  });

  it("an empty mount point (a fresh tmpfs, in a private mount namespace) is filled, staging on it", async () => {
    const to = join(dir.path, "volume");
    await mkdir(to);
    // `unshare -rm`: a user + mount namespace, so the tmpfs exists only for the worker (no root needed
    // where user namespaces are allowed). Renaming onto a mount point is EBUSY: the old code failed here.
    const script = 'mount -t tmpfs -o size=16m,mode=0700 tmpfs "$0" && exec "$@"';
    const args = ["-rm", "sh", "-c", script, to, process.execPath, "--import", "tsx", WORKER];
    const { stdout } = await run("unshare", [...args, "download", store, "art", to]).catch(
      (error: unknown) => {
        throw new Error(`this test needs util-linux's unshare and mount (user namespaces): ${String(error)}`);
      },
    );
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ stagedInside: true, after: result.before });
    expect(result.before).toMatchObject({ mode: 0o700 });
    expect(result.files).toEqual(["a.txt", "nested", "nested/b.txt", "nested/c.txt", "z.txt"]);
  }, 60_000);
});

/** A worker process downloading `art` into `to`. */
function startWorker(mode: "hang" | "download", to: string) {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER, mode, store, "art", to], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const hung = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", () => {
      if (stdout.includes("HANG\n")) resolve();
    });
    exited.then(() => reject(new Error(`worker exited before HANG: ${stdout} ${stderr}`)));
  });
  return { child: child as ChildProcess, hung, exited };
}

describe("staging folders of killed downloads", () => {
  it.each([
    ["missing (staged beside it)", false],
    ["existing (staged inside it)", true],
  ])(
    "target %s: kept while the writer lives, removed by the next download after kill -9",
    async (_label, exists) => {
      const to = join(dir.path, "target");
      if (exists) await mkdir(to);
      const manager = new FileSystemArtifactManager({ url: store });
      const worker = startWorker("hang", to);
      try {
        await worker.hung;
        const staged = await stagingFolders(to);
        expect(staged).toHaveLength(1);
        // A concurrent download while the writer lives: both folders are left alone.
        await manager.downloadArtifact("art", { to });
        expect(await stagingFolders(to)).toEqual(staged);
        worker.child.kill("SIGKILL");
        await worker.exited;
        expect(await stagingFolders(to)).toEqual(staged); // kill -9 leaves it behind…
        await manager.downloadArtifact("art", { to }); // …and the next download into `to` removes it
        expect(await stagingFolders(to)).toEqual([]);
        expect(await readFile(join(to, "nested", "c.txt"), "utf8")).toBe("c");
      } finally {
        worker.child.kill("SIGKILL");
        await worker.exited;
      }
    },
    60_000,
  );

  it("removes a dead writer's folder of this host at once, others only after the age limit", async () => {
    const to = join(dir.path, "target");
    await mkdir(to);
    const deadPid = await pidOfFinishedProcess();
    const me = stagingHostId();
    const other = me === "0123456789ab" ? "ba9876543210" : "0123456789ab";
    const old = new Date(Date.now() - STALE_STAGING_AGE_MS - 60_000);
    const folders = {
      deadHere: {
        path: join(to, `.artifact-download-${me}-${deadPid}-aaaaaaaaaaaa`),
        age: null,
        removed: true,
      },
      thisProcess: {
        path: join(to, `.artifact-download-${me}-${process.pid}-bbbbbbbbbbbb`),
        age: old,
        removed: false,
      },
      otherHostYoung: {
        path: join(to, `.artifact-download-${other}-${deadPid}-cccccccccccc`),
        age: null,
        removed: false,
      },
      otherHostOld: {
        path: join(to, `.artifact-download-${other}-${deadPid}-dddddddddddd`),
        age: old,
        removed: true,
      },
      legacyOld: { path: join(to, ".artifact-download-eeeeeeeeeeee"), age: old, removed: true },
      legacyYoung: { path: join(to, ".artifact-download-ffffffffffff"), age: null, removed: false },
      besideOld: {
        path: join(dir.path, `.target.artifact-download-${other}-1-abcabcabcabc`),
        age: old,
        removed: true,
      },
      notOurs: { path: join(to, ".artifact-download-notes"), age: old, removed: false },
    };
    for (const { path, age } of Object.values(folders)) {
      await mkdir(join(path, "sub"), { recursive: true });
      await writeFile(join(path, "sub", "part.bin"), "x");
      if (age)
        for (const p of [join(path, "sub", "part.bin"), join(path, "sub"), path]) await utimes(p, age, age);
    }
    // Old folder, but a file inside changed recently: its writer may be alive elsewhere.
    const oldWithFreshFile = join(to, `.artifact-download-${other}-7-123412341234`);
    await mkdir(oldWithFreshFile);
    await writeFile(join(oldWithFreshFile, "recent.bin"), "x");
    await utimes(oldWithFreshFile, old, old);

    await new FileSystemArtifactManager({ url: store }).downloadArtifact("art", { to });
    for (const [label, { path, removed }] of Object.entries(folders)) {
      const exists = await stat(path).then(
        () => true,
        () => false,
      );
      expect({ label, exists }).toEqual({ label, exists: !removed });
    }
    expect(await stat(oldWithFreshFile)).toBeTruthy();
  });
});

/** The pid of a process that has exited and been reaped. */
async function pidOfFinishedProcess(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.on("close", resolve));
  expect(child.pid).toBeGreaterThan(0);
  return child.pid as number;
}

/** A local driver (no `localPath`: bytes go through `read`) whose read of `nested/b.txt` waits for `gate`. */
function gatedDriver(root: string, gate: { reached: () => void; release: Promise<void> }): StorageDriver {
  const base = createLocalDriver({ root });
  return {
    backend: base.backend,
    url: base.url,
    capabilities: base.capabilities,
    stat: (key, options) => base.stat(key, options),
    read: async (key, options) => {
      if (key.endsWith("/nested/b.txt")) {
        gate.reached();
        await gate.release;
      }
      return base.read(key, options);
    },
    write: (key, body, options) => base.write(key, body, options),
    list: (prefix, options) => base.list(prefix, options),
    delete: (key, options) => base.delete(key, options),
  };
}

describe("two downloads into the same target at once", () => {
  it.each([
    ["missing", false],
    ["existing", true],
  ])(
    "target %s: both succeed; the first one's staging folder survives the second",
    async (_label, exists) => {
      const to = join(dir.path, "shared", "target");
      if (exists) await mkdir(to, { recursive: true });
      let reached = () => {};
      let release = () => {};
      const atGate = new Promise<void>((resolve) => {
        reached = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const gate = { reached: () => reached(), release: released };
      const held = new FileSystemArtifactManager({
        url: store,
        driver: gatedDriver(store, gate),
        concurrency: 1,
      });
      const first = held.downloadArtifact("art", { to });
      await atGate;
      const staged = await stagingFolders(to);
      expect(staged).toHaveLength(1);
      await new FileSystemArtifactManager({ url: store }).downloadArtifact("art", { to });
      expect(await stagingFolders(to)).toEqual(staged);
      release();
      await expect(first).resolves.toMatchObject({ version: "v0" });
      for (const [path, content] of Object.entries(FILES))
        expect(await readFile(join(to, path), "utf8")).toBe(content);
      expect(await stagingFolders(to)).toEqual([]);
    },
  );
});
