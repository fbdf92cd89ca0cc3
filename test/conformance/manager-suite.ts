/**
 * The reusable ArtifactManager suite: a port of Python scaffold's own tests for its artifact managers
 * (log file → v0, v1 with description; exists / existsInCollection; download v0 and v1; logFolder then
 * download; temporary download) plus aliases, verify and bad input. It uses only the public
 * ArtifactManager API, so every backend (local, memory, s3, gs, az, W&B) runs the same tests; store-
 * specific checks come in through optional hooks. Each test uses its own random collection.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe } from "vitest";
import { registerBadInput } from "./manager-suite/bad-input.js";
import type { ManagerFixture, ManagerSuiteOptions, SuiteContext } from "./manager-suite/context.js";
import { registerFolderAndDownload } from "./manager-suite/folders.js";
import { registerAliases, registerIntegrity, registerRecords } from "./manager-suite/records.js";
import { registerScaffoldPort } from "./manager-suite/scaffold-port.js";

export type { ArtifactLocation, ManagerFixture, ManagerSuiteOptions } from "./manager-suite/context.js";

export function describeManagerSuite(
  name: string,
  setup: () => Promise<ManagerFixture>,
  options: ManagerSuiteOptions = {},
): void {
  describe(`artifact manager suite: ${name}`, () => {
    let fixture: ManagerFixture | undefined;
    let local = "";
    beforeAll(async () => {
      fixture = await setup();
      local = await mkdtemp(join(tmpdir(), "am-suite-"));
    });
    afterAll(async () => {
      await fixture?.cleanup();
      if (local) await rm(local, { recursive: true, force: true });
    });
    const ctx: SuiteContext = {
      manager: () => {
        if (!fixture) throw new Error("manager setup failed");
        return fixture.manager;
      },
      local: () => local,
      collection: () => `c-${randomBytes(4).toString("hex")}`,
      file: async (relative, content) => {
        const path = join(local, randomBytes(4).toString("hex"), relative);
        await mkdir(join(path, ".."), { recursive: true });
        await writeFile(path, content);
        return path;
      },
      options,
    };
    registerScaffoldPort(ctx);
    registerFolderAndDownload(ctx);
    registerRecords(ctx);
    if (options.aliases ?? true) registerAliases(ctx);
    registerIntegrity(ctx);
    registerBadInput(ctx);
  });
}
