/** `--timeout DURATION`: `30s`, `500ms`, `2m`, `1h` or a bare number of seconds. */
import { UsageError } from "./usage-error.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a positive duration; a {@link UsageError} naming `option` otherwise. */
export function parseDuration(text: string, option: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  const value = match === null ? Number.NaN : Number(match[1]);
  const ms = Math.round(value * (UNIT_MS[(match?.[2] ?? "s").toLowerCase()] ?? Number.NaN));
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new UsageError(
      `option '${option}' needs a positive duration such as 30s, 500ms, 2m or 1h (a bare number is seconds), got '${text}'`,
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
