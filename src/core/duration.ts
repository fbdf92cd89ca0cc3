/** Durations given as text (`"30d"`, `"12h"`, `"90m"`, `"45s"`, `"500ms"`) or milliseconds. */
import { ArtifactError } from "../errors.js";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds of a duration option: a non-negative finite number of milliseconds, or a number with a
 * unit (`ms`, `s`, `m`, `h`, `d`). `"0"` is zero; other numbers without a unit are refused (`"30"`
 * could mean anything). `INVALID_ARGUMENT` naming `option` otherwise.
 */
export function durationMs(option: string, value: number | string): number {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === "string") {
    const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)?$/.exec(value.trim());
    if (match !== null && (match[2] !== undefined || Number(match[1]) === 0))
      return Math.round(Number(match[1]) * (UNITS[match[2] ?? "ms"] ?? 1));
  }
  throw new ArtifactError(
    "INVALID_ARGUMENT",
    `Expected the \`${option}\` option to be milliseconds or a duration with a unit (90s, 30m, 12h, 30d), got \`${String(value)}\``,
  );
}
