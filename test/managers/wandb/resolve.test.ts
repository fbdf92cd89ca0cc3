/** W&B version selectors resolve like the filesystem manager's: `3`, `"3"` and `"v3"` are version 3. */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { utcDateTime } from "../../../src/managers/wandb/resolve.js";
import type { WandbArtifactManager } from "../../../src/managers/wandb/wandb-artifact-manager.js";
import { type EmulatorFixture, startFixture } from "./fixtures.js";

let fx: EmulatorFixture;
let m: WandbArtifactManager;
let n = 0;
beforeAll(async () => {
  fx = await startFixture();
  m = fx.manager({ project: "resolve" });
  for (const i of [0, 1, 2, 3]) {
    const dir = join(fx.dir, `src-${i}`);
    await mkdir(dir);
    await writeFile(join(dir, "i.txt"), `version ${i}`);
    await m.logFiles("numbered", dir);
  }
});
afterAll(() => fx.close());

describe("W&B version selectors", () => {
  it('3 and "3" select v3 exactly like the filesystem manager; "v3" too', async () => {
    for (const version of [3, "3", "v3"] as const) {
      expect((await m.getVersion("numbered", { version })).version).toBe("v3");
      const to = join(fx.dir, `numbered-${++n}`);
      expect((await m.downloadArtifact("numbered", { to, version })).version).toBe("v3");
      expect(await readFile(join(to, "i.txt"), "utf8")).toBe("version 3");
    }
    expect((await m.getVersion("numbered", { version: "0" })).version).toBe("v0");
  });

  it("a digit string of a missing version is NOT_FOUND; malformed numbers are INVALID_ARGUMENT", async () => {
    await expect(m.getVersion("numbered", { version: "9" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    for (const version of ["007", "v07", -1, 1.5, Number.NaN, ""]) {
      await expect(m.getVersion("numbered", { version })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
    }
  });
});

describe("W&B DateTimes", () => {
  it("are UTC without a zone: utcDateTime marks them as such and keeps zoned ones", () => {
    expect(utcDateTime("2026-12-07T02:21:30")).toBe("2026-12-07T02:21:30Z");
    expect(utcDateTime("2026-12-07T02:21:30.123456")).toBe("2026-12-07T02:21:30.123456Z");
    expect(utcDateTime("2026-12-07T02:21:30Z")).toBe("2026-12-07T02:21:30Z");
    expect(utcDateTime("2026-12-07T02:21:30+01:00")).toBe("2026-12-07T02:21:30+01:00");
  });

  it("the emulator sends them as W&B does, and getVersion gives the instant with its zone", async () => {
    const record = await m.getVersion("numbered", { version: 0 });
    const stored = fx.emulator.state.artifacts.values().next().value?.createdAt;
    expect(stored).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(record.createdAt).toBe(`${stored}Z`);
  });
});
