/** Durations given as text (`"30d"`, `"12h"`, `"90m"`, `"45s"`, `"500ms"`, `"2w"`) or milliseconds. */
import { ArtifactError } from "../errors.js";

/** The units a duration may carry, in milliseconds. */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A unit of {@link parseDurationText}. */
export type DurationUnit = "ms" | "s" | "m" | "h" | "d" | "w";

/**
 * Milliseconds of `text`: a non-negative number with a unit (`ms`, `s`, `m`, `h`, `d`, `w`; any case,
 * spaces allowed around). A number without a unit counts in `bareUnit`, or, without one, only `"0"` is
 * taken (`"30"` could mean anything). `undefined` when `text` is not such a duration: callers word the
 * error for their option.
 */
export function parseDurationText(text: string, bareUnit?: DurationUnit): number | undefined {
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(text);
  if (match === null) return undefined;
  const value = Number(match[1]);
  const unit = match[2]?.toLowerCase() ?? (value === 0 ? "ms" : bareUnit);
  if (unit === undefined) return undefined;
  return Math.round(value * (UNIT_MS[unit] ?? Number.NaN));
}

/**
 * Milliseconds of a duration option: a non-negative finite number of milliseconds, or a number with a
 * unit (`ms`, `s`, `m`, `h`, `d`, `w`). `"0"` is zero; other numbers without a unit are refused.
 * `INVALID_ARGUMENT` naming `option` otherwise.
 */
export function durationMs(option: string, value: number | string): number {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === "string") {
    const ms = parseDurationText(value);
    if (ms !== undefined) return ms;
  }
  throw new ArtifactError(
    "INVALID_ARGUMENT",
    `Expected the \`${option}\` option to be milliseconds or a duration with a unit (90s, 30m, 12h, 30d), got \`${String(value)}\``,
  );
}
