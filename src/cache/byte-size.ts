/** Sizes as people type them: `10GiB`, `500M`, `1.5 GB`, `4096`. */
import { ArtifactError } from "../errors.js";

/** Default cap of the download cache: 10 GiB (`ARTIFACTS_CACHE_MAX` or the `maxBytes` option changes it). */
export const DEFAULT_CACHE_MAX_BYTES = 10 * 1024 ** 3;

const POWERS: Record<string, number> = { "": 0, k: 1, m: 2, g: 3, t: 4, p: 5 };

/**
 * Parses a byte size: a number of bytes, or a number with a unit. `K`, `M`, `G`, `T` (with or without
 * `iB`) are powers of 1024, as `du -h` and `ls -h` print them; `KB`, `MB`, `GB`, `TB` are powers of 1000.
 * `what` names the setting in the `INVALID_ARGUMENT` error for anything else.
 */
export function parseByteSize(text: string, what: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)\s*([kmgtp]?)(i?b)?$/i.exec(text.trim());
  const power = POWERS[(match?.[2] ?? "").toLowerCase()];
  if (match === null || power === undefined) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `${what} '${text}' is not a size: give bytes or a number with a unit, e.g. 500M, 10GiB, 2GB`,
    );
  }
  const decimal = match[3]?.toLowerCase() === "b" && power > 0;
  const bytes = Math.floor(Number(match[1]) * (decimal ? 1000 : 1024) ** power);
  if (!Number.isSafeInteger(bytes)) {
    throw new ArtifactError("INVALID_ARGUMENT", `${what} '${text}' is too large`);
  }
  return bytes;
}
