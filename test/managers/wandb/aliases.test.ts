/**
 * Aliases as the SDK 0.30 edits them (issue 22.5): single aliases named with their collection through
 * addAliases / deleteAliases (never a version's whole list through updateArtifact), and only the
 * aliases of the artifact's own collection are read.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aliasesIn } from "../../../src/managers/wandb/resolve.js";
import { type EmulatorFixture, startFixture } from "./fixtures.js";

let fx: EmulatorFixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx.close());

const mutations = () =>
  fx.emulator.faults.requests
    .filter((r) => r.kind === "graphql" && /Aliases|UpdateArtifact/.test(r.operation ?? ""))
    .map((r) => r.operation);

describe("W&B aliases", () => {
  it("setAlias / removeAlias send addAliases / deleteAliases; an alias moves between versions", async () => {
    const m = fx.manager({ project: "aliases" });
    const dir = join(fx.dir, "src");
    await mkdir(dir);
    for (const content of ["one", "two"]) {
      await writeFile(join(dir, "f.txt"), content);
      await m.logFiles("named", dir);
    }
    fx.emulator.faults.reset();
    await m.setAlias("named", "best", { version: 0 });
    await m.setAlias("named", "keep", { version: 0 });
    expect(await m.listAliases("named")).toEqual({ best: "v0", keep: "v0" });
    await m.setAlias("named", "best", { version: 1 });
    expect(await m.listAliases("named")).toEqual({ best: "v1", keep: "v0" });
    await m.removeAlias("named", "keep");
    expect(await m.listAliases("named")).toEqual({ best: "v1" });
    expect(mutations()).toEqual(["AddAliases", "AddAliases", "AddAliases", "DeleteAliases"]);
    const v1 = fx.emulator.state.project(fx.emulator.entity, "aliases")?.sequences.get("named")?.versions[1];
    expect(fx.emulator.state.aliasesOf(v1 as NonNullable<typeof v1>).sort()).toEqual(["best", "latest"]);
  });

  it("a version's aliases in other collections (registry links) are not its aliases here", () => {
    const listed = [
      { alias: "best", artifactCollection: { name: "named" } },
      { alias: "production", artifactCollection: { name: "registry-models" } },
      { alias: "old-server", artifactCollection: null },
    ];
    expect(aliasesIn(listed, "named")).toEqual(["best", "old-server"]);
  });
});
