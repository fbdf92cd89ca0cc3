/**
 * A separate writer process for the cloud concurrency test:
 *   node --import tsx log-worker.ts URL NAME COUNT WORKER   (STORAGE_OPTIONS = JSON in the environment)
 * logs COUNT versions of NAME and prints the versions it got as JSON. With BARRIER_DIR and BARRIER_COUNT=N
 * every worker, once its driver is ready, waits at the file barrier (../../fixtures/file-barrier.ts) until
 * all N are ready, so that they race however slow their start-up is.
 */
import { FileSystemArtifactManager } from "../../../src/managers/file-system-artifact-manager.js";
import { waitAtFileBarrier } from "../../fixtures/file-barrier.js";
import { writeVersionFiles } from "../../fixtures/filesystem/version-files.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const [url, name, countText, worker] = process.argv.slice(2) as [string, string, string, string];
const storageOptions = JSON.parse(process.env.STORAGE_OPTIONS ?? "{}") as Record<string, unknown>;
const manager = new FileSystemArtifactManager({ url, storageOptions });
await manager.getDriver();
await waitAtFileBarrier(worker);
const versions: string[] = [];
for (let i = 0; i < Number(countText); i++) {
  const id = `worker-${worker}-log-${i}`;
  const artifact = await manager.logFolder(name, (dir) => writeVersionFiles(dir, id), {
    description: id,
    metadata: { id },
  });
  versions.push(artifact?.version ?? "none");
}
await (await manager.getDriver()).close?.();
process.stdout.write(`${JSON.stringify(versions)}\n`);
