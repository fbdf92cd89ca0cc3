/** Downloads from an object store (memory://): tiny files are gathered in memory, checked, then written. */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isArtifactError } from "../../../src/errors.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { TINY_FILE_BYTES } from "../../../src/managers/filesystem/hashed-copy.js";
import { tempFolder } from "./helpers.js";

describe("downloads from an object store", () => {
  let dir: { path: string; remove: () => Promise<void> };
  let manager: FileSystemArtifactManager;
  const key = "default/art/v0/nested/tiny.txt";
  beforeEach(async () => {
    dir = await tempFolder("am-download-os-");
    manager = new FileSystemArtifactManager({ url: `memory://download-os-${Date.now()}-${Math.random()}` });
    await mkdir(join(dir.path, "src", "nested"), { recursive: true });
    await writeFile(join(dir.path, "src", "nested", "tiny.txt"), "tiny");
    await writeFile(join(dir.path, "src", "big.bin"), Buffer.alloc(TINY_FILE_BYTES + 1, 7));
    await manager.logFiles("art", join(dir.path, "src"));
  });
  afterEach(() => dir.remove());

  it("writes tiny and bigger files byte-exact", async () => {
    const to = join(dir.path, "to");
    await manager.downloadArtifact("art", { to });
    expect(await readFile(join(to, "nested", "tiny.txt"), "utf8")).toBe("tiny");
    expect((await readFile(join(to, "big.bin"))).equals(Buffer.alloc(TINY_FILE_BYTES + 1, 7))).toBe(true);
  });

  for (const [what, body] of [
    ["grown past the tiny-file limit", Buffer.alloc(3 * TINY_FILE_BYTES, 1)],
    ["truncated", Buffer.from("ti")],
    ["changed at the same size", Buffer.from("TINY")],
  ] as const) {
    it(`a tiny object ${what} in the store → CHECKSUM_MISMATCH and no target`, async () => {
      await (await manager.getDriver()).write(key, body);
      const to = join(dir.path, "to");
      const error = await manager.downloadArtifact("art", { to }).catch((e: unknown) => e);
      expect(isArtifactError(error, "CHECKSUM_MISMATCH")).toBe(true);
      await expect(readFile(join(to, "nested", "tiny.txt"))).rejects.toThrow();
    });
  }
});
