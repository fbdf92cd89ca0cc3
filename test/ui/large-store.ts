/**
 * A local store with `artifacts` × `versions` made cheaply: one folder of commit records shared by
 * every artifact through a symlink (`<artifact>/meta/versions → ../../.records`), so 1,000 × 100
 * versions cost 100 small files and 1,000 folders, not 100,000 records.
 */
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildRecord } from "../../src/index.js";

/** The name of artifact `i`: `art-0000`, `art-0001`, … */
export const artifactName = (i: number): string => `art-${String(i).padStart(4, "0")}`;

/** Writes the store under `root` in collection `collection`. */
export async function makeLargeStore(
  root: string,
  options: { collection: string; artifacts: number; versions: number },
): Promise<void> {
  const records = join(root, options.collection, ".records");
  await mkdir(records, { recursive: true });
  for (let v = 0; v < options.versions; v++) {
    const record = buildRecord({
      name: "shared",
      collection: options.collection,
      version: `v${v}`,
      files: [{ path: "model.bin", size: 1024 + v, sha256: v.toString(16).padStart(64, "0") }],
      description: `run ${v}`,
      createdAt: new Date(Date.UTC(2026, 0, 1) + v * 3_600_000),
    });
    await writeFile(join(records, `v${v}.json`), JSON.stringify(record));
  }
  for (let i = 0; i < options.artifacts; i++) {
    const meta = join(root, options.collection, artifactName(i), "meta");
    await mkdir(meta, { recursive: true });
    await symlink(join("..", "..", ".records"), join(meta, "versions"));
  }
}
