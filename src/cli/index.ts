/**
 * The `artifacts` command line: parses, opens the store, runs one command, prints its result, and is
 * the one error boundary (exit 0 ok, 1 user error or verify problem, 2 usage error, 130 Ctrl-C).
 */
import { readFileSync } from "node:fs";
import type { AnyCommand, CommandInput } from "./command.js";
import { aliasCommand } from "./commands/alias.js";
import { cacheCommand } from "./commands/cache.js";
import { catCommand } from "./commands/cat.js";
import { createCompletionCommand } from "./commands/completion.js";
import { diffCommand } from "./commands/diff.js";
import { gcCommand } from "./commands/gc.js";
import { getCommand } from "./commands/get.js";
import { lineageCommand } from "./commands/lineage.js";
import { logCommand } from "./commands/log.js";
import { lsCommand } from "./commands/ls.js";
import { pruneCommand } from "./commands/prune.js";
import { rmCommand } from "./commands/rm.js";
import { showCommand } from "./commands/show.js";
import { uiCommand } from "./commands/ui.js";
import { verifyCommand } from "./commands/verify.js";
import { versionsCommand } from "./commands/versions.js";
import { formatCommandHelp, formatGlobalHelp } from "./help.js";
import { openStore } from "./open-store.js";
import { type CliStreams, describeError, printError, printNotice, printResult } from "./output/print.js";
import { createProgressReporter, type ProgressMode, type ProgressReporter } from "./output/progress.js";
import { createRetryPrinter } from "./output/retry-line.js";
import { type GlobalValues, parseCommandLine } from "./parse.js";

const completionCommand = createCompletionCommand(() => COMMANDS);

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly AnyCommand[] = [
  logCommand,
  getCommand,
  catCommand,
  lsCommand,
  versionsCommand,
  showCommand,
  lineageCommand,
  verifyCommand,
  aliasCommand,
  diffCommand,
  rmCommand,
  pruneCommand,
  gcCommand,
  cacheCommand,
  uiCommand,
  completionCommand,
];

/** Where the CLI reads its environment and writes its output. */
export interface CliEnvironment extends CliStreams {
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Runs one command line and returns its exit code. Never calls `process.exit`. */
export async function main(argv: readonly string[], environment: CliEnvironment): Promise<number> {
  const controller = new AbortController();
  let interruptedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interruptedBy !== undefined) process.exit(signal === "SIGTERM" ? 143 : 130); // second Ctrl-C: now
    interruptedBy = signal;
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const progress: { reporter?: ProgressReporter } = {};
  let globals: Pick<GlobalValues, "json" | "debug"> = {
    json: argv.includes("--json"),
    debug: argv.includes("--debug"),
  };
  try {
    const parsed = parseCommandLine(argv, COMMANDS);
    globals = parsed.globals;
    if (parsed.kind === "help") {
      environment.stdout.write(
        `${parsed.command ? formatCommandHelp(parsed.command) : formatGlobalHelp(COMMANDS)}\n`,
      );
      return 0;
    }
    if (parsed.kind === "version") {
      environment.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    return await runCommand({
      ...parsed,
      environment,
      signal: controller.signal,
      progress,
      interruptedBy: () => interruptedBy,
    });
  } catch (error) {
    progress.reporter?.clear();
    const report = describeError(error, interruptedBy);
    printError(report, error, globals, environment);
    return report.exitCode;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** What {@link runCommand} needs: the parsed command line, the outside world, Ctrl-C, the progress slot. */
interface RunCommandOptions {
  command: AnyCommand;
  input: CommandInput;
  globals: GlobalValues;
  environment: CliEnvironment;
  signal: AbortSignal;
  /** Where the reporter is kept so that the error boundary can clear a half-drawn bar. */
  progress: { reporter?: ProgressReporter };
  /** The signal that aborted `signal`, if one came. */
  interruptedBy: () => NodeJS.Signals | undefined;
}

/** Opens the store, runs the command, prints its result and returns its exit code. */
async function runCommand(options: RunCommandOptions): Promise<number> {
  const { command, input, globals, environment, signal, progress } = options;
  const store = globals.store ?? nonEmpty(environment.env.ARTIFACTS_STORE) ?? "./artifacts";
  const explicitCollection = globals.collection ?? nonEmpty(environment.env.ARTIFACTS_COLLECTION);
  const collection = explicitCollection ?? "default";
  const mode = progressMode(command, globals, environment);
  const reporter = createProgressReporter({
    mode,
    stream: mode === "ndjson" ? environment.stdout : environment.stderr,
  });
  progress.reporter = reporter;
  const onRetry = createRetryPrinter({
    mode: globals.json || globals.quiet ? "ndjson" : "text",
    stream: environment.stderr,
    beforeWrite: () => reporter.clear(),
  });
  const manager = openStore({
    url: store,
    collection,
    cwd: environment.cwd,
    retries: globals.retries,
    timeoutMs: globals.timeoutMs,
    onRetry,
  });
  try {
    const context = {
      manager,
      store,
      explicitCollection,
      signal,
      onProgress: reporter.onProgress,
      cwd: environment.cwd,
      stdout: environment.stdout as NodeJS.WritableStream,
    };
    const result = await command.run(context, input);
    printResult(command, result, globals, environment);
    // The command finished although Ctrl-C came (a log whose record was already written returns its
    // version): its result stands, and stderr says why nothing was cancelled.
    const by = options.interruptedBy();
    if (by !== undefined) printNotice(interruptedNote(command, result, by), globals, environment);
    return command.exitCode?.(result) ?? 0;
  } finally {
    await manager.close();
  }
}

function interruptedNote(command: AnyCommand, result: unknown, signal: NodeJS.Signals) {
  const by = signal === "SIGINT" ? "Ctrl-C (SIGINT)" : signal;
  return (
    command.interruptedNote?.(result, by) ?? {
      code: "INTERRUPTED_AFTER_FINISH",
      message: `${by} came after '${command.name}' had finished: nothing was cancelled, its result stands`,
    }
  );
}

function progressMode(command: AnyCommand, globals: GlobalValues, environment: CliEnvironment): ProgressMode {
  if (!command.transfer || globals.quiet) return "none";
  if (globals.json) return "ndjson";
  return environment.stderr.isTTY === true ? "tty" : "lines";
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function packageVersion(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

/** The entry point of the `artifacts` binary: runs `process.argv` and exits with its code. */
export async function runCli(): Promise<never> {
  // The AWS SDK's notice that its releases after January 2027 need Node 22 (8 lines on stderr, every
  // s3:// command on Node 20) is for whoever pins the SDK, not for the CLI's user; it would also break
  // `--json`, whose errors are one line on stderr. A value the user set wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  // `artifacts ls | head -1`: the reader went away; stop quietly instead of crashing on EPIPE.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  const code = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  });
  // Let buffered output reach a pipe before exiting.
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write("", () => resolve()));
  process.exit(code);
}
