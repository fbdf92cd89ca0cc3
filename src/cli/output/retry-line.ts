/**
 * Retries never pass silently: one line on stderr per retry (`artifacts: retrying in 8 s (3/20): HTTP
 * 503 …`), or under `--json` / `--quiet` one NDJSON event on stderr (stdout keeps only the result).
 */
import type { RetryEvent, RetryListener } from "../../index.js";
import { escapeControls } from "./format.js";

/** Options of {@link createRetryPrinter}. */
export interface RetryPrinterOptions {
  /** `text` for a person, `ndjson` for scripts (`--json`, `--quiet`). */
  mode: "text" | "ndjson";
  stream: { write(text: string): unknown };
  /** Called before a line is written (removes a half-drawn progress bar). @default none */
  beforeWrite?: () => void;
}

/** A listener that prints every retry. */
export function createRetryPrinter(options: RetryPrinterOptions): RetryListener {
  return (event) => {
    options.beforeWrite?.();
    options.stream.write(
      options.mode === "ndjson" ? `${JSON.stringify(event)}\n` : `${formatRetry(event)}\n`,
    );
  };
}

/** `"artifacts: retrying in 8 s (3/20): HTTP 503 …"`. */
export function formatRetry(event: RetryEvent): string {
  return `artifacts: retrying in ${formatDelay(event.delayMs)} (${event.attempt}/${event.max}): ${escapeControls(event.reason)}`;
}

/** `0.2 s`, `4.5 s`, `12 s`. */
function formatDelay(ms: number): string {
  const seconds = ms / 1000;
  return seconds < 10 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`;
}
