/** `paths` downloads: only the chosen files are read, verified and written; bad or unknown paths fail first. */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../../src/core/types.js";
import { deleteMemoryStore } from "../../../src/drivers/memory.js";
import { isArtifactError } from "../../../src/errors.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { listTree, tempFolder } from "./helpers.js";

/** Both the local fast path (hashed file copies) and the streaming path of object stores. */
const STORES = [
  { kind: "local", url: (dir: string) => join(dir, "store") },
  { kind: "memory", url: (dir: string) => `memory://${basename(dir)}` },
];

describe.each(STORES)("downloadArtifact with `paths` ($kind store)", ({ kind, url }) => {
  let dir: { path: string; remove: () => Promise<void> };
  let manager: FileSystemArtifactManager;
  beforeEach(async () => {
    dir = await tempFolder("am-paths-");
    manager = new FileSystemArtifactManager({ url: url(dir.path) });
    await mkdir(join(dir.path, "src", "weights"), { recursive: true });
    await writeFile(join(dir.path, "src", "config.json"), "{}");
    await writeFile(join(dir.path, "src", "weights", "model.pt"), "model bytes");
    await writeFile(join(dir.path, "src", "weights", "optim.pt"), "optimizer bytes");
    await manager.logFiles("art", join(dir.path, "src"));
    await writeFile(join(dir.path, "src", "config.json"), '{"v":1}');
    await manager.logFiles("art", join(dir.path, "src"));
  });
  afterEach(async () => {
    await manager.close();
    deleteMemoryStore(basename(dir.path));
    await dir.remove();
  });

  it("writes only the chosen files (normalised, duplicates ignored) and reports only them", async () => {
    const to = join(dir.path, "out");
    const events: ProgressEvent[] = [];
    const artifact = await manager.downloadArtifact("art", {
      version: "v0",
      to,
      paths: ["weights/model.pt", "./config.json", "weights/model.pt"],
      onProgress: (event) => events.push(event),
    });
    expect(artifact).toEqual({ name: "art", collection: "default", version: "v0" });
    expect(await listTree(to)).toEqual(["config.json", "weights/model.pt"]);
    expect(await readFile(join(to, "config.json"), "utf8")).toBe("{}");
    expect(await readFile(join(to, "weights", "model.pt"), "utf8")).toBe("model bytes");
    expect(events[0]).toEqual({ type: "start", operation: "download", files: 2, totalBytes: 13 });
    expect(events.at(-1)).toEqual({ type: "done", operation: "download", files: 2, bytes: 13 });
  });

  it("merges one file into a folder that has files, and works in the temporary form", async () => {
    const to = join(dir.path, "full");
    await mkdir(to);
    await writeFile(join(to, "mine.txt"), "keep");
    await manager.downloadArtifact("art", { to, paths: ["weights/optim.pt"] });
    expect(await listTree(to)).toEqual(["mine.txt", "weights/optim.pt"]);
    await using tmp = await manager.downloadArtifact("art", { paths: ["config.json"] });
    expect(await listTree(tmp.path)).toEqual(["config.json"]);
    expect(await readFile(join(tmp.path, "config.json"), "utf8")).toBe('{"v":1}');
  });

  it("does not read the other files: a corrupt one outside `paths` is ignored", async () => {
    const driver = await manager.getDriver();
    await driver.write("default/art/v1/weights/optim.pt", Buffer.from("XXXX"));
    const whole = await manager
      .downloadArtifact("art", { to: join(dir.path, "whole") })
      .catch((e: unknown) => e);
    expect(isArtifactError(whole, "CHECKSUM_MISMATCH")).toBe(true);
    const to = join(dir.path, "one");
    await manager.downloadArtifact("art", { to, paths: ["weights/model.pt"] });
    expect(await listTree(to)).toEqual(["weights/model.pt"]);
    const error = await manager
      .downloadArtifact("art", { to: join(dir.path, "bad"), paths: ["weights/optim.pt"] })
      .catch((e: unknown) => e);
    expect(isArtifactError(error, "CHECKSUM_MISMATCH")).toBe(true);
    const left = (await readdir(dir.path)).sort();
    expect(left).toEqual(kind === "local" ? ["one", "src", "store"] : ["one", "src"]);
  });

  it("a path the version does not hold is NOT_FOUND naming the version; nothing is written", async () => {
    const to = join(dir.path, "none");
    const error = await manager
      .downloadArtifact("art", { version: 0, to, paths: ["config.json", "weights/missing.pt"] })
      .catch((e: unknown) => e);
    expect(isArtifactError(error, "NOT_FOUND")).toBe(true);
    expect((error as { context: Record<string, unknown> }).context).toMatchObject({
      name: "art",
      version: "v0",
      key: "weights/missing.pt",
    });
    // A folder is a path prefix, not a file of the version.
    const folder = await manager.downloadArtifact("art", { to, paths: ["weights"] }).catch((e: unknown) => e);
    expect(isArtifactError(folder, "NOT_FOUND")).toBe(true);
    expect((await readdir(dir.path)).sort()).toEqual(kind === "local" ? ["src", "store"] : ["src"]);
  });

  it("rejects bad `paths` with INVALID_ARGUMENT before touching anything", async () => {
    const to = join(dir.path, "bad");
    const bad: unknown[] = [
      [],
      ["../config.json"],
      ["/config.json"],
      [""],
      ["a//b"],
      ["a\\b"],
      "config.json",
      [3],
    ];
    for (const paths of bad) {
      const error = await manager
        .downloadArtifact("art", { to, paths: paths as string[] })
        .catch((e: unknown) => e);
      expect(isArtifactError(error, "INVALID_ARGUMENT"), JSON.stringify(paths)).toBe(true);
    }
    const missingArtifact = await manager
      .downloadArtifact("nope", { to, paths: ["config.json"] })
      .catch((e: unknown) => e);
    expect(isArtifactError(missingArtifact, "NOT_FOUND")).toBe(true);
    expect((await readdir(dir.path)).sort()).toEqual(kind === "local" ? ["src", "store"] : ["src"]);
  });
});
