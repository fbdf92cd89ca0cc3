import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalDriver } from "../../src/drivers/local.js";
import { isArtifactError } from "../../src/errors.js";
import { backendOfUrl, createDriver } from "../../src/storage/create-driver.js";
import type { StorageDriver } from "../../src/storage/driver.js";
import { describeDriverConformance } from "../conformance/driver-conformance.js";

describeDriverConformance("local", async () => {
  const root = await mkdtemp(join(tmpdir(), "am-local-driver-"));
  return { driver: createLocalDriver({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
});

describe("local driver", () => {
  it("stores keys as plain files, leaves no temporary files and prunes empty folders on delete", async () => {
    const root = await mkdtemp(join(tmpdir(), "am-local-"));
    try {
      const driver = createLocalDriver({ root });
      await driver.write("c/a/v0/file.txt", "hello");
      await driver.write("c/a/meta/versions/v0.json", "{}", { ifNotExists: true });
      expect(await readFile(join(root, "c/a/v0/file.txt"), "utf8")).toBe("hello");
      expect(await readdir(join(root, "c/a/meta/versions"))).toEqual(["v0.json"]);
      expect(driver.localPath?.("c/a/v0/file.txt")).toBe(join(root, "c/a/v0/file.txt"));
      await driver.delete("c/a/v0/file.txt");
      expect(await readdir(join(root, "c/a"))).toEqual(["meta"]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("lists user files whose names merely look like its temporary files", async () => {
    const root = await mkdtemp(join(tmpdir(), "am-local-names-"));
    try {
      const driver = createLocalDriver({ root });
      await driver.write("a/.am-user-file", "mine");
      await driver.write("a/.am-tmp-notours.txt", "mine too");
      const keys = [];
      for await (const entry of driver.list("a/")) keys.push(entry.key);
      expect(keys).toEqual(["a/.am-tmp-notours.txt", "a/.am-user-file"]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("rejects keys that escape the root", async () => {
    const driver = createLocalDriver({ root: join(tmpdir(), "am-never-created") });
    for (const key of ["../x", "a/../../x", "/etc/passwd", "a//b", ""]) {
      const error = await driver.write(key, "x").catch((e: unknown) => e);
      expect(isArtifactError(error, "INVALID_ARGUMENT"), key).toBe(true);
    }
  });
});

describe("local renamePrefix onto an existing folder (a Python writer's v<N>/)", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "am-local-rename-"));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));
  const rename = (driver: StorageDriver, from: string, to: string) =>
    (driver.renamePrefix as NonNullable<StorageDriver["renamePrefix"]>)(from, to);
  const stage = async (driver: StorageDriver) => {
    await driver.write("a/meta/staging/s1/ours.txt", "ours");
    await driver.write("a/meta/staging/s1/sub/deep.txt", "deep");
  };
  const staged = () => readdir(join(root, "a/meta/staging/s1"));

  it("moves the staging folder into a new v<N>/ and removes the emptied staging folders", async () => {
    const driver = createLocalDriver({ root });
    await stage(driver);
    await rename(driver, "a/meta/staging/s1/", "a/v0/");
    expect(await readFile(join(root, "a/v0/sub/deep.txt"), "utf8")).toBe("deep");
    expect((await readdir(join(root, "a/v0"))).sort()).toEqual(["ours.txt", "sub"]);
    expect(await readdir(join(root, "a"))).toEqual(["v0"]);
  });

  it("an EMPTY existing v<N>/ is ALREADY_EXISTS: it stays empty and our staged files stay staged", async () => {
    const driver = createLocalDriver({ root });
    await stage(driver);
    await mkdir(join(root, "a/v0"));
    const error = await rename(driver, "a/meta/staging/s1/", "a/v0/").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ALREADY_EXISTS" });
    expect(await readdir(join(root, "a/v0"))).toEqual([]);
    expect((await staged()).sort()).toEqual(["ours.txt", "sub"]);
  });

  it("a non-empty existing v<N>/ is ALREADY_EXISTS and its files are untouched", async () => {
    const driver = createLocalDriver({ root });
    await stage(driver);
    await mkdir(join(root, "a/v0"));
    await writeFile(join(root, "a/v0/theirs.txt"), "theirs");
    const error = await rename(driver, "a/meta/staging/s1/", "a/v0/").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ALREADY_EXISTS" });
    expect(await readdir(join(root, "a/v0"))).toEqual(["theirs.txt"]);
    expect(await readFile(join(root, "a/v0/theirs.txt"), "utf8")).toBe("theirs");
    expect((await staged()).sort()).toEqual(["ours.txt", "sub"]);
  });

  it("files put into the folder it made, before its rename: ALREADY_EXISTS, their files and ours stay", async () => {
    const driver = createLocalDriver({
      root,
      // A Python writer that found our fresh empty v0/ (mkdirs exist_ok) and copied into it.
      hooks: { beforeRename: (target) => writeFile(join(target, "theirs.txt"), "theirs") },
    });
    await stage(driver);
    const error = await rename(driver, "a/meta/staging/s1/", "a/v0/").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ALREADY_EXISTS" });
    expect(await readdir(join(root, "a/v0"))).toEqual(["theirs.txt"]);
    expect((await staged()).sort()).toEqual(["ours.txt", "sub"]);
  });

  it("a source removed after the target folder was made: NOT_FOUND, and the empty v<N>/ it made is gone", async () => {
    const driver = createLocalDriver({
      root,
      // gc removing the staging folder just then.
      hooks: { beforeRename: () => rm(join(root, "a/meta/staging/s1"), { recursive: true }) },
    });
    await stage(driver);
    await driver.write("a/meta/readme.txt", "x");
    const error = await rename(driver, "a/meta/staging/s1/", "a/v0/").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "NOT_FOUND" });
    expect(await readdir(join(root, "a"))).toEqual(["meta"]);
  });

  it("a missing source is NOT_FOUND and leaves no empty v<N>/ behind (Python would list it)", async () => {
    const driver = createLocalDriver({ root });
    await driver.write("a/meta/readme.txt", "x");
    const error = await rename(driver, "a/meta/staging/gone/", "a/v0/").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "NOT_FOUND" });
    expect(await readdir(join(root, "a"))).toEqual(["meta"]);
  });
});

describe("createDriver", () => {
  it("maps URLs to backends", async () => {
    expect(backendOfUrl("./artifacts")).toBe("local");
    expect(backendOfUrl("/abs/path")).toBe("local");
    expect(backendOfUrl("file:///tmp/x")).toBe("local");
    expect(backendOfUrl("memory://x")).toBe("memory");
    expect(backendOfUrl("s3://bucket/p")).toBe("s3");
    expect(backendOfUrl("gs://bucket/p")).toBe("gcs");
    expect(backendOfUrl("az://container/p")).toBe("azure");
    expect(backendOfUrl("https://acct.blob.core.windows.net/c/p")).toBe("azure");
    for (const url of ["", "ftp://x/y", "https://example.com/x"]) {
      const error = (() => {
        try {
          backendOfUrl(url);
        } catch (e) {
          return e;
        }
      })();
      expect(isArtifactError(error), url).toBe(true);
    }
  });

  it("creates a local driver from a file:// URL", async () => {
    const root = await mkdtemp(join(tmpdir(), "am-file-url-"));
    try {
      const driver = await createDriver(pathToFileURL(root).href);
      await driver.write("x.txt", "y");
      expect(await readFile(join(root, "x.txt"), "utf8")).toBe("y");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe("local driver copy", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "am-local-copy-"));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("a source rewritten while it is copied: CONFLICT, the target is not created and no temporary file stays", async () => {
    let armed = false;
    const driver = createLocalDriver({
      root,
      // Another writer replacing the source between the copy's first look at it and its copy of the bytes.
      hooks: {
        afterMkdir: async () => {
          if (armed) await writeFile(join(root, "a/src.bin"), "changed, and longer");
        },
      },
    });
    await driver.write("a/src.bin", "original");
    armed = true;
    const error = await driver.copy?.("a/src.bin", "b/dst.bin").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "CONFLICT" });
    expect(await driver.stat("b/dst.bin")).toBeNull();
    expect(await readdir(join(root, "b")).catch(() => [])).toEqual([]);
  });

  it("a source that changed since it was read (ifSourceMatch): CONFLICT before any byte is copied", async () => {
    const driver = createLocalDriver({ root });
    const etag = (await driver.write("a/src.bin", "original")).etag ?? "";
    await writeFile(join(root, "a/src.bin"), "rewritten");
    const error = await driver
      .copy?.("a/src.bin", "b/dst.bin", { ifSourceMatch: etag })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "CONFLICT" });
    expect(await driver.stat("b/dst.bin")).toBeNull();
  });
});
