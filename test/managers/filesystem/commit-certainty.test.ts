/**
 * Commit certainty (issue 17, item 1) on memory:// and local stores: a driver wrapper holds the commit
 * record's write (stored but unanswered, or not yet stored) or the `meta/readme.txt` write until the
 * caller aborts, so the abort lands exactly in that window. The cloud version, with a proxy that holds
 * real HTTP requests: test/managers/cloud/commit-certainty.test.ts.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalDriver } from "../../../src/drivers/local.js";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import type { StorageDriver, WriteOptions } from "../../../src/storage/driver.js";
import { withoutAtomicRename } from "../../fixtures/filesystem/without-atomic-rename.js";
import { tempFolder } from "./helpers.js";

/** A held write: `arrived` once the write came in; `late()` sends a held-back write to the store now. */
interface HeldWrite {
  driver: StorageDriver;
  arrived: Promise<void>;
  late: () => Promise<"written" | unknown>;
}

/**
 * Wraps `base` so that the first write of `key` waits for the caller's abort, then fails with its
 * reason: `stored` writes it first (the answer was lost), `held` keeps it back for `late()`. A write
 * without a signal goes through unheld.
 */
function holdWrite(base: StorageDriver, key: string, mode: "stored" | "held"): HeldWrite {
  let arrive = () => {};
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  let late: HeldWrite["late"] = async () => {
    throw new Error(`no write of ${key} was held`);
  };
  let caught = false;
  const driver = Object.create(base) as StorageDriver;
  driver.write = async (...[k, body, options = {}]: Parameters<StorageDriver["write"]>) => {
    const { signal, ...rest } = options as WriteOptions;
    if (caught || k !== key || !signal) {
      if (k === key) arrive();
      return base.write(k, body, options);
    }
    caught = true;
    if (mode === "stored") await base.write(k, body, rest);
    else
      late = () =>
        base.write(k, body, rest).then(
          () => "written",
          (error: unknown) => error,
        );
    arrive();
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    throw signal.reason;
  };
  return { driver, arrived, late: () => late() };
}

describe.each([
  ["memory://, staged + atomic rename", "memory"],
  ["memory://, direct upload (object-store path)", "memory-direct"],
  ["local folder, staged + atomic rename", "local"],
] as const)("commit certainty on %s", (_label, kind) => {
  let dir: { path: string; remove: () => Promise<void> };
  let folder: string;
  let base: StorageDriver;
  let plain: FileSystemArtifactManager;
  beforeEach(async () => {
    dir = await tempFolder("am-certainty-");
    const store =
      kind === "local" ? createLocalDriver({ root: join(dir.path, "store") }) : createMemoryDriver();
    base = kind === "memory-direct" ? withoutAtomicRename(store) : store;
    plain = new FileSystemArtifactManager({ driver: base });
    folder = join(dir.path, "model");
    await mkdir(join(folder, "weights"), { recursive: true });
    await writeFile(join(folder, "config.json"), '{"lr":0.001}\n');
    await writeFile(join(folder, "weights", "layer.bin"), randomBytes(20_000));
  });
  afterEach(() => dir.remove());

  const expectComplete = async (version: string) => {
    expect(await plain.listVersions("art")).toEqual([version]);
    expect(await plain.verify("art", { version })).toMatchObject({ ok: true, missing: [], changed: [] });
    const to = join(dir.path, `download-${version}`);
    await plain.downloadArtifact("art", { version, to });
    for (const path of ["config.json", "weights/layer.bin"])
      expect((await readFile(join(to, path))).equals(await readFile(join(folder, path))), path).toBe(true);
  };
  const versionFiles = async (version: string) => {
    const keys: string[] = [];
    for await (const entry of base.list(`default/art/${version}/`))
      if (entry.type === "object") keys.push(entry.key);
    return keys;
  };

  it("(a) the record is stored, its answer lost, the caller aborts: the log returns the version, complete", async () => {
    const held = holdWrite(base, "default/art/meta/versions/v0.json", "stored");
    const manager = new FileSystemArtifactManager({ driver: held.driver });
    const controller = new AbortController();
    const log = manager.logFiles("art", folder, { signal: controller.signal });
    log.catch(() => undefined);
    await held.arrived;
    controller.abort(new Error("Ctrl-C after the record was stored"));
    expect(await log).toEqual({ name: "art", collection: "default", version: "v0" });
    await expectComplete("v0");
  });

  it("(d) the record write is held back and the caller aborts: no version, and the late write is refused", async () => {
    const held = holdWrite(base, "default/art/meta/versions/v0.json", "held");
    const manager = new FileSystemArtifactManager({ driver: held.driver });
    const controller = new AbortController();
    const reason = new Error("Ctrl-C before the record was stored");
    const log = manager.logFiles("art", folder, { signal: controller.signal });
    log.catch(() => undefined);
    await held.arrived;
    controller.abort(reason);
    await expect(log).rejects.toBe(reason);
    expect(await plain.listVersions("art")).toEqual([]);
    expect(await versionFiles("v0")).toEqual([]);
    const late = await held.late();
    expect(late, "the held record write, sent after the log gave v0 up").toMatchObject({
      code: "ALREADY_EXISTS",
    });
    expect(await plain.listVersions("art")).toEqual([]);
    expect((await plain.logFiles("art", folder)).version).toBe("v1");
    expect(await plain.listVersions("art")).toEqual(["v1"]);
    expect(await versionFiles("v0")).toEqual([]);
  });

  it("(e) an abort during the meta/readme.txt write after the record: the log returns the version, complete", async () => {
    const held = holdWrite(base, "default/art/meta/readme.txt", "held");
    const manager = new FileSystemArtifactManager({ driver: held.driver });
    const controller = new AbortController();
    const log = manager.logFiles("art", folder, { signal: controller.signal, description: "kept" });
    log.catch(() => undefined);
    await held.arrived;
    controller.abort(new Error("Ctrl-C while the readme is written"));
    expect(await log).toEqual({ name: "art", collection: "default", version: "v0" });
    await expectComplete("v0");
    expect((await plain.getVersion("art")).description).toBe("kept");
  });
});
