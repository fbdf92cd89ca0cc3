/** openArtifactFile: one file of a version as a stream, checked against the record as it passes. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { openArtifactFile } from "../../src/managers/open-artifact-file.js";
import { readAll } from "../../src/storage/body.js";

let dir: string;
let manager: FileSystemArtifactManager;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "open-file-"));
  await writeFile(join(dir, "a.txt"), "alpha\n");
  manager = new FileSystemArtifactManager({ url: `memory://open-file-${Date.now()}` });
  await manager.logFiles("art", join(dir, "a.txt"));
});

afterAll(async () => {
  await manager.close();
  await rm(dir, { recursive: true, force: true });
});

describe("openArtifactFile", () => {
  it("streams the file as recorded", async () => {
    const opened = await openArtifactFile(manager, "art", "a.txt");
    expect(opened).toMatchObject({ version: "v0", collection: "default", file: { path: "a.txt", size: 6 } });
    expect((await readAll(opened.stream)).toString()).toBe("alpha\n");
    expect(opened.verifiedBeforeStreaming).toBe(false);
  });

  it("fails the stream with CHECKSUM_MISMATCH when the stored bytes differ (same size), or are short", async () => {
    const driver = await manager.getDriver();
    for (const stored of ["alpha!", "alp"]) {
      await driver.write("default/art/v0/a.txt", stored);
      const opened = await openArtifactFile(manager, "art", "a.txt");
      await expect(readAll(opened.stream)).rejects.toMatchObject({ code: "CHECKSUM_MISMATCH" });
    }
    await driver.write("default/art/v0/a.txt", "alpha\n");
  });

  it("refuses an unsafe path and names the files for a missing one", async () => {
    await expect(openArtifactFile(manager, "art", "../x")).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(openArtifactFile(manager, "art", "b.txt")).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: expect.stringContaining("its files: a.txt"),
    });
  });
});
