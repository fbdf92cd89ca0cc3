/** Finds `state.pt` in a downloaded version: at its root, or inside a single top-level folder. */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { ArtifactError } from "../errors.js";

/** The name of the checkpoint file inside a ModelLogger artifact. */
export const STATE_FILE = "state.pt";

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/**
 * `dir/state.pt`, or `dir/<folder>/state.pt` when the version holds one folder (what Python scaffold's
 * DirectoryLogger leaves on local stores). NOT_FOUND otherwise.
 */
export async function findStateFile(dir: string, artifact: string): Promise<string> {
  const direct = join(dir, STATE_FILE);
  if (await isFile(direct)) return direct;
  const entries = await readdir(dir, { withFileTypes: true });
  const folders = entries.filter((e) => e.isDirectory());
  if (folders.length === 1 && entries.length === 1) {
    const nested = join(dir, (folders[0] as { name: string }).name, STATE_FILE);
    if (await isFile(nested)) return nested;
  }
  throw new ArtifactError(
    "NOT_FOUND",
    `artifact '${artifact}' has no ${STATE_FILE} at its root or in a single top-level folder; was it logged by ModelLogger?`,
  );
}
