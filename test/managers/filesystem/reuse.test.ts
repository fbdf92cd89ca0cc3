/** Issue 20 reuse suite on the local and memory stores, on both write paths (staged rename, direct). */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLocalDriver } from "../../../src/drivers/local.js";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { describeReuseSuite } from "../../conformance/reuse-suite.js";
import { withoutAtomicRename } from "../../fixtures/filesystem/without-atomic-rename.js";

describeReuseSuite("local folder", async () => {
  const root = await mkdtemp(join(tmpdir(), "am-reuse-store-"));
  return {
    manager: new FileSystemArtifactManager({ url: root }),
    cleanup: () => rm(root, { recursive: true }),
  };
});

describeReuseSuite("memory://", async () => ({
  manager: new FileSystemArtifactManager({ url: `memory://reuse-${randomBytes(4).toString("hex")}` }),
  cleanup: async () => {},
}));

describeReuseSuite("local folder, object-store write path", async () => {
  const root = await mkdtemp(join(tmpdir(), "am-reuse-direct-"));
  const driver = withoutAtomicRename(createLocalDriver({ root }));
  return { manager: new FileSystemArtifactManager({ driver }), cleanup: () => rm(root, { recursive: true }) };
});

describeReuseSuite("memory, object-store write path", async () => ({
  manager: new FileSystemArtifactManager({ driver: withoutAtomicRename(createMemoryDriver()) }),
  cleanup: async () => {},
}));

describe("store copies and cancellation", () => {
  it("Ctrl-C during a copy rejects with the abort reason (no upload fallback) and commits nothing", async () => {
    const { mkdtemp: tmp, writeFile: write } = await import("node:fs/promises");
    const dir = await tmp(join(tmpdir(), "am-reuse-abort-"));
    try {
      const data = randomBytes(50_000);
      await write(join(dir, "a.bin"), data);
      const base = createMemoryDriver();
      const copy = base.copy?.bind(base) as NonNullable<typeof base.copy>;
      const controller = new AbortController();
      const reason = new Error("interrupted");
      let writesAfterAbort = 0;
      const driver: typeof base = Object.create(base);
      driver.copy = async (from, to, options) => {
        controller.abort(reason);
        await copy(from, to, options);
        throw new Error("the copy's answer was lost");
      };
      driver.write = (key, body, options) => {
        if (controller.signal.aborted && key.endsWith("a.bin")) writesAfterAbort++;
        return base.write(key, body, options);
      };
      const manager = new FileSystemArtifactManager({ driver });
      await manager.logFiles("m", join(dir, "a.bin"));
      const error = await manager
        .logFiles("m", join(dir, "a.bin"), { signal: controller.signal })
        .catch((e: unknown) => e);
      expect(error).toBe(reason);
      expect(writesAfterAbort).toBe(0);
      expect(await manager.listVersions("m")).toEqual(["v0"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
