import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { createLocalDriver } from "../../src/drivers/local.js";
import { isArtifactError } from "../../src/errors.js";
import { backendOfUrl, createDriver } from "../../src/storage/create-driver.js";
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
