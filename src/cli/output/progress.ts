/**
 * Renders the library's progress events: a redrawn bar on a terminal (bytes, files, rate, ETA), periodic
 * summary lines when stderr is not a terminal (a CI log gets one line every few seconds, not one per
 * file), NDJSON events for `--json`, or nothing for `--quiet`.
 */
import type { ProgressEvent, ProgressListener } from "../../index.js";
import { formatBytes, formatDuration, formatRate, plural } from "./format.js";
import { createProgressState, type ProgressState, updateProgressState } from "./progress-state.js";

/** How progress is shown. */
export type ProgressMode = "tty" | "lines" | "ndjson" | "none";

/** Where progress goes: `process.stderr` (or `process.stdout` for NDJSON), or a test double. */
export interface ProgressStream {
  write(text: string): unknown;
  /** Terminal width in characters, when known. */
  columns?: number;
}

/** Options of {@link createProgressReporter}. */
export interface ProgressReporterOptions {
  mode: ProgressMode;
  stream: ProgressStream;
  /** Clock in milliseconds. @default Date.now */
  now?: () => number;
  /** Least time between two redraws of the bar (and two NDJSON `file` events), in ms. @default 100 */
  redrawMs?: number;
  /** Least time between two summary lines in `lines` mode (never one line per file), in ms. @default 5000 */
  lineMs?: number;
}

/** Receives progress events and renders them. */
export interface ProgressReporter {
  readonly onProgress: ProgressListener;
  /** Removes a half-drawn bar so that an error line starts on a clean line. */
  clear(): void;
}

/** The width of the terminal when it does not say. */
const DEFAULT_COLUMNS = 80;
/** Characters kept for the counts after the bar (they vary with the numbers). */
const COUNTS_BUDGET = 56;

/** Creates a reporter for `mode`. */
export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const { mode, stream } = options;
  const now = options.now ?? Date.now;
  const redrawMs = options.redrawMs ?? 100;
  const lineMs = options.lineMs ?? 5000;
  const state = createProgressState(now());
  let drawn = false;
  let lastDraw = Number.NEGATIVE_INFINITY;

  const clear = () => {
    if (drawn) stream.write("\r\x1b[K");
    drawn = false;
  };
  const throttled = (every: number) => {
    const t = now();
    if (t - lastDraw < every) return false;
    lastDraw = t;
    return true;
  };

  const onProgress = (event: ProgressEvent) => {
    updateProgressState(state, event, now());
    if (mode === "none") return;
    if (mode === "ndjson") {
      const final = event.type !== "file" || event.bytes >= event.totalBytes;
      if (final || throttled(redrawMs)) stream.write(`${JSON.stringify(event)}\n`);
      return;
    }
    if (mode === "tty") {
      if (event.type === "done") {
        clear();
        stream.write(`${formatSummary(state)}\n`);
      } else if (event.type === "start" || throttled(redrawMs)) {
        if (event.type === "start") lastDraw = now();
        stream.write(`\r${formatBar(state, stream.columns || DEFAULT_COLUMNS)}\x1b[K`);
        drawn = true;
      }
      return;
    }
    renderLine(event, state, stream, () => throttled(lineMs));
  };
  return { onProgress, clear };
}

function renderLine(event: ProgressEvent, state: ProgressState, stream: ProgressStream, due: () => boolean) {
  switch (event.type) {
    case "start":
      stream.write(`${event.operation}: ${plural(event.files, "file")}, ${formatBytes(event.totalBytes)}\n`);
      due();
      return;
    case "file-done":
    case "file":
      if (due()) stream.write(`  ${formatCounts(state)}\n`);
      return;
    case "done":
      stream.write(`${formatSummary(state)}\n`);
  }
}

/** `"45% 12.3 MB/27.1 MB  3/10 files  5.2 MB/s  ETA 3s"`. */
export function formatCounts(state: ProgressState): string {
  const percent = state.totalBytes > 0 ? Math.floor((100 * state.bytes) / state.totalBytes) : 0;
  const parts = [
    `${String(percent).padStart(3)}%`,
    `${formatBytes(state.bytes)}/${formatBytes(state.totalBytes)}`,
    `${state.filesDone}/${state.totalFiles} files`,
    formatRate(state.rate),
  ];
  if (state.rate > 0 && state.totalBytes > state.bytes) {
    parts.push(`ETA ${formatDuration((state.totalBytes - state.bytes) / state.rate)}`);
  }
  return parts.join("  ");
}

/** The one-line bar drawn on a terminal, fitted to `columns`. */
export function formatBar(state: ProgressState, columns: number): string {
  const label = state.operation.padEnd(9);
  const counts = formatCounts(state);
  // A fixed budget for the counts keeps the bar from changing width as the numbers change.
  const room = columns - 1 - label.length - Math.max(counts.length, COUNTS_BUDGET) - 4;
  if (room < 10) return `${label}${counts}`.slice(0, Math.max(0, columns - 1));
  const width = Math.min(room, 40);
  const ratio = state.totalBytes > 0 ? Math.min(1, state.bytes / state.totalBytes) : 0;
  const filled = Math.round(ratio * width);
  return `${label}[${"#".repeat(filled)}${".".repeat(width - filled)}]  ${counts}`;
}

/** `"uploaded 10 files (27.1 MB) in 2.1s, 12.9 MB/s"`. */
export function formatSummary(state: ProgressState): string {
  const verb = { upload: "uploaded", download: "downloaded", verify: "verified" }[state.operation];
  const seconds = state.elapsedMs / 1000;
  const took = seconds < 10 ? `${seconds.toFixed(1)}s` : formatDuration(seconds);
  return `${verb} ${plural(state.filesDone, "file")} (${formatBytes(state.bytes)}) in ${took}, ${formatRate(state.rate)}`;
}
