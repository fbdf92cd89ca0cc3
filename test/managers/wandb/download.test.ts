/**
 * W&B downloads into a folder that already holds files: a file/folder clash is INVALID_ARGUMENT naming
 * the path with nothing moved (the shared staging/merge of every backend).
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WandbArtifactManager } from "../../../src/managers/wandb/wandb-artifact-manager.js";
import { type EmulatorFixture, startFixture } from "./fixtures.js";

let fx: EmulatorFixture;
let m: WandbArtifactManager;
let n = 0;
beforeAll(async () => {
  fx = await startFixture();
  m = fx.manager({ project: "download" });
  const dir = await folder({ "a.txt": "a", "b/c.txt": "c", "z.txt": "z" });
  await m.logFiles("clash", dir);
});
afterAll(() => fx.close());

/** A fresh folder with `files` written into it (a path ending in `/` is an empty folder). */
async function folder(files: Record<string, string>): Promise<string> {
  const dir = join(fx.dir, `dir-${++n}`);
  for (const [path, content] of Object.entries(files)) {
    if (path.endsWith("/")) {
      await mkdir(join(dir, path), { recursive: true });
      continue;
    }
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

describe("W&B download into a folder with files", () => {
  it("a folder where a file of the version lands is INVALID_ARGUMENT naming it; nothing is moved", async () => {
    const to = await folder({ "keep.txt": "keep", "z.txt/inner.txt": "inner" });
    const error = await m.downloadArtifact("clash", { to }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(String((error as Error).message)).toContain(join(to, "z.txt"));
    expect((await readdir(to)).sort()).toEqual(["keep.txt", "z.txt"]);
    expect(await readdir(join(to, "z.txt"))).toEqual(["inner.txt"]);
  });

  it("a file where a folder of the version goes is INVALID_ARGUMENT naming it; nothing is moved", async () => {
    const to = await folder({ b: "i am a file" });
    const error = await m.downloadArtifact("clash", { to }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(String((error as Error).message)).toContain(join(to, "b"));
    expect(await readdir(to)).toEqual(["b"]);
    expect(await readFile(join(to, "b"), "utf8")).toBe("i am a file");
  });

  it("without a clash, files merge into the folder: same names replaced, others kept", async () => {
    const to = await folder({ "keep.txt": "keep", "a.txt": "old", "b/other.txt": "o" });
    await m.downloadArtifact("clash", { to });
    expect((await readdir(to)).sort()).toEqual(["a.txt", "b", "keep.txt", "z.txt"]);
    expect((await readdir(join(to, "b"))).sort()).toEqual(["c.txt", "other.txt"]);
    expect(await readFile(join(to, "a.txt"), "utf8")).toBe("a");
  });
});
