/**
 * `artifacts log --alias`: a failure after the version is committed (setting the alias, reading it
 * back) never reads as a failed log: the error says the version is committed and how to finish.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { logArtifact } from "../../src/cli/commands/log.js";
import { describeError } from "../../src/cli/output/print.js";
import { createMemoryDriver } from "../../src/drivers/memory.js";
import { ArtifactError } from "../../src/errors.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "log-after-commit-"));
  await writeFile(join(dir, "f.txt"), "hello");
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it("an alias that cannot be set after the commit: the error names the committed version and the command to finish", async () => {
  const manager = new FileSystemArtifactManager({ driver: createMemoryDriver() });
  manager.setAlias = async () => {
    throw new ArtifactError("UNAVAILABLE", "the store went away", { retryable: true });
  };
  const controller = new AbortController();
  const error = await logArtifact(
    {
      manager,
      store: "memory://",
      explicitCollection: undefined,
      signal: controller.signal,
      onProgress: () => {},
      cwd: dir,
      stdout: process.stdout,
    },
    { positionals: ["f.txt", "art"], values: { alias: ["best"] } },
  ).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: "UNAVAILABLE", context: { commit: "committed" } });
  expect(String((error as Error).message)).toBe(
    "art:v0 was committed in collection 'default' (complete and kept: do not log it again), but pointing alias 'best' at it failed: the store went away; to set the aliases, run: artifacts alias art:v0 best",
  );
  expect(await manager.verify("art")).toMatchObject({ ok: true });
  // After a Ctrl-C too, the message says it.
  expect(describeError(error, "SIGINT").message).toMatch(
    /^cancelled by SIGINT \(Ctrl-C\), but art:v0 was committed/,
  );
});
