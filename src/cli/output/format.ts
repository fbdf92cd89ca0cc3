/** Small formatters for human output: byte sizes, rates, durations and dates. */

const UNITS = ["B", "kB", "MB", "GB", "TB", "PB"] as const;

/** `1234567` → `"1.2 MB"` (decimal units, as `ls -h --si` and the Hugging Face CLI print them). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  if (unit === 0) return `${value} B`;
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${UNITS[unit]}`;
}

/** Bytes per second → `"12.3 MB/s"`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** Seconds → `"42s"`, `"3m05s"`, `"1h02m"`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** ISO 8601 → `"2026-11-26 19:30 UTC"`; `"-"` when absent (legacy versions have no date). */
export function formatDate(iso: string | undefined): string {
  if (iso === undefined) return "-";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** `"1 file"`, `"3 files"`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * Text from a store (descriptions, file names, metadata, error messages naming keys) with every control
 * character but newline and tab shown as `\xNN`: a description cannot move the cursor, recolour or
 * retitle the user's terminal (C0, DEL and the C1 range, where ESC-less CSI lives).
 */
export function escapeControls(text: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const control = code <= 0x1f ? code !== 0x0a && code !== 0x09 : code >= 0x7f && code <= 0x9f;
    if (!control) continue;
    out += `${text.slice(from, i)}\\x${code.toString(16).padStart(2, "0")}`;
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}
