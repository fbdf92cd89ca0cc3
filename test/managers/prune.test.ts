/**
 * prune's age rule with real ages (records dated 40 and 10 days back), versions without a date
 * (Python scaffold's) kept, and the duration option it takes.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { durationMs } from "../../src/core/duration.js";
import { createMemoryDriver } from "../../src/drivers/memory.js";
import { isArtifactError } from "../../src/errors.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { readAll } from "../../src/storage/body.js";
import type { StorageDriver } from "../../src/storage/driver.js";

const DAY = 86_400_000;
let local: string;
beforeAll(async () => {
  local = await mkdtemp(join(tmpdir(), "am-prune-"));
  await writeFile(join(local, "f.txt"), "weights");
});
afterAll(() => rm(local, { recursive: true, force: true }));

/** Rewrites version N's record as if it had been logged `days` ago. */
async function backdate(driver: StorageDriver, n: number, days: number): Promise<void> {
  const key = `default/model/meta/versions/v${n}.json`;
  const record = JSON.parse((await readAll(await driver.read(key))).toString("utf8"));
  record.createdAt = new Date(Date.now() - days * DAY).toISOString();
  await driver.write(key, JSON.stringify(record));
}

describe("prune --older-than", () => {
  it("removes only versions logged before the period; keeps undated (scaffold) versions", async () => {
    const driver = createMemoryDriver();
    const manager = new FileSystemArtifactManager({ driver });
    for (let i = 0; i < 3; i++) await manager.logFiles("model", join(local, "f.txt"));
    await backdate(driver, 0, 40);
    await backdate(driver, 1, 10);
    await driver.write("default/model/v3/f.txt", "written by Python scaffold"); // legacy: no record
    expect(await manager.listVersions("model")).toEqual(["v0", "v1", "v2", "v3"]);
    const month = await manager.prune("model", { olderThan: "30d" });
    expect(month.removed.map((v) => v.version)).toEqual(["v0"]);
    expect(month.removed[0]?.createdAt).toMatch(/^\d{4}-/);
    expect(month.kept.map((k) => `${k.version}:${k.reason}`)).toEqual([
      "v1:newer",
      "v2:newer",
      "v3:no-creation-time",
    ]);
    const week = await manager.prune("model", { olderThan: 7 * DAY, keepLast: 1 });
    expect(week.removed.map((v) => v.version)).toEqual(["v1"]);
    expect(await manager.listVersions("model")).toEqual(["v2", "v3"]);
  });
});

describe("durationMs", () => {
  it("takes milliseconds or a number with a unit; refuses the rest naming the option", () => {
    expect(durationMs("olderThan", 0)).toBe(0);
    expect(durationMs("olderThan", 1500)).toBe(1500);
    expect(durationMs("olderThan", "0")).toBe(0);
    expect(durationMs("olderThan", "500ms")).toBe(500);
    expect(durationMs("olderThan", "90s")).toBe(90_000);
    expect(durationMs("olderThan", "30m")).toBe(1_800_000);
    expect(durationMs("olderThan", "1.5h")).toBe(5_400_000);
    expect(durationMs("olderThan", "30d")).toBe(30 * DAY);
    for (const bad of ["30", "1y", "-1d", "", "d", Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      let error: unknown;
      try {
        durationMs("olderThan", bad as string);
      } catch (caught) {
        error = caught;
      }
      expect(isArtifactError(error, "INVALID_ARGUMENT"), String(bad)).toBe(true);
      expect((error as Error).message).toContain("`olderThan`");
    }
  });
});
