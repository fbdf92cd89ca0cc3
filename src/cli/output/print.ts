/** Prints a command's result (human text or `--json`) and errors (one line on stderr). */

import { isArtifactError } from "../../index.js";
import type { AnyCommand } from "../command.js";
import { UsageError } from "../usage-error.js";
import { escapeControls } from "./format.js";

/** The streams the CLI writes to. */
export interface CliStreams {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
}

/** How the result should be printed. */
export interface PrintOptions {
  json: boolean;
  quiet: boolean;
}

/** Prints `result` of `command`: one JSON line (after NDJSON progress for transfers), or human text. */
export function printResult(
  command: AnyCommand,
  result: unknown,
  options: PrintOptions,
  streams: CliStreams,
) {
  if (command.ownOutput) return;
  if (options.json) {
    // One line either way, so that the last line of stdout is the result when there is one (pipe to jq).
    const text = JSON.stringify(command.transfer ? { type: "result", ...(result as object) } : result);
    streams.stdout.write(`${text}\n`);
    return;
  }
  const silent = command.silentWhenQuiet;
  if (options.quiet && (typeof silent === "function" ? silent(result) : silent === true)) return;
  streams.stdout.write(`${escapeControls(command.render(result))}\n`);
}

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, error: 1, usage: 2, interrupted: 130 } as const;

/** What went wrong, classified: exit code, machine code and the one line to print. */
export interface ErrorReport {
  exitCode: number;
  code: string;
  message: string;
}

/** Classifies an error thrown by the parser, a command or the library. */
export function describeError(error: unknown, interruptedBy: NodeJS.Signals | undefined): ErrorReport {
  if (interruptedBy !== undefined) {
    const exitCode = interruptedBy === "SIGTERM" ? 143 : EXIT.interrupted;
    // A log whose commit could not be confirmed after the interruption, or that was committed before a
    // later step failed, says so: the version may exist, or does.
    const unknown =
      isArtifactError(error) &&
      (error.context?.commit === "unknown" || error.context?.commit === "committed");
    return {
      exitCode,
      code: "INTERRUPTED",
      message: `cancelled by ${interruptedBy}${interruptedBy === "SIGINT" ? " (Ctrl-C)" : ""}${unknown ? `, but ${(error as Error).message}` : ""}`,
    };
  }
  if (error instanceof UsageError) return { exitCode: EXIT.usage, code: "USAGE", message: error.message };
  if (isArtifactError(error)) return { exitCode: EXIT.error, code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return {
    exitCode: EXIT.error,
    code: "UNEXPECTED",
    message: `unexpected error: ${message.split("\n")[0]} (run with --debug for the stack trace)`,
  };
}

/** Writes the error as one line on stderr (a JSON object under `--json`), plus details under `--debug`. */
export function printError(
  report: ErrorReport,
  error: unknown,
  options: { json: boolean; debug: boolean },
  streams: CliStreams,
) {
  const oneLine = report.message.replace(/\s*\n\s*/g, " ");
  if (options.json) {
    streams.stderr.write(
      `${JSON.stringify({ error: { code: report.code, message: oneLine, exitCode: report.exitCode } })}\n`,
    );
  } else {
    const tag =
      report.code === "USAGE" || report.code === "UNEXPECTED" || report.code === "INTERRUPTED"
        ? ""
        : ` [${report.code}]`;
    streams.stderr.write(`artifacts: ${escapeControls(oneLine)}${tag}\n`);
  }
  if (options.debug) streams.stderr.write(`${formatDebug(error)}\n`);
}

/**
 * Writes a notice about a command that succeeded (exit code unchanged) as one line on stderr: a JSON
 * object `{"notice":{"code","message"}}` under `--json`, else `artifacts: MESSAGE`.
 */
export function printNotice(
  notice: { code: string; message: string },
  options: { json: boolean },
  streams: CliStreams,
) {
  const oneLine = notice.message.replace(/\s*\n\s*/g, " ");
  streams.stderr.write(
    options.json
      ? `${JSON.stringify({ notice: { code: notice.code, message: oneLine } })}\n`
      : `artifacts: ${oneLine}\n`,
  );
}

function formatDebug(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth += 1) {
    parts.push(depth === 0 ? stackOf(current) : `caused by: ${stackOf(current)}`);
    if (isArtifactError(current) && Object.keys(current.context).length > 0) {
      parts.push(`context: ${JSON.stringify(current.context)}`);
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join("\n");
}

function stackOf(error: unknown): string {
  return error instanceof Error ? (error.stack ?? String(error)) : String(error);
}
