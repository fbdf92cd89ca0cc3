/** W&B's own `wandb-*` artifact types (run history, tables) are not listed as collections (issue 22.12). */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type EmulatorFixture, startFixture } from "./fixtures.js";

let fx: EmulatorFixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx.close());

it("listCollectionNames leaves out wandb-* types, which no collection of ours can be", async () => {
  const m = fx.manager({ project: "reserved" });
  const dir = join(fx.dir, "src");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "f.txt"), "f");
  await m.logFiles("model", dir, { collection: "weights" });
  const project = fx.emulator.state.project(fx.emulator.entity, "reserved");
  if (!project) throw new Error("no project");
  const createdAt = fx.emulator.state.now();
  for (const name of ["wandb-history", "wandb-run-table"]) {
    project.types.set(name, { id: fx.emulator.state.nextId("ArtifactType"), name, createdAt, project });
  }
  expect(await m.listCollectionNames()).toEqual(["weights"]);
  await expect(m.listArtifacts("wandb-history")).rejects.toMatchObject({ code: "INVALID_NAME" });
});
