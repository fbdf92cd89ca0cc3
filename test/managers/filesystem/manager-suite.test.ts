import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalDriver } from "../../../src/drivers/local.js";
import { createMemoryDriver, deleteMemoryStore } from "../../../src/drivers/memory.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { DRIVER_HOOKS } from "../../conformance/driver-hooks.js";
import { describeManagerSuite } from "../../conformance/manager-suite.js";
import { withoutAtomicRename } from "../../fixtures/filesystem/without-atomic-rename.js";

describeManagerSuite(
  "filesystem (local folder)",
  async () => {
    const root = await mkdtemp(join(tmpdir(), "am-suite-store-"));
    return {
      manager: new FileSystemArtifactManager({ url: root }),
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
  },
  {
    corruptFile: async ({ manager, collection, name, version, path }) => {
      const file = join((manager as FileSystemArtifactManager).url, collection, name, version, path);
      const original = await readFile(file);
      await writeFile(file, Buffer.from(original.toString("utf8").toUpperCase()));
    },
    readDescription: async ({ manager, collection, name }) =>
      readFile(
        join((manager as FileSystemArtifactManager).url, collection, name, "meta", "readme.txt"),
        "utf8",
      ),
  },
);

describeManagerSuite(
  "filesystem (memory://)",
  async () => {
    const store = `suite-${randomBytes(4).toString("hex")}`;
    return {
      manager: new FileSystemArtifactManager({ url: `memory://${store}` }),
      cleanup: async () => deleteMemoryStore(store),
    };
  },
  DRIVER_HOOKS,
);

describeManagerSuite(
  "filesystem (local folder, object-store write path)",
  async () => {
    const root = await mkdtemp(join(tmpdir(), "am-suite-direct-"));
    const driver = withoutAtomicRename(createLocalDriver({ root }));
    return {
      manager: new FileSystemArtifactManager({ driver }),
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
  },
  {
    corruptFile: async ({ manager, collection, name, version, path }) => {
      const file = join((manager as FileSystemArtifactManager).url, collection, name, version, path);
      await writeFile(file, (await readFile(file, "utf8")).toUpperCase());
    },
  },
);

describeManagerSuite(
  "filesystem (memory, object-store write path: streams, claim + direct upload)",
  async () => {
    const memory = createMemoryDriver();
    return {
      manager: new FileSystemArtifactManager({ driver: withoutAtomicRename(memory) }),
      cleanup: async () => {},
    };
  },
  DRIVER_HOOKS,
);
