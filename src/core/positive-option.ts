/** Validation of the integer options of the managers (counts, byte caps, timeouts). */
import { ArtifactError } from "../errors.js";

/**
 * `value`, or `fallback` when it is undefined; anything but a positive integer is `INVALID_ARGUMENT`
 * naming the option (and its `unit`, e.g. "bytes").
 */
export function positiveOption(
  name: string,
  value: number | undefined,
  fallback: number,
  unit?: string,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`${name}\` option to be a positive integer${unit ? ` (${unit})` : ""}, got \`${value}\``,
    );
  }
  return value;
}
