/** The read and write rules on hand-made store states (memory driver): claims, records, legacy folders. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import type { StorageDriver } from "../../../src/storage/driver.js";
import { tempFolder } from "./helpers.js";

describe("store format v1 read and write rules", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let file: string;
  let driver: StorageDriver;
  let manager: FileSystemArtifactManager;
  beforeEach(async () => {
    dir = await tempFolder("am-rules-");
    file = join(dir.path, "f.txt");
    await writeFile(file, "content");
    driver = createMemoryDriver();
    manager = new FileSystemArtifactManager({ driver });
  });
  afterEach(() => dir.remove());

  it("a folder holding only an abandoned claim is not an artifact, and its number is never reused", async () => {
    await driver.write("default/ghost/meta/versions/v0.claim", "{}");
    await driver.write("default/ghost/v0/half.txt", "partial upload");
    expect(await manager.exists("ghost")).toBe(false);
    expect(await manager.existsInCollection("ghost")).toBe(false);
    expect(await manager.listArtifacts()).toEqual([]);
    expect(await manager.listVersions("ghost")).toEqual([]);
    expect((await manager.logFiles("ghost", file)).version).toBe("v1");
    expect(await manager.listVersions("ghost")).toEqual(["v1"]);
    expect(await manager.listArtifacts()).toEqual(["ghost"]);
  });

  it("mixes committed and legacy versions; latest is the largest visible number", async () => {
    expect((await manager.logFiles("mixed", file)).version).toBe("v0");
    await driver.write("default/mixed/v3/legacy.txt", "written by python");
    expect(await manager.listVersions("mixed")).toEqual(["v0", "v3"]);
    expect((await manager.getVersion("mixed")).legacy).toBe(true);
    expect((await manager.logFiles("mixed", file)).version).toBe("v4");
  });

  it("a record whose files were deleted stays visible and verify reports them missing", async () => {
    await manager.logFiles("lost", file);
    await driver.delete("default/lost/v0/f.txt");
    await driver.write("default/lost/v0/stray.txt", "x");
    expect(await manager.verify("lost")).toEqual({
      ok: false,
      missing: ["f.txt"],
      extra: ["stray.txt"],
      changed: [],
    });
    const to = join(dir.path, "out");
    const error = await manager.downloadArtifact("lost", { to }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "CHECKSUM_MISMATCH" });
  });

  it("gives N up when a Python writer creates v<N>/ between our claim and our rename", async () => {
    const racing: StorageDriver = Object.create(driver) as StorageDriver;
    let raced = false;
    Object.assign(racing, {
      renamePrefix: async (from: string, to: string) => {
        if (!raced) {
          raced = true;
          await driver.write(`${to}python.txt`, "python got here first");
        }
        return driver.renamePrefix?.(from, to);
      },
    });
    const racingManager = new FileSystemArtifactManager({ driver: racing });
    expect((await racingManager.logFiles("raced", file)).version).toBe("v1");
    // Our claim of v0 is removed, so Python's v0 is visible (as a legacy version) next to ours.
    expect(await racingManager.listVersions("raced")).toEqual(["v0", "v1"]);
    expect((await racingManager.getVersion("raced")).files.map((f) => f.path)).toEqual(["f.txt"]);
    const python = await racingManager.getVersion("raced", { version: "v0" });
    expect(python).toMatchObject({ legacy: true, files: [{ path: "python.txt" }] });
    expect(await driver.stat("default/raced/meta/versions/v0.claim")).toBeNull();
  });
});
