/**
 * Downloads and verify stop at the record's size (issue 18, item 9): an object the store holds longer
 * than its record says (written directly through the driver after the log) is CHECKSUM_MISMATCH naming
 * the file, and no more than the recorded bytes are taken in (progress never passes the size), on
 * every driver: local, memory, S3 (radosgw), GCS (fake), Azure (azurite). Tiny and bigger files.
 */
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../../src/core/types.js";
import { isArtifactError } from "../../../src/errors.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { CLOUD_BACKENDS, openManager } from "../cloud/stores.js";
import { tempFolder } from "./helpers.js";

const KiB = 1024;
const RECORDED = { "tiny.txt": 100, "big.bin": 100 * KiB } as const;
const GROWN = { "tiny.txt": 200 * KiB, "big.bin": 8 * 1024 * KiB } as const;

interface Opened {
  manager: FileSystemArtifactManager;
  cleanup: () => Promise<void>;
}

const STORES: Array<{ name: string; open: (dir: string) => Promise<Opened> }> = [
  {
    name: "local",
    open: async (dir) => ({
      manager: new FileSystemArtifactManager({ url: join(dir, "store") }),
      cleanup: async () => {},
    }),
  },
  {
    name: "memory",
    open: async () => ({
      manager: new FileSystemArtifactManager({ url: `memory://size-cap-${Date.now()}-${Math.random()}` }),
      cleanup: async () => {},
    }),
  },
  ...CLOUD_BACKENDS.map((backend) => ({ name: backend.name, open: () => openManager(backend) })),
];

/** The largest byte count a `file` progress event reported, per path. */
function progressPeak(events: ProgressEvent[]): Record<string, number> {
  const peak: Record<string, number> = {};
  for (const event of events)
    if (event.type === "file") peak[event.path] = Math.max(peak[event.path] ?? 0, event.bytes);
  return peak;
}

describe.each(STORES)("downloads stop at the recorded size on $name", (store) => {
  let dir: { path: string; remove: () => Promise<void> };
  let opened: Opened;
  beforeAll(async () => {
    dir = await tempFolder("am-size-cap-");
    opened = await store.open(dir.path);
    const src = join(dir.path, "src");
    await mkdir(src);
    for (const [path, size] of Object.entries(RECORDED))
      await writeFile(join(src, path), Buffer.alloc(size, 3));
    await opened.manager.logFiles("art", src);
  });
  afterAll(async () => {
    await opened?.cleanup();
    await dir?.remove();
  });

  for (const path of Object.keys(RECORDED) as Array<keyof typeof RECORDED>) {
    it(`${path} grown in the store: CHECKSUM_MISMATCH naming it, at most its recorded bytes read`, async () => {
      const driver = await opened.manager.getDriver();
      const key = `default/art/v0/${path}`;
      await driver.write(key, Buffer.alloc(GROWN[path], 4));
      try {
        const events: ProgressEvent[] = [];
        const to = join(dir.path, `to-${path}`);
        const error = await opened.manager
          .downloadArtifact("art", { to, paths: [path], onProgress: (e) => events.push(e) })
          .catch((e: unknown) => e);
        expect(isArtifactError(error, "CHECKSUM_MISMATCH")).toBe(true);
        expect((error as Error).message).toContain(key);
        expect(progressPeak(events)[path] ?? 0).toBeLessThanOrEqual(RECORDED[path]);
        expect(await readdir(to).catch(() => [])).toEqual([]);

        const verifyEvents: ProgressEvent[] = [];
        const result = await opened.manager.verify("art", { onProgress: (e) => verifyEvents.push(e) });
        expect(result.changed).toEqual([path]);
        expect(progressPeak(verifyEvents)[path] ?? 0).toBeLessThanOrEqual(RECORDED[path]);
      } finally {
        await driver.write(key, Buffer.alloc(RECORDED[path], 3));
        await rm(join(dir.path, `to-${path}`), { recursive: true, force: true });
      }
    });
  }

  it("the restored objects download again", async () => {
    const to = join(dir.path, "to-all");
    await opened.manager.downloadArtifact("art", { to });
    expect((await readdir(to)).sort()).toEqual(["big.bin", "tiny.txt"]);
  });
});
