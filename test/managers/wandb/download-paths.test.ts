/** W&B downloads with `paths` against the in-process emulator: only the chosen blobs are fetched. */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../../src/core/types.js";
import { isArtifactError } from "../../../src/errors.js";
import type { WandbArtifactManager } from "../../../src/managers/wandb/wandb-artifact-manager.js";
import { type EmulatorFixture, startFixture } from "./fixtures.js";

let fx: EmulatorFixture;
let manager: WandbArtifactManager;
beforeAll(async () => {
  fx = await startFixture();
  manager = fx.manager({ project: "paths" });
  const src = join(fx.dir, "src");
  await mkdir(join(src, "weights"), { recursive: true });
  await writeFile(join(src, "config.json"), "{}");
  await writeFile(join(src, "weights", "model.pt"), "model bytes");
  await writeFile(join(src, "weights", "optim.pt"), "optimizer bytes");
  await manager.logFiles("run", src, { collection: "model" });
});
afterAll(() => fx.close());

const blobDownloads = () =>
  fx.emulator.faults.requests.filter((r) => r.kind === "download" && r.operation === "blob");

describe("WandbArtifactManager.downloadArtifact with `paths`", () => {
  it("fetches, verifies and writes only the chosen files", async () => {
    const to = join(fx.dir, "one");
    const events: ProgressEvent[] = [];
    fx.emulator.faults.reset();
    const artifact = await manager.downloadArtifact("run", {
      collection: "model",
      to,
      paths: ["./weights/model.pt", "weights/model.pt"],
      onProgress: (event) => events.push(event),
    });
    expect(artifact).toEqual({ name: "run", collection: "model", version: "v0" });
    expect(blobDownloads()).toHaveLength(1);
    expect(await readdir(to)).toEqual(["weights"]);
    expect(await readdir(join(to, "weights"))).toEqual(["model.pt"]);
    expect(await readFile(join(to, "weights", "model.pt"), "utf8")).toBe("model bytes");
    expect(events[0]).toEqual({ type: "start", operation: "download", files: 1, totalBytes: 11 });
  });

  it("downloads a subset into a temporary folder", async () => {
    await using tmp = await manager.downloadArtifact("run", {
      collection: "model",
      paths: ["config.json", "weights/optim.pt"],
    });
    expect((await readdir(tmp.path)).sort()).toEqual(["config.json", "weights"]);
    expect(await readFile(join(tmp.path, "weights", "optim.pt"), "utf8")).toBe("optimizer bytes");
  });

  it("a path the version does not hold is NOT_FOUND and nothing is fetched or written", async () => {
    const to = join(fx.dir, "missing");
    fx.emulator.faults.reset();
    const error = await manager
      .downloadArtifact("run", { collection: "model", to, paths: ["config.json", "weights"] })
      .catch((e: unknown) => e);
    expect(isArtifactError(error, "NOT_FOUND")).toBe(true);
    expect((error as { context: Record<string, unknown> }).context).toMatchObject({
      name: "run",
      collection: "model",
      version: "v0",
      key: "weights",
    });
    expect(blobDownloads()).toHaveLength(0);
    expect((await readdir(fx.dir)).filter((name) => name.startsWith("missing"))).toEqual([]);
  });

  it("rejects bad `paths` with INVALID_ARGUMENT before any request", async () => {
    fx.emulator.faults.reset();
    for (const paths of [[], ["../x"], ["/abs"], [""]]) {
      const error = await manager
        .downloadArtifact("run", { collection: "model", to: join(fx.dir, "bad"), paths })
        .catch((e: unknown) => e);
      expect(isArtifactError(error, "INVALID_ARGUMENT"), JSON.stringify(paths)).toBe(true);
    }
    expect(fx.emulator.faults.requests).toHaveLength(0);
  });
});
