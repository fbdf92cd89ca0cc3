/** Up-front checks of the options every long operation takes (`signal`, `onProgress`). */
import { ArtifactError } from "../errors.js";

/**
 * Throws `INVALID_ARGUMENT` naming the option unless `signal` is absent or an `AbortSignal` and
 * `onProgress` is absent or a function. Run before anything is read or written.
 */
export function validateOperationOptions(options: unknown): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object") {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the options to be an object, got \`${String(options)}\``,
    );
  }
  const { signal, onProgress } = options as { signal?: unknown; onProgress?: unknown };
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`signal\` option to be an AbortSignal (from new AbortController().signal), got \`${describe(signal)}\``,
    );
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`onProgress\` option to be a function receiving progress events, got \`${describe(onProgress)}\``,
    );
  }
}

/** An AbortSignal, or one from another realm or polyfill with the same shape. */
function isAbortSignal(value: unknown): value is AbortSignal {
  if (value instanceof AbortSignal) return true;
  const candidate = value as Partial<AbortSignal> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.aborted === "boolean" &&
    typeof candidate.addEventListener === "function" &&
    typeof candidate.removeEventListener === "function"
  );
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && value !== null) return value.constructor?.name ?? "object";
  return String(value);
}
