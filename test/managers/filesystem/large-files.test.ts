/** Files bigger than the copy chunk: hashed while copying (local fast path and streamed drivers). */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../../src/core/types.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { tempFolder } from "./helpers.js";

describe.each([
  ["local folder", (root: string) => root],
  ["memory://", () => `memory://large-${randomBytes(4).toString("hex")}`],
])("large files on %s", (_label, urlOf) => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempFolder("am-large-");
  });
  afterEach(() => dir.remove());

  it("logs and downloads multi-chunk files byte for byte with the right sha256 and progress", async () => {
    const manager = new FileSystemArtifactManager({ url: urlOf(join(dir.path, "store")) });
    const sizes = {
      "odd.bin": 3 * 1024 * 1024 + 7,
      "exact.bin": 2 * 1024 * 1024,
      "tiny.bin": 10,
      "mid.bin": 200_000,
    };
    const source = join(dir.path, "src");
    const contents = new Map<string, Buffer>();
    await mkdir(source);
    for (const [name, size] of Object.entries(sizes)) {
      const data = randomBytes(size);
      contents.set(name, data);
      await writeFile(join(source, name), data);
    }
    const events: ProgressEvent[] = [];
    await manager.logFiles("big", source, { onProgress: (event) => events.push(event) });
    expect(events[0]).toEqual({ type: "start", operation: "upload", files: 4, totalBytes: 5_442_897 });
    expect(events.at(-1)).toMatchObject({ type: "done", operation: "upload", files: 4 });
    const record = await manager.getVersion("big");
    for (const file of record.files) {
      expect(file.sha256).toBe(
        createHash("sha256")
          .update(contents.get(file.path) as Buffer)
          .digest("hex"),
      );
    }
    const to = join(dir.path, "out");
    await manager.downloadArtifact("big", { to });
    for (const [name, data] of contents) expect(Buffer.compare(await readFile(join(to, name)), data)).toBe(0);
    expect(await manager.verify("big")).toEqual({ ok: true, missing: [], extra: [], changed: [] });
  });
});
