/** Batching and paging: createArtifactFiles in batches, file URLs and versions over several pages. */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorFixture, startFixture } from "./fixtures.js";

let fx: EmulatorFixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx.close());

const count = (operation: string) =>
  fx.emulator.faults.requests.filter((r) => r.operation === operation).length;

describe("W&B batching and paging", () => {
  it("sends createArtifactFiles in batches and pages through 1001 file URLs", async () => {
    const m = fx.manager({ project: "many-files", fileBatchSize: 400, concurrency: 16 });
    const dir = join(fx.dir, "many");
    await mkdir(join(dir, "sub"), { recursive: true });
    await Promise.all(
      Array.from({ length: 1001 }, (_, i) =>
        writeFile(join(dir, i % 2 ? "sub" : "", `f${i}.txt`), `file ${i}`),
      ),
    );
    fx.emulator.faults.reset();
    expect((await m.logFiles("many", dir)).version).toBe("v0");
    expect(count("CreateArtifactFiles")).toBe(3);
    const to = join(fx.dir, "many-out");
    await m.downloadArtifact("many", { to });
    expect(count("ArtifactMembershipFileURLs")).toBe(2);
    expect((await readdir(to)).length + (await readdir(join(to, "sub"))).length - 1).toBe(1001);
    expect((await m.getVersion("many")).files).toHaveLength(1001);
  });

  it("lists more than one page of versions (page size 100)", async () => {
    const m = fx.manager({ project: "many-versions" });
    const dir = join(fx.dir, "versions");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "v.txt"), "same bytes every time");
    expect((await m.logFiles("long", dir)).version).toBe("v0");
    // 120 more versions written straight into the emulator's state: paging is what is tested here
    const sequence = fx.emulator.state.project(fx.emulator.entity, "many-versions")?.sequences.get("long");
    const first = sequence?.versions[0];
    if (!sequence || !first) throw new Error("v0 missing in the emulator");
    for (let i = 1; i <= 120; i++) {
      const copy = { ...first, id: fx.emulator.state.nextId("Artifact"), versionIndex: i };
      sequence.artifacts.push(copy);
      sequence.versions.push(copy);
      fx.emulator.state.artifacts.set(copy.id, copy);
    }
    sequence.aliases.set("latest", sequence.versions[120] ?? first);
    fx.emulator.faults.reset();
    const versions = await m.listVersions("long");
    expect(versions).toHaveLength(121);
    expect(versions.at(-1)).toBe("v120");
    expect(count("ProjectArtifacts")).toBe(2);
    expect((await m.getVersion("long")).version).toBe("v120");
  });
});
