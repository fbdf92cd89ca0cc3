/** The download-target rule every backend shares: `to` is a folder or does not exist yet. */
import type { Stats } from "node:fs";
import { lstat, stat } from "node:fs/promises";
import { ArtifactError } from "../errors.js";
import { errnoOf } from "./fs-errors.js";

/**
 * Stats the download target `to` (following links): `null` when it does not exist yet, its stats when
 * it is a folder. `INVALID_ARGUMENT` when it is a file, lies inside one, or is a link to nothing.
 */
export async function checkDownloadTarget(to: string): Promise<Stats | null> {
  const info = await stat(to).catch((error: unknown) => {
    if (errnoOf(error) === "ENOTDIR") throw notAFolder(to);
    if (errnoOf(error) === "ENOENT") return null;
    throw error;
  });
  if (info !== null && !info.isDirectory()) throw notAFolder(to);
  if (info === null && (await lstat(to).catch(() => null))?.isSymbolicLink()) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `download target \`to\` ${to} is a symbolic link to something that does not exist; create the folder it points to or remove the link`,
    );
  }
  return info;
}

/** The error for a download target that is a file (or inside one). */
export function notAFolder(to: string): ArtifactError {
  return new ArtifactError(
    "INVALID_ARGUMENT",
    `download target \`to\` ${to} is a file (or is inside one); pass a folder path`,
  );
}
