/**
 * A process that deletes a version and is killed (SIGKILL, no cleanup of any kind) at a chosen point:
 *   node --import tsx delete-worker.ts ROOT COLLECTION NAME VERSION after-hide|after-rename [direct]
 * `after-hide`: right after the record became a tombstone; `after-rename`: right after `v<N>/` moved
 * to `meta/trash/` (local staging path only). `direct` hides the atomic rename (object-store path).
 */
import { createLocalDriver } from "../../../src/drivers/local.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { withoutAtomicRename } from "../../fixtures/filesystem/without-atomic-rename.js";
import { gatedDriver } from "../gated-driver.js";

const [root, collection, name, version, point, flag] = process.argv.slice(2) as string[];
const local = createLocalDriver({ root: root as string });
const die = () => process.kill(process.pid, "SIGKILL");
const driver = gatedDriver(flag === "direct" ? withoutAtomicRename(local) : local, {
  afterWrite: (key) => {
    if (point === "after-hide" && key === `${collection}/${name}/meta/versions/${version}.json`) die();
  },
  afterRename: (from) => {
    if (point === "after-rename" && from === `${collection}/${name}/${version}/`) die();
  },
});
const manager = new FileSystemArtifactManager({ driver, collection: collection as string });
await manager.deleteVersion(name as string, { version: version as string });
process.stdout.write("not killed\n");
