/**
 * The reusable ArtifactManager suite: a port of Python scaffold's own tests for its artifact managers
 * (log file → v0, v1 with description; exists / existsInCollection; download v0 and v1; logFolder then
 * download; temporary download) plus aliases, verify and bad input. It uses only the public
 * ArtifactManager API, so every backend (local, memory, s3, gs, az, W&B) runs the same tests; store-
 * specific checks come in through optional hooks. Each test uses its own random collection.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isArtifactError } from "../../src/errors.js";
import type { ArtifactManager } from "../../src/managers/artifact-manager.js";

/** What a manager suite setup returns. */
export interface ManagerFixture {
  manager: ArtifactManager;
  cleanup: () => Promise<void>;
}

/** Where a test's artifact lives (for hooks). */
export interface ArtifactLocation {
  manager: ArtifactManager;
  collection: string;
  name: string;
  version: string;
  /** Path of a file inside the version. */
  path: string;
}

/** Backend differences and store-specific hooks. */
export interface ManagerSuiteOptions {
  /** The backend supports setAlias / removeAlias / listAliases. @default true */
  aliases?: boolean;
  /** getVersion returns `metadata` as logged. @default true */
  metadata?: boolean;
  /** getVersion lists a hex `sha256` per file. @default true */
  sha256?: boolean;
  /** Replaces a stored file's content (same size); enables the CHECKSUM_MISMATCH and verify cases. */
  corruptFile?: (location: ArtifactLocation) => Promise<void>;
  /** Reads the description the store keeps for the latest log (scaffold: `meta/readme.txt`). */
  readDescription?: (location: Omit<ArtifactLocation, "version" | "path">) => Promise<string | undefined>;
  /** Test timeout in ms for remote backends. @default 60_000 */
  timeout?: number;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isArtifactError(error), `expected ArtifactError ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

/** Registers the manager suite for one backend. */
export function describeManagerSuite(
  name: string,
  setup: () => Promise<ManagerFixture>,
  options: ManagerSuiteOptions = {},
): void {
  describe(`artifact manager suite: ${name}`, () => {
    let fixture: ManagerFixture | undefined;
    let local = "";
    beforeAll(async () => {
      fixture = await setup();
      local = await mkdtemp(join(tmpdir(), "am-suite-"));
    });
    afterAll(async () => {
      await fixture?.cleanup();
      if (local) await rm(local, { recursive: true, force: true });
    });
    const ctx: SuiteContext = {
      manager: () => {
        if (!fixture) throw new Error("manager setup failed");
        return fixture.manager;
      },
      local: () => local,
      collection: () => `c-${randomBytes(4).toString("hex")}`,
      file: async (relative, content) => {
        const path = join(local, randomBytes(4).toString("hex"), relative);
        await mkdir(join(path, ".."), { recursive: true });
        await writeFile(path, content);
        return path;
      },
      options,
    };
    registerScaffoldPort(ctx);
    registerFolderAndDownload(ctx);
    registerRecords(ctx);
    if (options.aliases ?? true) registerAliases(ctx);
    registerIntegrity(ctx);
    registerBadInput(ctx);
  });
}

interface SuiteContext {
  manager: () => ArtifactManager;
  local: () => string;
  collection: () => string;
  /** Writes a local file under a fresh folder and returns its path. */
  file: (relative: string, content: string | Uint8Array) => Promise<string>;
  options: ManagerSuiteOptions;
}

function registerScaffoldPort(s: SuiteContext): void {
  const timeout = s.options.timeout ?? 60_000;
  it(
    "logs a file as v0, then v1 with a description (scaffold test_log_files)",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      const path = await s.file("file.txt", "first");
      expect(await m.logFiles("my_artifact", path, { collection })).toEqual({
        name: "my_artifact",
        collection,
        version: "v0",
      });
      const second = await s.file("file.txt", "second");
      const v1 = await m.logFiles("my_artifact", second, { collection, description: "the second one" });
      expect(v1.version).toBe("v1");
      expect(await m.listVersions("my_artifact", { collection })).toEqual(["v0", "v1"]);
      expect((await m.getVersion("my_artifact", { collection, version: "v1" })).description).toBe(
        "the second one",
      );
      if (s.options.readDescription) {
        expect(await s.options.readDescription({ manager: m, collection, name: "my_artifact" })).toBe(
          "the second one",
        );
      }
    },
    timeout,
  );

  it(
    "exists and existsInCollection (scaffold test_exists)",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      const other = s.collection();
      const name = `exists_${randomBytes(3).toString("hex")}`;
      expect(await m.exists(name)).toBe(false);
      expect(await m.existsInCollection(name, collection)).toBe(false);
      await m.logFiles(name, await s.file("a.txt", "a"), { collection });
      expect(await m.exists(name)).toBe(true);
      expect(await m.existsInCollection(name, collection)).toBe(true);
      expect(await m.existsInCollection(name, other)).toBe(false);
      expect(await m.listArtifacts(collection)).toContain(name);
      expect(await m.listCollectionNames()).toContain(collection);
    },
    timeout,
  );

  it(
    "downloads v0 and v1 by number, name and latest (scaffold test_download_artifact)",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      await m.logFiles("dl", await s.file("file.txt", "zero"), { collection });
      await m.logFiles("dl", await s.file("file.txt", "one"), { collection });
      for (const [version, content] of [
        ["v0", "zero"],
        [0, "zero"],
        ["v1", "one"],
        [1, "one"],
        ["latest", "one"],
        [undefined, "one"],
      ] as const) {
        const to = join(s.local(), `dl-${randomBytes(4).toString("hex")}`);
        const got = await m.downloadArtifact("dl", {
          collection,
          to,
          ...(version === undefined ? {} : { version }),
        });
        expect(got.version).toBe(content === "zero" ? "v0" : "v1");
        expect(await readFile(join(to, "file.txt"), "utf8")).toBe(content);
      }
    },
    timeout,
  );

  it(
    "downloads into a temporary folder that is removed on dispose (scaffold test_download_tmp)",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      await m.logFiles("tmp_dl", await s.file("file.txt", "temporary"), { collection });
      let path = "";
      {
        await using tmp = await m.downloadArtifact("tmp_dl", { collection });
        path = tmp.path;
        expect(tmp.artifact.version).toBe("v0");
        expect(await readFile(join(tmp.path, "file.txt"), "utf8")).toBe("temporary");
      }
      await expect(stat(path)).rejects.toThrow();
      const tmp = await m.downloadArtifact("tmp_dl", { collection, version: "v0" });
      await tmp.cleanup();
      await tmp.cleanup();
      await expect(stat(tmp.path)).rejects.toThrow();
    },
    timeout,
  );
}

function registerFolderAndDownload(s: SuiteContext): void {
  const timeout = s.options.timeout ?? 60_000;
  it(
    "logFolder then download puts the folder's contents at the version root (scaffold test_log_folder)",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      const artifact = await m.logFolder(
        "folder_art",
        async (dir) => {
          await writeFile(join(dir, "example.txt"), "Example content");
          await mkdir(join(dir, "sub", "deeper"), { recursive: true });
          await writeFile(join(dir, "sub", "deeper", "x.bin"), randomBytes(2000));
        },
        { collection, description: "folder" },
      );
      expect(artifact).toEqual({ name: "folder_art", collection, version: "v0" });
      const to = join(s.local(), `folder-${randomBytes(4).toString("hex")}`);
      await m.downloadArtifact("folder_art", { collection, to });
      expect(await readFile(join(to, "example.txt"), "utf8")).toBe("Example content");
      expect((await stat(join(to, "sub", "deeper", "x.bin"))).size).toBe(2000);
      const record = await m.getVersion("folder_art", { collection });
      expect(record.files.map((f) => f.path)).toEqual(["example.txt", "sub/deeper/x.bin"]);
    },
    timeout,
  );

  it(
    "logFolder with nothing written logs nothing and returns null; a callback error reaches the caller",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      expect(await m.logFolder("nothing", async () => {}, { collection })).toBeNull();
      const failure = new Error("callback failed");
      await expect(
        m.logFolder(
          "nothing",
          async (dir) => {
            await writeFile(join(dir, "half.txt"), "x");
            throw failure;
          },
          { collection },
        ),
      ).rejects.toBe(failure);
      expect(await m.existsInCollection("nothing", collection)).toBe(false);
    },
    timeout,
  );

  it(
    "openFolderLog logs only on commit and removes its folder",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      let kept = "";
      {
        await using log = await m.openFolderLog("disposable");
        kept = log.path;
        await writeFile(join(log.path, "never.txt"), "not committed");
      }
      await expect(stat(kept)).rejects.toThrow();
      expect(await m.existsInCollection("disposable", collection)).toBe(false);
      await using log = await m.openFolderLog("disposable");
      await writeFile(join(log.path, "yes.txt"), "committed");
      expect((await log.commit({ collection }))?.version).toBe("v0");
      await expectCode(log.commit({ collection }), "INVALID_ARGUMENT");
    },
    timeout,
  );

  it(
    "logs a single file at a nested artifactPath",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      await m.logFiles("nested", await s.file("local-name.txt", "nested"), {
        collection,
        artifactPath: "a/b/c.txt",
      });
      const to = join(s.local(), `nested-${randomBytes(4).toString("hex")}`);
      await m.downloadArtifact("nested", { collection, to });
      expect(await readFile(join(to, "a", "b", "c.txt"), "utf8")).toBe("nested");
    },
    timeout,
  );

  it(
    "downloading into a folder with files overwrites same-named files and keeps the others",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      await m.logFiles("overwrite", await s.file("same.txt", "from store"), { collection });
      const to = join(s.local(), `ow-${randomBytes(4).toString("hex")}`);
      await mkdir(to, { recursive: true });
      await writeFile(join(to, "same.txt"), "old local");
      await writeFile(join(to, "other.txt"), "keep me");
      await m.downloadArtifact("overwrite", { collection, to });
      expect(await readFile(join(to, "same.txt"), "utf8")).toBe("from store");
      expect(await readFile(join(to, "other.txt"), "utf8")).toBe("keep me");
    },
    timeout,
  );
}

function registerRecords(s: SuiteContext): void {
  const timeout = s.options.timeout ?? 60_000;
  it(
    "getVersion returns the record: sorted files with sizes and digests, metadata, createdAt",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      const artifact = await m.logFolder(
        "recorded",
        async (dir) => {
          await writeFile(join(dir, "b.txt"), "bbb");
          await writeFile(join(dir, "a.txt"), "a");
        },
        { collection, metadata: { lr: 0.1, tags: ["x"] }, description: "rec" },
      );
      expect(artifact?.version).toBe("v0");
      const record = await m.getVersion("recorded", { collection, version: "latest" });
      expect(record.version).toBe("v0");
      expect(record.files.map((f) => [f.path, f.size])).toEqual([
        ["a.txt", 1],
        ["b.txt", 3],
      ]);
      if (s.options.sha256 ?? true) {
        expect(record.files[0]?.sha256).toBe(
          "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
        );
      }
      if (s.options.metadata ?? true) expect(record.metadata).toEqual({ lr: 0.1, tags: ["x"] });
      expect(Number.isNaN(Date.parse(record.createdAt ?? ""))).toBe(false);
    },
    timeout,
  );
}

function registerAliases(s: SuiteContext): void {
  const timeout = s.options.timeout ?? 60_000;
  it(
    "sets, moves, resolves, lists and removes aliases",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      await m.logFiles("aliased", await s.file("f.txt", "zero"), { collection });
      await m.logFiles("aliased", await s.file("f.txt", "one"), { collection });
      expect(await m.listAliases("aliased", { collection })).toEqual({});
      expect((await m.setAlias("aliased", "best", { collection, version: "v0" })).version).toBe("v0");
      expect(await m.listAliases("aliased", { collection })).toEqual({ best: "v0" });
      const to = join(s.local(), `alias-${randomBytes(4).toString("hex")}`);
      expect((await m.downloadArtifact("aliased", { collection, version: "best", to })).version).toBe("v0");
      expect(await readFile(join(to, "f.txt"), "utf8")).toBe("zero");
      await m.setAlias("aliased", "best", { collection });
      await m.setAlias("aliased", "production", { collection, version: 0 });
      expect(await m.listAliases("aliased", { collection })).toEqual({ best: "v1", production: "v0" });
      expect((await m.getVersion("aliased", { collection, version: "best" })).version).toBe("v1");
      await m.removeAlias("aliased", "best", { collection });
      expect(await m.listAliases("aliased", { collection })).toEqual({ production: "v0" });
      await expectCode(m.removeAlias("aliased", "best", { collection }), "NOT_FOUND");
      await expectCode(m.getVersion("aliased", { collection, version: "best" }), "NOT_FOUND");
      await expectCode(m.setAlias("aliased", "latest", { collection }), "INVALID_NAME");
      await expectCode(m.setAlias("aliased", "v3", { collection }), "INVALID_NAME");
      await expectCode(m.setAlias("aliased", "bad/alias", { collection }), "INVALID_NAME");
      await expectCode(m.setAlias("aliased", "gone", { collection, version: "v9" }), "NOT_FOUND");
    },
    timeout,
  );
}

function registerIntegrity(s: SuiteContext): void {
  const timeout = s.options.timeout ?? 60_000;
  it(
    "verify reports a clean version as ok",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      await m.logFiles("verified", await s.file("v.txt", "verify me"), { collection });
      expect(await m.verify("verified", { collection })).toEqual({
        ok: true,
        missing: [],
        extra: [],
        changed: [],
      });
    },
    timeout,
  );

  it.runIf(s.options.corruptFile !== undefined)(
    "a corrupted stored file: verify reports it, download fails with CHECKSUM_MISMATCH and writes nothing",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      await m.logFolder(
        "corrupt",
        async (dir) => {
          await writeFile(join(dir, "good.txt"), "good content");
          await writeFile(join(dir, "bad.txt"), "original content");
        },
        { collection },
      );
      await s.options.corruptFile?.({
        manager: m,
        collection,
        name: "corrupt",
        version: "v0",
        path: "bad.txt",
      });
      expect(await m.verify("corrupt", { collection })).toEqual({
        ok: false,
        missing: [],
        extra: [],
        changed: ["bad.txt"],
      });
      const to = join(s.local(), `corrupt-${randomBytes(4).toString("hex")}`);
      await mkdir(to);
      await writeFile(join(to, "bad.txt"), "local copy");
      await expectCode(m.downloadArtifact("corrupt", { collection, to }), "CHECKSUM_MISMATCH");
      expect(await readFile(join(to, "bad.txt"), "utf8")).toBe("local copy");
      await expect(stat(join(to, "good.txt"))).rejects.toThrow();
      const fresh = join(s.local(), `corrupt-fresh-${randomBytes(4).toString("hex")}`);
      await expectCode(m.downloadArtifact("corrupt", { collection, to: fresh }), "CHECKSUM_MISMATCH");
      await expect(stat(fresh)).rejects.toThrow();
      await expectCode(m.downloadArtifact("corrupt", { collection }), "CHECKSUM_MISMATCH");
    },
    timeout,
  );
}

function registerBadInput(s: SuiteContext): void {
  const timeout = s.options.timeout ?? 60_000;
  it(
    "rejects bad names with INVALID_NAME",
    async () => {
      const m = s.manager();
      const path = await s.file("x.txt", "x");
      for (const collection of ["a/b", "with space", "", "dots.not.allowed"]) {
        await expectCode(m.logFiles("ok", path, { collection }), "INVALID_NAME");
      }
      for (const name of ["", ".hidden", "a/b", "sp ace", "x".repeat(300)]) {
        await expectCode(m.logFiles(name, path, { collection: s.collection() }), "INVALID_NAME");
        await expectCode(m.downloadArtifact(name, { to: s.local() }), "INVALID_NAME");
      }
      expect(() => {
        m.activeCollection = "not/valid";
      }).toThrow(expect.objectContaining({ code: "INVALID_NAME" }));
    },
    timeout,
  );

  it(
    "rejects bad paths with INVALID_ARGUMENT / NOT_FOUND and writes nothing",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      const path = await s.file("x.txt", "x");
      for (const artifactPath of ["../x", "/abs/x", "", "a//b", "a/../../b"]) {
        await expectCode(m.logFiles("bad_path", path, { collection, artifactPath }), "INVALID_ARGUMENT");
      }
      await expectCode(
        m.logFiles("bad_path", join(s.local(), "does-not-exist"), { collection }),
        "NOT_FOUND",
      );
      const empty = join(s.local(), `empty-${randomBytes(4).toString("hex")}`);
      await mkdir(empty);
      await expectCode(m.logFiles("bad_path", empty, { collection }), "INVALID_ARGUMENT");
      const escaping = join(s.local(), `escape-${randomBytes(4).toString("hex")}`);
      await mkdir(escaping);
      await writeFile(join(escaping, "inside.txt"), "in");
      await symlink(path, join(escaping, "outside-link.txt"));
      await expectCode(m.logFiles("bad_path", escaping, { collection }), "INVALID_ARGUMENT");
      expect(await m.existsInCollection("bad_path", collection)).toBe(false);
      expect(await m.listArtifacts(collection)).toEqual([]);
    },
    timeout,
  );

  it(
    "missing artifacts, versions and aliases are NOT_FOUND; a download target that is a file is INVALID_ARGUMENT",
    async () => {
      const m = s.manager();
      const collection = s.collection();
      const to = join(s.local(), `nf-${randomBytes(4).toString("hex")}`);
      await expectCode(m.downloadArtifact("missing", { collection, to }), "NOT_FOUND");
      await expect(stat(to)).rejects.toThrow();
      await expectCode(m.getVersion("missing", { collection }), "NOT_FOUND");
      await m.logFiles("present", await s.file("p.txt", "p"), { collection });
      await expectCode(m.downloadArtifact("present", { collection, version: "v7", to }), "NOT_FOUND");
      await expectCode(m.downloadArtifact("present", { collection, version: 7, to }), "NOT_FOUND");
      if (s.options.aliases ?? true)
        await expectCode(m.downloadArtifact("present", { collection, version: "nope", to }), "NOT_FOUND");
      await expectCode(m.downloadArtifact("present", { collection, version: -1, to }), "INVALID_ARGUMENT");
      await expectCode(m.downloadArtifact("present", { collection, version: "v01", to }), "INVALID_ARGUMENT");
      const file = await s.file("i-am-a-file.txt", "file");
      await expectCode(m.downloadArtifact("present", { collection, to: file }), "INVALID_ARGUMENT");
      expect(await readFile(file, "utf8")).toBe("file");
      await expectCode(
        m.downloadArtifact("present", { collection, to: join(file, "below") }),
        "INVALID_ARGUMENT",
      );
    },
    timeout,
  );
}
