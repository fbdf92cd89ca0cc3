/**
 * What a retry tells its caller: every retry of a store or W&B call is announced through `onRetry`
 * before its wait, so that a program (or the CLI's one line on stderr) never sits silent while a
 * server is down.
 */
import { ArtifactError } from "../../errors.js";

/** A failed attempt that is about to be tried again. */
export interface RetryEvent {
  type: "retry";
  /** Which retry this is: 1 for the first retry after the first failure. */
  attempt: number;
  /** Most retries this call makes (`attempt === max` is the last one). */
  max: number;
  /** The wait before the retry starts, in ms. */
  delayMs: number;
  /** One line saying what failed (the failure's message). */
  reason: string;
  /** The failure's code, when it is an `ArtifactError` (`UNAVAILABLE`, `TIMEOUT`, …). */
  code?: string;
  /** The backend that failed (`s3`, `gcs`, `azure`, `wandb`), when known. */
  backend?: string;
  /** The failed operation (`read`, `write`, `GraphQL CreateArtifact`, …), when known. */
  operation?: string;
}

/** Receives {@link RetryEvent}s. It must not throw (an exception it throws is ignored). */
export type RetryListener = (event: RetryEvent) => void;

/** Builds the event for `error` and hands it to `listener` (a throwing listener never breaks the retry). */
export function announceRetry(
  listener: RetryListener | undefined,
  error: unknown,
  step: { attempt: number; max: number; delayMs: number; operation?: string | undefined },
): void {
  if (listener === undefined) return;
  const event: RetryEvent = {
    type: "retry",
    attempt: step.attempt,
    max: step.max,
    delayMs: Math.max(0, Math.round(step.delayMs)),
    reason: reasonOf(error),
  };
  const details = error as { code?: unknown; context?: { backend?: unknown; operation?: unknown } };
  if (typeof details?.code === "string") event.code = details.code;
  if (typeof details?.context?.backend === "string") event.backend = details.context.backend;
  const operation = step.operation ?? details?.context?.operation;
  if (typeof operation === "string") event.operation = operation;
  try {
    listener(event);
  } catch {
    // A listener's failure is the listener's: the call goes on retrying.
  }
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, " ");
}

/** Checks an `onRetry` option: a function or absent. */
export function validateRetryListener(value: unknown, name = "onRetry"): RetryListener | undefined {
  if (value === undefined || typeof value === "function") return value as RetryListener | undefined;
  throw new ArtifactError(
    "INVALID_ARGUMENT",
    `Expected the \`${name}\` option to be a function, got \`${typeof value}\``,
  );
}
