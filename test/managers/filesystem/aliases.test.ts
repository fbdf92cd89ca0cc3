/** Alias objects in the store that are damaged: clear UNEXPECTED errors naming the object. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { tempFolder } from "./helpers.js";

describe("damaged alias objects", () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempFolder("am-alias-");
  });
  afterEach(() => dir.remove());

  it("an alias object that is not JSON is UNEXPECTED naming its key, and setAlias repairs it", async () => {
    const driver = createMemoryDriver();
    const manager = new FileSystemArtifactManager({ driver });
    const file = join(dir.path, "f.txt");
    await writeFile(file, "x");
    await manager.logFiles("art", file);
    const key = "default/art/meta/aliases/best.json";
    for (const text of ["{not json", "null", '{"version":7}']) {
      await driver.write(key, text);
      for (const action of [
        () => manager.listAliases("art"),
        () => manager.getVersion("art", { version: "best" }),
      ]) {
        const error = await action().catch((e: unknown) => e);
        expect(error, text).toMatchObject({ code: "UNEXPECTED" });
        expect((error as Error).message).toContain(key);
      }
    }
    await manager.setAlias("art", "best");
    expect(await manager.listAliases("art")).toEqual({ best: "v0" });
  });
});
