/**
 * Issue 20 and Python scaffold: a version whose files were copied inside the store (and whose record
 * carries provenance and inputs) is read by scaffold byte for byte, and an identical re-log with
 * `ifUnchanged: "reuse"` leaves scaffold's listing unchanged.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../../src/core/types.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { listTree, scaffold, tempFolder } from "./helpers.js";

describe("copied files and new record fields, read by Python scaffold", () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempFolder("am-reuse-interop-");
  });
  afterEach(() => dir.remove());

  it("scaffold downloads a version of copied files byte for byte; a reused log adds no version", async () => {
    const root = join(dir.path, "store");
    const src = join(dir.path, "src");
    const weights = randomBytes(300_000);
    await mkdir(join(src, "sub"), { recursive: true });
    await writeFile(join(src, "weights.bin"), weights);
    await writeFile(join(src, "sub", "config.json"), "{}");
    const manager = new FileSystemArtifactManager({ url: root, collection: "models" });
    await manager.logFiles("base", join(src, "sub", "config.json"));
    await manager.logFiles("net", src);
    await writeFile(join(src, "sub", "config.json"), '{"lr": 0.1}');
    const events: ProgressEvent[] = [];
    await manager.logFiles("net", src, { inputs: ["base:v0"], onProgress: (e) => events.push(e) });
    expect(events.some((e) => e.type === "file-done" && e.path === "weights.bin" && e.copied)).toBe(true);
    const out = join(dir.path, "py-out");
    expect(await scaffold("download", root, "models", "net", "latest", out)).toEqual({ version: "v1" });
    expect(await listTree(out)).toEqual(["sub/config.json", "weights.bin"]);
    expect(Buffer.compare(await readFile(join(out, "weights.bin")), weights)).toBe(0);
    expect(await readFile(join(out, "sub", "config.json"), "utf8")).toBe('{"lr": 0.1}');
    expect((await manager.logFiles("net", src, { ifUnchanged: "reuse" })).version).toBe("v1");
    expect(await scaffold("list", root, "models", "net")).toEqual(["v0", "v1"]);
  });
});
