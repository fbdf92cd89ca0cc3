/**
 * A claimless writer (Python scaffold) in the same `v<N>/` as one of our logs, and leftovers that land
 * after a log's cleanup (found by an adversarial review of issue 17): nothing of theirs is deleted or
 * hidden for good, nothing of ours stays behind, and a dry run of gc agrees with the real run.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createLocalDriver } from "../../../src/drivers/local.js";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { withTimeout } from "../../../src/storage/layers/timeout.js";
import { pythonLog, pythonVersions } from "../../fixtures/gc/gc-scenarios.js";
import { HOUR_MS, hookedDriver, twoHoursLater } from "../../fixtures/gc/hooked-driver.js";
import { tempFolder } from "./helpers.js";

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempFolder("foreign-writer-");
  await writeFile(join(dir.path, "ours.txt"), "ours");
  await mkdir(join(dir.path, "py"));
  await writeFile(join(dir.path, "py", "python.txt"), "from python");
});
afterEach(() => dir.remove());

const never = new Promise<never>(() => {});

it("a log that dies after its claim, then Python logs that number: gc gives it to Python, nothing is lost", async () => {
  const root = join(dir.path, "store");
  const base = createLocalDriver({ root });
  const manager = new FileSystemArtifactManager({ driver: base });
  await manager.logFiles("art", join(dir.path, "ours.txt"));
  // Our next log hangs for good right after claiming v1 (as if killed): its claim lists ours.txt.
  const dying = hookedDriver(base, { beforeRename: () => never });
  void new FileSystemArtifactManager({ driver: dying }).logFiles("art", join(dir.path, "ours.txt"));
  for (let i = 0; i < 200 && (await base.stat("default/art/meta/versions/v1.claim")) === null; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  expect(await pythonLog(root, "art", join(dir.path, "py"))).toBe("v1");
  expect(await manager.listVersions("art")).toEqual(["v0"]);
  // The grace period has passed: gc finds files the claim does not list, and gives v1 back.
  const result = await new FileSystemArtifactManager({ driver: twoHoursLater(base) }).collectGarbage({
    olderThanMs: HOUR_MS,
  });
  expect(result.items.filter((item) => item.version === "v1").map((item) => item.kind)).toEqual(["claim"]);
  expect(await pythonVersions(root, "default", "art")).toEqual(["v0", "v1"]);
  expect(await manager.listVersions("art")).toEqual(["v0", "v1"]);
  expect((await manager.getVersion("art", { version: "v1" })).files.map((f) => f.path)).toEqual([
    "py/python.txt",
  ]);
});

it("a log aborted while Python writes into the same v<N>/ deletes only its own files, and Python's version shows", async () => {
  const base = createMemoryDriver();
  const controller = new AbortController();
  const driver = hookedDriver(base, {
    direct: true,
    beforeWrite: async (key) => {
      if (key !== "default/art/v0/ours.txt") return;
      // Our file is still uploading (invisible); Python sees no v0/ and logs v0 completely; Ctrl-C.
      await base.write("default/art/v0/python.txt", "from python");
      controller.abort(new Error("Ctrl-C"));
    },
  });
  const error = await new FileSystemArtifactManager({ driver })
    .logFiles("art", join(dir.path, "ours.txt"), { signal: controller.signal })
    .catch((e: unknown) => e);
  expect(String(error)).toMatch(/Ctrl-C/);
  expect(await base.stat("default/art/v0/python.txt")).not.toBeNull();
  expect(await base.stat("default/art/v0/ours.txt")).toBeNull();
  const reader = new FileSystemArtifactManager({ driver: base });
  expect(await reader.listVersions("art")).toEqual(["v0"]);
  expect((await reader.getVersion("art")).files.map((f) => f.path)).toEqual(["python.txt"]);
});

it("a log that finds a foreign file in v<N>/ before its commit fails with CONFLICT instead of committing a mixed version", async () => {
  const base = createMemoryDriver();
  const driver = hookedDriver(base, {
    direct: true,
    afterWrite: async (key) => {
      if (key === "default/art/v0/ours.txt") await base.write("default/art/v0/python.txt", "from python");
    },
  });
  const error = await new FileSystemArtifactManager({ driver })
    .logFiles("art", join(dir.path, "ours.txt"))
    .catch((e: unknown) => e);
  expect(error).toMatchObject({ code: "CONFLICT" });
  expect(String((error as Error).message)).toMatch(/another writer put 'default\/art\/v0\/python.txt'/);
  const reader = new FileSystemArtifactManager({ driver: base });
  expect((await reader.getVersion("art")).files.map((f) => f.path)).toEqual(["python.txt"]);
  expect(await base.stat("default/art/meta/versions/v0.json")).toBeNull();
});

it("an upload that lands after its log's cleanup is collected by gc at any age (the claim lists it)", async () => {
  const base = createMemoryDriver();
  const controller = new AbortController();
  let landLate: (() => void) | undefined;
  const landed = new Promise<void>((resolve) => {
    landLate = resolve;
  });
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const driver = hookedDriver(base, {
    direct: true,
    beforeWrite: async (key) => {
      if (key !== "default/art/v0/b.txt") return;
      controller.abort(new Error("Ctrl-C")); // the request is on its way; the log gives up
      await held; // ...and it lands (the signal no longer reaches it) only after the log's cleanup
      await base.write(key, "b");
      landLate?.();
    },
  });
  await mkdir(join(dir.path, "two"));
  await writeFile(join(dir.path, "two", "a.txt"), "a");
  await writeFile(join(dir.path, "two", "b.txt"), "b");
  // The timeout layer (as on every cloud store) releases an aborted caller while its request goes on.
  const manager = new FileSystemArtifactManager({ driver: withTimeout(driver), concurrency: 1 });
  await expect(manager.logFiles("art", join(dir.path, "two"), { signal: controller.signal })).rejects.toThrow(
    /Ctrl-C/,
  );
  release();
  await landed;
  expect(await base.stat("default/art/v0/b.txt")).not.toBeNull();
  const reader = new FileSystemArtifactManager({ driver: base });
  expect(await reader.listVersions("art")).toEqual([]);
  await reader.collectGarbage({ olderThanMs: HOUR_MS });
  expect(await base.stat("default/art/v0/b.txt")).toBeNull();
});

it("a dry run of gc measures ages on the store's clock, as the real run does", async () => {
  const base = createMemoryDriver();
  // A live writer's claim and file, written just now on a store whose clock is 2 h behind ours.
  const skewed = hookedDriver(base, { shiftMs: () => -2 * HOUR_MS });
  await base.write("default/art/meta/versions/v0.claim", JSON.stringify({ version: "v0", nonce: "x" }), {
    ifNotExists: true,
  });
  await base.write("default/art/v0/f.bin", "half of a live upload");
  const manager = new FileSystemArtifactManager({ driver: skewed });
  expect((await manager.collectGarbage({ olderThanMs: HOUR_MS, dryRun: true })).items).toEqual([]);
  expect((await manager.collectGarbage({ olderThanMs: HOUR_MS })).items).toEqual([]);
  expect(await base.stat("default/art/v0/f.bin")).not.toBeNull();
});
