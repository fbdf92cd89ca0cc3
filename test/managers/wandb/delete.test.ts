/**
 * Deleting on W&B (issue 20) through the SDK's own protocol (`deleteArtifact` with `deleteAliases`):
 * our deletes as the real SDK sees them, the SDK's deletes as we see them, aliases refused unless
 * forced, `latest` moved, numbers never reused, and deleteArtifact / prune built on top.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WandbArtifactManager } from "../../../src/managers/wandb/wandb-artifact-manager.js";
import { type EmulatorFixture, startFixture } from "./fixtures.js";
import { startHostileProxy } from "./hostile-proxy.js";
import { runSdk } from "./wandb-sdk.js";

let fx: EmulatorFixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(() => fx.close());

/** Logs `count` versions of `name` with different content (identical content would be reused). */
async function logVersions(m: WandbArtifactManager, name: string, count: number): Promise<void> {
  const dir = join(fx.dir, `${name}-src`);
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    await writeFile(join(dir, "data.txt"), `${name} version ${i}\n`);
    await m.logFiles(name, dir, { collection: "dataset" });
  }
}

const ds = { collection: "dataset" } as const;

describe("W&B deleteVersion / deleteArtifact / prune (issue 20)", () => {
  it("refuses a version with a user alias unless forced; force removes the alias with it", async () => {
    const m = fx.manager({ project: "del-alias" });
    await logVersions(m, "model", 3);
    await m.setAlias("model", "best", { ...ds, version: 1 });
    await expect(m.deleteVersion("model", { ...ds, version: 1 })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(fx.emulator.state.deletes).toHaveLength(0);
    expect(await m.listVersions("model", ds)).toEqual(["v0", "v1", "v2"]);
    const deleted = await m.deleteVersion("model", { ...ds, version: "best", force: true });
    expect(deleted).toMatchObject({
      name: "model",
      collection: "dataset",
      version: "v1",
      aliases: ["best"],
      files: 1,
    });
    expect(deleted.bytes).toBe("model version 1\n".length);
    expect(await m.listVersions("model", ds)).toEqual(["v0", "v2"]);
    expect(await m.listAliases("model", ds)).toEqual({});
    await expect(m.getVersion("model", { ...ds, version: 1 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(m.deleteVersion("model", { ...ds, version: 1 })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("deleting the latest version moves latest down; the next log takes a new number", async () => {
    const m = fx.manager({ project: "del-latest" });
    await logVersions(m, "ckpt", 3);
    expect((await m.deleteVersion("ckpt", { ...ds, version: "latest" })).version).toBe("v2");
    expect((await m.getVersion("ckpt", ds)).version).toBe("v1");
    const dir = join(fx.dir, "ckpt-next");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "data.txt"), "after the delete\n");
    expect((await m.logFiles("ckpt", dir, ds)).version).toBe("v3");
    expect(await m.listVersions("ckpt", ds)).toEqual(["v0", "v1", "v3"]);
    expect((await m.getVersion("ckpt", ds)).version).toBe("v3");
  });

  it("deleteArtifact removes every version (aliases refused unless forced); prune keeps the last N", async () => {
    const m = fx.manager({ project: "del-all" });
    await logVersions(m, "gone", 2);
    await m.setAlias("gone", "prod", ds);
    await expect(m.deleteArtifact("gone", ds)).rejects.toMatchObject({ code: "CONFLICT" });
    const result = await m.deleteArtifact("gone", { ...ds, force: true });
    expect(result.versions.map((v) => v.version)).toEqual(["v0", "v1"]);
    await expect(m.listVersions("gone", ds)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await m.listArtifacts("dataset")).not.toContain("gone");

    await logVersions(m, "kept", 4);
    const pruned = await m.prune("kept", { ...ds, keepLast: 1 });
    expect(pruned.removed.map((v) => v.version)).toEqual(["v0", "v1", "v2"]);
    expect(await m.listVersions("kept", ds)).toEqual(["v3"]);
    expect((await m.getVersion("kept", ds)).version).toBe("v3");
  });

  it("the emulator is strict: deleteArtifact of a version holding latest needs deleteAliases", async () => {
    const m = fx.manager({ project: "del-strict" });
    await logVersions(m, "one", 1);
    const sequence = fx.emulator.state.project(fx.emulator.entity, "del-strict")?.sequences.get("one");
    const id = sequence?.versions[0]?.id;
    const answer = await fetch(`${fx.emulator.url}/graphql`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`api:${fx.emulator.apiKey}`).toString("base64")}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        query:
          "mutation D($input: DeleteArtifactInput!) { deleteArtifact(input: $input) { artifact { id } } }",
        variables: { input: { artifactID: id } },
      }),
    });
    expect(answer.status).toBe(409);
    expect(await m.listVersions("one", ds)).toEqual(["v0"]);
  });
});

describe("a download running while its version is deleted (issue 20)", () => {
  it("completes with verified files (W&B soft-deletes; its files go later); a later one is NOT_FOUND", async () => {
    const m = fx.manager({ project: "del-during" });
    await logVersions(m, "busy", 2);
    const proxy = await startHostileProxy(fx.emulator.url);
    try {
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let blobAsked = () => {};
      const asked = new Promise<void>((resolve) => {
        blobAsked = resolve;
      });
      proxy.rules.push(async (req) => {
        if (req.operation !== "storage:blob") return false;
        blobAsked();
        await held; // the file's bytes are asked for before the delete and served after it
        return false;
      });
      const reader = fx.manager({ project: "del-during", baseUrl: proxy.url });
      const to = join(fx.dir, "busy-out");
      const download = reader.downloadArtifact("busy", { ...ds, version: 1, to });
      await asked;
      expect((await m.deleteVersion("busy", { ...ds, version: 1 })).version).toBe("v1");
      release();
      await download;
      expect(await readFile(join(to, "data.txt"), "utf8")).toBe("busy version 1\n");
      await expect(
        reader.downloadArtifact("busy", { ...ds, version: 1, to: join(fx.dir, "busy-late") }),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
    } finally {
      await proxy.close();
    }
  });
});

describe("W&B deletes and the real SDK (issue 20)", () => {
  const project = "del-sdk";
  const list = () =>
    runSdk<{ versions: Array<{ version: string; aliases: string[] }>; missing: Record<string, string> }>(
      fx.emulator,
      join(fx.dir, "sdk-del-home"),
      "delete_versions.py",
      ["list", `${fx.emulator.entity}/${project}`, "dataset", "shared"],
    );

  it("the SDK no longer finds a version we deleted; latest is where we put it", async () => {
    const m = fx.manager({ project });
    await logVersions(m, "shared", 3);
    await m.setAlias("shared", "best", { ...ds, version: 2 });
    await m.deleteVersion("shared", { ...ds, version: 2, force: true });
    const seen = await list();
    expect(seen.versions).toEqual([
      { version: "v0", aliases: [] },
      { version: "v1", aliases: ["latest"] },
    ]);
    expect(Object.keys(seen.missing)).toContain("v2");
    expect(Object.keys(seen.missing)).not.toContain("v1");
  }, 120_000);

  it("a delete made with the SDK is what we see; the SDK without delete_aliases is refused as we refuse", async () => {
    const m = fx.manager({ project });
    await logVersions(m, "theirs", 2);
    const sdk = (version: string, deleteAliases: boolean) =>
      runSdk<{ deleted?: string; error?: string }>(
        fx.emulator,
        join(fx.dir, "sdk-del-home"),
        "delete_versions.py",
        ["delete", `${fx.emulator.entity}/${project}/theirs:${version}`, deleteAliases ? "1" : "0"],
      );
    expect(await sdk("v0", false)).toEqual({ deleted: "v0" });
    expect(await m.listVersions("theirs", ds)).toEqual(["v1"]);
    const refused = await sdk("v1", false); // it holds latest: the server refuses, as the real one does
    expect(refused.error).toMatch(/aliases/);
    expect(await m.listVersions("theirs", ds)).toEqual(["v1"]);
    expect(await sdk("v1", true)).toEqual({ deleted: "v1" });
    await expect(m.listVersions("theirs", ds)).rejects.toMatchObject({ code: "NOT_FOUND" });
  }, 120_000);
});
