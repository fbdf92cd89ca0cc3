/** logFiles / logFolder with `include` / `exclude` globs: only the chosen files of a folder are logged. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";

let dir: string;
let manager: FileSystemArtifactManager;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "include-exclude-"));
  for (const path of [
    "model.pt",
    "config.json",
    "scratch.tmp",
    "logs/run.txt",
    "weights/a.pt",
    "weights/old/b.pt",
  ]) {
    await mkdir(join(dir, "run", path, ".."), { recursive: true });
    await writeFile(join(dir, "run", path), path);
  }
  manager = new FileSystemArtifactManager({ url: join(dir, "store") });
});

afterAll(async () => {
  await manager.close();
  await rm(dir, { recursive: true, force: true });
});

const pathsOf = async (version: string) =>
  (await manager.getVersion("net", { version })).files.map((file) => file.path);

describe("include / exclude", () => {
  it("exclude leaves out matching names in any folder and whole folders", async () => {
    const logged = await manager.logFiles("net", join(dir, "run"), {
      exclude: ["*.tmp", "logs", "weights/old"],
    });
    expect(await pathsOf(logged.version)).toEqual(["config.json", "model.pt", "weights/a.pt"]);
  });

  it("include keeps only matching files; exclude wins over it", async () => {
    const logged = await manager.logFiles("net", join(dir, "run"), {
      include: ["*.pt", "config.json"],
      exclude: ["weights/old/**"],
    });
    expect(await pathsOf(logged.version)).toEqual(["config.json", "model.pt", "weights/a.pt"]);
  });

  it("logFolder takes them too", async () => {
    const logged = await manager.logFolder(
      "net",
      async (folder) => {
        await writeFile(join(folder, "keep.pt"), "k");
        await writeFile(join(folder, "drop.tmp"), "d");
      },
      { exclude: ["*.tmp"] },
    );
    expect(await pathsOf(logged?.version ?? "")).toEqual(["keep.pt"]);
  });

  it("nothing left, or a broken glob, is INVALID_ARGUMENT before anything is written", async () => {
    const before = await manager.listVersions("net");
    await expect(
      manager.logFiles("net", join(dir, "run"), { include: ["*.safetensors"] }),
    ).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("include '*.safetensors'"),
    });
    await expect(manager.logFiles("net", join(dir, "run"), { exclude: ["[oops"] })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(
      manager.logFiles("net", join(dir, "run/model.pt"), { exclude: ["*.pt"] }),
    ).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(await manager.listVersions("net")).toEqual(before);
  });
});
