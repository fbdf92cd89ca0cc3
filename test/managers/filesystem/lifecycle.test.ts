/** The delete and retention suite on local disk and memory:// (both write paths). */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalDriver } from "../../../src/drivers/local.js";
import { createMemoryDriver, deleteMemoryStore } from "../../../src/drivers/memory.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { withoutAtomicRename } from "../../fixtures/filesystem/without-atomic-rename.js";
import { describeLifecycleSuite } from "../lifecycle-suite.js";

describeLifecycleSuite("local folder", async () => {
  const root = await mkdtemp(join(tmpdir(), "am-lifecycle-store-"));
  return {
    manager: new FileSystemArtifactManager({ url: root }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describeLifecycleSuite("memory://", async () => {
  const store = `lifecycle-${randomBytes(4).toString("hex")}`;
  return {
    manager: new FileSystemArtifactManager({ url: `memory://${store}` }),
    cleanup: async () => deleteMemoryStore(store),
  };
});

describeLifecycleSuite("local folder, object-store path (no atomic rename)", async () => {
  const root = await mkdtemp(join(tmpdir(), "am-lifecycle-direct-"));
  return {
    manager: new FileSystemArtifactManager({ driver: withoutAtomicRename(createLocalDriver({ root })) }),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describeLifecycleSuite("memory, object-store path (no atomic rename)", async () => ({
  manager: new FileSystemArtifactManager({ driver: withoutAtomicRename(createMemoryDriver()) }),
  cleanup: async () => {},
}));
