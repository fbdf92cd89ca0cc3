/** Delete races on local disk (reads through the driver, so the gates see them) and memory://. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalDriver } from "../../../src/drivers/local.js";
import { createMemoryDriver } from "../../../src/drivers/memory.js";
import { withoutAtomicRename } from "../../fixtures/filesystem/without-atomic-rename.js";
import { describeDeleteRaces } from "../delete-races.js";

async function localStore() {
  const root = await mkdtemp(join(tmpdir(), "am-delete-races-store-"));
  return { driver: createLocalDriver({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
}

describeDeleteRaces("local folder", localStore, { hideLocalPath: true });
describeDeleteRaces(
  "local folder, object-store path",
  async () => {
    const store = await localStore();
    return { ...store, driver: withoutAtomicRename(store.driver) };
  },
  { hideLocalPath: true },
);
describeDeleteRaces("memory://", async () => ({ driver: createMemoryDriver(), cleanup: async () => {} }));
describeDeleteRaces("memory, object-store path", async () => ({
  driver: withoutAtomicRename(createMemoryDriver()),
  cleanup: async () => {},
}));
