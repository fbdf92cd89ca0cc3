/** The download-target rule every backend shares: `to` is a folder or does not exist yet. */
import type { Stats } from "node:fs";
import { stat } from "node:fs/promises";
import { ArtifactError } from "../errors.js";
import { errnoOf } from "../storage/fs-errors.js";

/**
 * Stats the download target `to` (following links): `null` when it does not exist yet, its stats when
 * it is a folder. `INVALID_ARGUMENT` when it is a file or lies inside one.
 */
export async function checkDownloadTarget(to: string): Promise<Stats | null> {
  const info = await stat(to).catch((error: unknown) => {
    if (errnoOf(error) === "ENOTDIR") throw notAFolder(to);
    if (errnoOf(error) === "ENOENT") return null;
    throw error;
  });
  if (info !== null && !info.isDirectory()) throw notAFolder(to);
  return info;
}

/** The error for a download target that is a file (or inside one). */
export function notAFolder(to: string): ArtifactError {
  return new ArtifactError(
    "INVALID_ARGUMENT",
    `download target \`to\` ${to} is a file (or is inside one); pass a folder path`,
  );
}
