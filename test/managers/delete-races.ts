/**
 * Deletes and prunes against downloads, aliases and crashes, stopped at each step with driver gates
 * (gated-driver.ts), on any FileSystemArtifactManager store. The rule under test (issue 20): a download
 * that started before a delete either completes with verified files or fails with NOT_FOUND, never
 * leaves a partial version in its target; a delete hides the version before it deletes any file; a
 * delete that dies after hiding is finished by gc.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isArtifactError } from "../../src/errors.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import type { StorageDriver } from "../../src/storage/driver.js";
import { type DriverGates, Gate, gatedDriver } from "./gated-driver.js";
import { expectCode, rejection } from "./lifecycle-suite.js";

/** A store to race on: its driver, and how to remove it. */
export interface RaceStore {
  driver: StorageDriver;
  cleanup: () => Promise<void>;
}

const FILES: Record<string, string> = {
  "a.bin": "alpha ".repeat(4000),
  "b.bin": "beta ".repeat(3000),
  "sub/c.bin": "gamma ".repeat(2000),
};

export function describeDeleteRaces(
  name: string,
  open: () => Promise<RaceStore>,
  options: { hideLocalPath?: boolean; timeout?: number } = {},
): void {
  describe(`delete races: ${name}`, { timeout: options.timeout ?? 60_000 }, () => {
    let store: RaceStore | undefined;
    let local = "";
    let source = "";
    beforeAll(async () => {
      store = await open();
      local = await mkdtemp(join(tmpdir(), "am-delete-races-"));
      source = join(local, "source");
      for (const [path, text] of Object.entries(FILES)) {
        await mkdir(join(source, path, ".."), { recursive: true });
        await writeFile(join(source, path), text);
      }
    });
    afterAll(async () => {
      await store?.cleanup();
      if (local) await rm(local, { recursive: true, force: true });
    });
    const base = () => {
      if (!store) throw new Error("store setup failed");
      return store.driver;
    };
    /** A manager on the plain driver, and one whose driver stops at `gates`. */
    const managers = (gates: DriverGates) => ({
      plain: new FileSystemArtifactManager({ driver: base(), collection: collection }),
      gated: new FileSystemArtifactManager({
        driver: gatedDriver(base(), { hideLocalPath: options.hideLocalPath ?? false, ...gates }),
        collection: collection,
      }),
    });
    let collection = "default";
    const fresh = async (versions = 1) => {
      collection = `races-${randomBytes(4).toString("hex")}`;
      const plain = new FileSystemArtifactManager({ driver: base(), collection });
      for (let i = 0; i < versions; i++) await plain.logFiles("model", source);
      return `${collection}/model/`;
    };
    const target = () => join(local, `to-${randomBytes(4).toString("hex")}`);
    /** The files under `to` (empty when it does not exist). */
    const contents = async (to: string) =>
      (await readdir(to, { recursive: true, withFileTypes: true }).catch(() => []))
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name).slice(to.length + 1))
        .sort();
    const verified = async (to: string) => {
      for (const [path, text] of Object.entries(FILES))
        expect(await readFile(join(to, path), "utf8")).toBe(text);
    };
    const isFileOf = (prefix: string, version: string) => (key: string) =>
      key.startsWith(`${prefix}${version}/`);

    it("a download stopped before its first file: the delete runs, the download fails NOT_FOUND, nothing in its target", async () => {
      const prefix = await fresh(2);
      const gate = new Gate();
      const { plain, gated } = managers({
        beforeRead: (key) => (isFileOf(prefix, "v0")(key) ? gate.wait() : undefined),
      });
      const to = target();
      const download = gated.downloadArtifact("model", { version: "v0", to, cache: false });
      await gate.reached;
      await plain.deleteVersion("model", { version: "v0" });
      gate.open();
      const error = await rejection(download);
      expect(isArtifactError(error, "NOT_FOUND")).toBe(true);
      expect((error as Error).message).toContain("deleted");
      expect(await contents(to)).toEqual([]);
    });

    it("a download with one file done and the others not started: NOT_FOUND, nothing in its target", async () => {
      const prefix = await fresh(1);
      const gate = new Gate();
      const firstDone = new Gate();
      const { plain, gated } = managers({
        beforeRead: (key) =>
          isFileOf(prefix, "v0")(key) && key !== `${prefix}v0/a.bin` ? gate.wait() : undefined,
      });
      const to = target();
      const download = gated.downloadArtifact("model", {
        to,
        cache: false,
        onProgress: (event) => {
          if (event.type === "file-done") void firstDone.wait();
        },
      });
      await Promise.all([gate.reached, firstDone.reached]);
      await plain.deleteVersion("model", { version: "latest" });
      gate.open();
      await expectCode(download, "NOT_FOUND");
      expect(await contents(to)).toEqual([]);
    });

    it("a download whose every file is already streaming completes with verified files", async () => {
      const prefix = await fresh(1);
      const gate = new Gate();
      const { plain, gated } = managers({
        afterOpen: (key) => (isFileOf(prefix, "v0")(key) ? gate.wait() : undefined),
      });
      const to = target();
      const download = gated.downloadArtifact("model", { to, cache: false });
      await gate.reached;
      while (gate.arrivals < Object.keys(FILES).length) await new Promise((r) => setTimeout(r, 10));
      await plain.deleteVersion("model", { version: "v0" });
      gate.open();
      // Either outcome keeps the rule; on these stores an open stream keeps its bytes, so it completes.
      const outcome = await download.then(
        () => "completed",
        (error: unknown) => (isArtifactError(error, "NOT_FOUND") ? "NOT_FOUND" : error),
      );
      if (outcome === "completed") await verified(to);
      else expect(await contents(to)).toEqual([]);
      expect(outcome).toBe("completed");
    });

    it("a delete stopped right after hiding the version: a new download fails NOT_FOUND, the listing no longer has it", async () => {
      const prefix = await fresh(2);
      const gate = new Gate();
      const { plain, gated } = managers({
        afterWrite: (key) => (key === `${prefix}meta/versions/v1.json` ? gate.wait() : undefined),
      });
      const deleting = gated.deleteVersion("model", { version: "v1" });
      await gate.reached;
      expect(await plain.listVersions("model")).toEqual(["v0"]);
      await expectCode(
        plain.downloadArtifact("model", { version: "v1", to: target(), cache: false }),
        "NOT_FOUND",
      );
      const to = target();
      await plain.downloadArtifact("model", { to, cache: false }); // latest is v0 now
      await verified(to);
      gate.open();
      expect((await deleting).version).toBe("v1");
      expect(await filesUnder(base(), `${prefix}v1/`)).toEqual([]);
    });

    it("a delete stopped between its file deletions: downloads of the version fail NOT_FOUND", async () => {
      const prefix = await fresh(1);
      const gate = new Gate();
      const { plain, gated } = managers({
        beforeDelete: (key) => (key.endsWith("/b.bin") ? gate.wait() : undefined),
        afterRename: (from) => (from === `${prefix}v0/` ? gate.wait() : undefined),
      });
      const deleting = gated.deleteVersion("model", { version: "v0" });
      await gate.reached;
      await expectCode(plain.downloadArtifact("model", { to: target(), cache: false }), "NOT_FOUND");
      await expectCode(plain.getVersion("model", { version: 0 }), "NOT_FOUND");
      gate.open();
      await deleting;
      expect(await filesUnder(base(), `${prefix}v0/`)).toEqual([]);
    });

    it("a download running while a prune removes its version fails NOT_FOUND; one of a kept version completes", async () => {
      const prefix = await fresh(3);
      const gate = new Gate();
      const { plain, gated } = managers({
        beforeRead: (key) => (key.startsWith(prefix) && /\/v[02]\//.test(key) ? gate.wait() : undefined),
      });
      const [toOld, toKept] = [target(), target()];
      const old = gated.downloadArtifact("model", { version: "v0", to: toOld, cache: false });
      const kept = gated.downloadArtifact("model", { version: "v2", to: toKept, cache: false });
      await gate.reached;
      while (gate.arrivals < 2 * Object.keys(FILES).length) await new Promise((r) => setTimeout(r, 10));
      const pruned = await plain.prune("model", { keepLast: 1 });
      expect(pruned.removed.map((v) => v.version)).toEqual(["v0", "v1"]);
      gate.open();
      await expectCode(old, "NOT_FOUND");
      expect(await contents(toOld)).toEqual([]);
      expect((await kept).version).toBe("v2");
      await verified(toKept);
    });

    it("setAlias racing a delete of its version: the alias does not survive pointing at nothing", async () => {
      const prefix = await fresh(2);
      const gate = new Gate();
      const { plain, gated } = managers({
        beforeWrite: (key) => (key === `${prefix}meta/aliases/best.json` ? gate.wait() : undefined),
      });
      const setting = gated.setAlias("model", "best", { version: "v0" });
      await gate.reached;
      await plain.deleteVersion("model", { version: "v0" }); // sees no alias yet
      gate.open();
      await expectCode(setting, "NOT_FOUND");
      expect(await plain.listAliases("model")).toEqual({});
    });

    it("a delete that dies right after hiding: the version stays hidden and gc deletes its files and aliases", async () => {
      const prefix = await fresh(2);
      const { plain, gated } = managers({
        afterWrite: (key) => {
          if (key === `${prefix}meta/versions/v0.json`) throw new Error("killed after the hide");
        },
      });
      await plain.setAlias("model", "best", { version: "v0" });
      await expect(gated.deleteVersion("model", { version: "v0", force: true })).rejects.toThrow(
        "killed after the hide",
      );
      expect(await plain.listVersions("model")).toEqual(["v1"]);
      expect(await filesUnder(base(), `${prefix}v0/`)).toHaveLength(3);
      expect(await plain.listAliases("model")).toEqual({ best: "v0" });
      await expectCode(plain.downloadArtifact("model", { version: "best", to: target() }), "NOT_FOUND");
      const gc = await plain.collectGarbage({ collection });
      expect(gc.items).toMatchObject([
        { kind: "upload", version: "v0", objects: 3 },
        { kind: "alias", version: "v0", key: `${prefix}meta/aliases/best.json` },
      ]);
      expect(await plain.listAliases("model")).toEqual({});
      expect(await filesUnder(base(), `${prefix}v0/`)).toEqual([]);
      expect(await plain.listVersions("model")).toEqual(["v1"]);
      const next = await plain.logFiles("model", source);
      expect(next.version).toBe("v2");
    });

    it("a delete cancelled after it hid the version: the version stays hidden; gc finishes", async () => {
      const prefix = await fresh(1);
      const controller = new AbortController();
      const { plain, gated } = managers({
        afterWrite: (key) => {
          if (key === `${prefix}meta/versions/v0.json`) controller.abort(new Error("Ctrl-C"));
        },
      });
      await expect(
        gated.deleteVersion("model", { version: "v0", signal: controller.signal }),
      ).rejects.toThrow("Ctrl-C");
      expect(await plain.listVersions("model")).toEqual([]);
      await plain.collectGarbage({ collection });
      expect(await filesUnder(base(), `${prefix}v0/`)).toEqual([]);
    });
  });
}

/** Keys of the objects under `prefix`. */
export async function filesUnder(driver: StorageDriver, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of driver.list(prefix)) if (entry.type === "object") keys.push(entry.key);
  return keys.sort();
}
