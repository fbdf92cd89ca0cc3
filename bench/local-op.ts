/**
 * One measured operation of the local benchmark, run in its own process so that peak RSS belongs to it:
 *   node --import tsx bench/local-op.ts log STORE NAME SOURCE   |   download STORE NAME TARGET   |   sha256 SOURCE
 * Prints `{"seconds": …, "maxRssMiB": …}`.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { FileSystemArtifactManager } from "../src/managers/file-system-artifact-manager.js";
import { mapConcurrent } from "../src/util/map-concurrent.js";

const [operation, a, b, c] = process.argv.slice(2) as [string, string, string, string];

async function sha256Pass(source: string): Promise<void> {
  const entries = await readdir(source, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  await mapConcurrent(files, async (file) => {
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }))
      hash.update(chunk as Buffer);
    hash.digest("hex");
  });
}

const start = performance.now();
if (operation === "log") await new FileSystemArtifactManager({ url: a }).logFiles(b, c);
else if (operation === "download")
  await new FileSystemArtifactManager({ url: a }).downloadArtifact(b, { to: c });
else if (operation === "sha256") await sha256Pass(a);
else throw new Error(`unknown operation ${operation}`);
const seconds = (performance.now() - start) / 1000;
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ seconds, maxRssMiB })}\n`);
