/**
 * W&B downloads into a folder that already holds files: a file/folder clash is INVALID_ARGUMENT naming
 * the path with nothing moved (the shared staging/merge of every backend). And a storage answer longer
 * than the manifest's size stops being read at that size.
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

describe("W&B download of a file that storage sends too much of", () => {
  it("stops reading at the manifest's size: CHECKSUM_MISMATCH naming the file, nothing moved; verify says changed", async () => {
    const mm = fx.manager({ project: "too-long" });
    await mm.logFiles("long", await folder({ "small.txt": "abc" }));
    const md5 = (await mm.getVersion("long")).files[0]?.md5;
    const blobs = [...fx.emulator.state.blobs].filter(([key]) => key.endsWith(`/${md5}`));
    expect(blobs).toHaveLength(1);
    for (const [, blob] of blobs) blob.bytes = Buffer.alloc(8 * 1024 * 1024, 0x61);
    const to = await folder({ "keep.txt": "keep" });
    let most = 0;
    const error = await mm
      .downloadArtifact("long", {
        to,
        onProgress: (event) => {
          if (event.type === "file") most = Math.max(most, event.bytes);
        },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "CHECKSUM_MISMATCH" });
    expect((error as Error).message).toContain("more than the 3 bytes of 'small.txt' of long");
    expect(most).toBeLessThanOrEqual(3);
    expect(await readdir(to)).toEqual(["keep.txt"]);
    expect(await mm.verify("long")).toMatchObject({ ok: false, changed: ["small.txt"] });
  });
});

describe("W&B storage redirects (issue 22 gap 9)", () => {
  it("a download follows storage redirects (302, 307, relative and absolute) and checks what it gets", async () => {
    await m.logFiles("moved", await folder({ "r.txt": "redirected bytes", "s/t.txt": "t" }));
    fx.emulator.faults.reset();
    fx.emulator.faults.downloadRedirects = 3;
    try {
      const to = join(fx.dir, "moved-out");
      await m.downloadArtifact("moved", { to, cache: false });
      expect(await readFile(join(to, "r.txt"), "utf8")).toBe("redirected bytes");
      expect(await readFile(join(to, "s", "t.txt"), "utf8")).toBe("t");
      const redirects = fx.emulator.faults.requests.filter((r) => r.operation === "redirect");
      expect(redirects.length).toBeGreaterThanOrEqual(3 * 3); // the manifest and both files, 3 hops each
      expect(await m.verify("moved")).toMatchObject({ ok: true });
      // the bytes at the end of the redirects are checked as any: a changed blob is CHECKSUM_MISMATCH
      for (const blob of fx.emulator.state.blobs.values()) {
        if (blob.bytes.toString() === "redirected bytes") blob.bytes = Buffer.from("REDIRECTED BYTES");
      }
      await expect(
        m.downloadArtifact("moved", { to: join(fx.dir, "moved-bad"), cache: false }),
      ).rejects.toMatchObject({ code: "CHECKSUM_MISMATCH" });
    } finally {
      fx.emulator.faults.downloadRedirects = 0;
    }
  });

  it("more than 10 redirects stop the download with a typed error; nothing is moved", async () => {
    await m.logFiles("looping", await folder({ "l.txt": "loop" }));
    fx.emulator.faults.downloadRedirects = 11;
    try {
      const to = await folder({ "keep.txt": "keep" });
      const error = await m.downloadArtifact("looping", { to, cache: false }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "UNAVAILABLE", retryable: false });
      expect((error as Error).message).toContain("redirected more than 10 times");
      expect(await readdir(to)).toEqual(["keep.txt"]);
    } finally {
      fx.emulator.faults.downloadRedirects = 0;
    }
  });
});
