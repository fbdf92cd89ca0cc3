/** `--store` values that look like mistyped URLs are refused, never taken for a local folder name. */
import { expect, it } from "vitest";
import { openStore } from "../../src/cli/open-store.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";

const open = (url: string) => openStore({ url, collection: "default", cwd: "/tmp/cli-open-store" });

it("refuses s3:/bucket (one slash) and names the URL that was probably meant", () => {
  expect(() => open("s3:/bucket/prefix")).toThrow(
    /store 's3:\/bucket\/prefix' is not a URL: did you mean s3:\/\/bucket\/prefix\?/,
  );
  expect(() => open("gs:bucket")).toThrow(/did you mean gs:\/\/bucket\?/);
  expect(() => open("wandb:team/project")).toThrow(/did you mean wandb:\/\/team\/project\?/);
});

it("refuses an unknown scheme and lists the ones that exist, wandb:// included", () => {
  expect(() => open("hdfs:/data")).toThrow(/unknown scheme 'hdfs:'.*wandb:\/\/ENTITY\/PROJECT/);
});

it("keeps folders, ./names with colons, drive letters and real URLs", () => {
  expect(open("./s3:/bucket")).toBeInstanceOf(FileSystemArtifactManager);
  expect(open("artifacts")).toBeInstanceOf(FileSystemArtifactManager);
  expect(open("C:/data")).toBeInstanceOf(FileSystemArtifactManager);
  expect(open("memory://x")).toBeInstanceOf(FileSystemArtifactManager);
  expect(open("s3://bucket/prefix")).toBeInstanceOf(FileSystemArtifactManager);
});

it("the CLI exits 1 with one line and creates no folder", async () => {
  const { ensureBuilt, runCli } = await import("./run-cli.js");
  const { mkdtemp, readdir, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  await ensureBuilt();
  const dir = await mkdtemp(join(tmpdir(), "cli-open-store-"));
  try {
    const run = await runCli(["ls", "--store", "s3:/bucket"], { cwd: dir, env: {} });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/did you mean s3:\/\/bucket\? .*\[INVALID_ARGUMENT\]/);
    expect(await readdir(dir)).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);
