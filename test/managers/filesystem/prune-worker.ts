/**
 * A separate process that prunes a local store (for the multi-process prune test):
 *   node --import tsx prune-worker.ts ROOT NAME KEEP_LAST WORKER [direct]  → prints the removed versions as JSON
 * With BARRIER_DIR / BARRIER_COUNT, all workers start pruning together (../../fixtures/file-barrier.ts).
 */
import { createLocalDriver } from "../../../src/drivers/local.js";
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { waitAtFileBarrier } from "../../fixtures/file-barrier.js";
import { withoutAtomicRename } from "../../fixtures/filesystem/without-atomic-rename.js";

const [root, name, keepLast, worker, flag] = process.argv.slice(2) as string[];
const local = createLocalDriver({ root: root as string });
const manager = new FileSystemArtifactManager({
  driver: flag === "direct" ? withoutAtomicRename(local) : local,
});
await waitAtFileBarrier(worker as string);
const result = await manager.prune(name as string, { keepLast: Number(keepLast) });
process.stdout.write(`${JSON.stringify(result.removed.map((v) => v.version))}\n`);
