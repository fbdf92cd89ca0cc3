/**
 * A separate process for the cache's multi-process test:
 *   node --import tsx cache-worker.ts download URL NAME VERSIONS ROUNDS ID   (STORAGE_OPTIONS = JSON)
 *     downloads versions VERSIONS (comma-separated) ROUNDS times, round-robin from ID, each into a fresh
 *     folder through the default cache (ARTIFACTS_CACHE_DIR, ARTIFACTS_CACHE_MAX), and checks every
 *     file against the version's record; prints "ok <downloads>".
 *   node --import tsx cache-worker.ts prune DIR STOP
 *     prunes to 0 bytes and clears the cache at DIR, alternately, until the file STOP exists; prints
 *     "ok <files removed>".
 * Both wait at the file barrier (BARRIER_DIR, BARRIER_COUNT) first, so that they overlap.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DownloadCache } from "../../src/cache/download-cache.js";
import { FileSystemArtifactManager } from "../../src/managers/file-system-artifact-manager.js";
import { waitAtFileBarrier } from "../fixtures/file-barrier.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const [mode, ...args] = process.argv.slice(2);

if (mode === "prune") {
  const [dir, stop] = args as [string, string];
  const cache = new DownloadCache({ dir });
  await waitAtFileBarrier(`prune-${process.pid}`);
  let removed = 0;
  for (let i = 0; !existsSync(stop); i++) {
    removed += (i % 2 === 0 ? await cache.prune({ maxBytes: 0 }) : await cache.clear()).removedFiles;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  process.stdout.write(`ok ${removed}\n`);
} else {
  const [url, name, versions, rounds, id] = args as [string, string, string, string, string];
  const storageOptions = JSON.parse(process.env.STORAGE_OPTIONS ?? "{}") as Record<string, unknown>;
  const manager = new FileSystemArtifactManager({ url, storageOptions });
  const list = versions.split(",");
  const work = await mkdtemp(join(tmpdir(), "cache-worker-"));
  await manager.getDriver();
  await waitAtFileBarrier(`download-${id}`);
  try {
    for (let i = 0; i < Number(rounds); i++) {
      const version = list[(i + Number(id)) % list.length] as string;
      const to = join(work, String(i));
      await manager.downloadArtifact(name, { version, to });
      for (const file of (await manager.getVersion(name, { version })).files) {
        const got = createHash("sha256")
          .update(await readFile(join(to, file.path)))
          .digest("hex");
        if (got !== file.sha256)
          throw new Error(`${version}/${file.path}: sha256 ${got}, record ${file.sha256}`);
      }
      await rm(to, { recursive: true, force: true });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
    await manager.close();
  }
  process.stdout.write(`ok ${rounds}\n`);
}
