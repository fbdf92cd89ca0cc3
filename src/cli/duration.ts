/** Duration and count options of the CLI: `--timeout`, `--older-than`, `--retries`. */
import { parseDurationText } from "../index.js";
import { UsageError } from "./usage-error.js";

/** `--timeout DURATION`: `30s`, `500ms`, `2m`, `1h` or a bare number of seconds; positive. */
export function parseDuration(text: string, option: string): number {
  const ms = parseDurationText(text, "s");
  if (ms === undefined || ms <= 0) {
    throw new UsageError(
      `option '${option}' needs a positive duration such as 30s, 500ms, 2m or 1h (a bare number is seconds), got '${text}'`,
    );
  }
  return ms;
}

/**
 * `--older-than DURATION` of `gc` and `prune`: a number with a unit (`0` alone may go without). A bare
 * number is refused: it once meant milliseconds to gc and deleted uploads still running.
 */
export function parseOlderThan(text: string, command: string): number {
  const ms = parseDurationText(text);
  if (ms === undefined) {
    const bare = parseDurationText(text, "h") !== undefined; // a number that only lacks its unit
    throw new UsageError(
      `invalid --older-than '${text}': give a unit, e.g. 90s, 30m, 12h or 7d${bare ? ` ('${text.trim()}h' for ${text.trim()} hours)` : ""}`,
      command,
    );
  }
  return ms;
}

/** A non-negative whole number for `option` (e.g. `--retries 5`); a {@link UsageError} otherwise. */
export function parseCount(text: string, option: string): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(
      `option '${option}' needs a whole number of 0 or more, e.g. ${option} 5, got '${text}'`,
    );
  }
  return value;
}
