/** Issue 20 reuse suite on the local and memory stores, on both write paths (staged rename, direct). */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
