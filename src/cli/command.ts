/** What a CLI command is: its help, its options, a function that returns data, and a human renderer. */
import type { ParseArgsConfig } from "node:util";
import type { ArtifactManager, ProgressListener } from "../index.js";

/** `node:util` parseArgs option specs. */
export type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

/** Parsed option values of one command line. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** The parsed arguments a command receives (after the command name). */
export interface CommandInput {
  positionals: string[];
  values: OptionValues;
}

/** Everything a command needs from the outside world. */
export interface CommandContext {
  /** The store opened from `--store` / `ARTIFACTS_STORE`, active collection from `--collection`. */
  manager: ArtifactManager;
  /** The store URL as given (for messages). */
  store: string;
  /** The collection named by `--collection` / `ARTIFACTS_COLLECTION`, if any (else the default is active). */
  explicitCollection: string | undefined;
  /** Aborted on Ctrl-C; pass it to every library call. */
  signal: AbortSignal;
  /** Receives progress events of transfers (rendered as a bar, lines or NDJSON). */
  onProgress: ProgressListener;
  /** The folder relative paths are resolved against. */
  cwd: string;
  /** Standard output, for a command that writes bytes of its own (`cat`). */
  stdout: NodeJS.WritableStream;
}

/** One command of the `artifacts` CLI. */
export interface CommandSpec<Result> {
  /** The word typed after `artifacts`. */
  name: string;
  /** Other words that run the command (`put` for `log`, as W&B and Hugging Face users type). @default [] */
  aliases?: string[];
  /** One line for the command list of `artifacts --help`. */
  summary: string;
  /** Usage lines after `artifacts `, e.g. `"log PATH NAME [options]"`. */
  usage: string[];
  /** A paragraph explaining what the command does. */
  description: string;
  /** The command's own options (global ones are added by the parser). */
  options: OptionSpecs;
  /** `[flag, explanation]` pairs for `--help`. */
  optionHelp: [string, string][];
  /** Example command lines (without the leading `artifacts `). */
  examples: string[];
  /** How many positionals the command takes, and what they are called in errors. */
  positionals: { min: number; max: number };
  /** Shows progress while running (and prints NDJSON events under `--json`). @default false */
  transfer?: boolean;
  /** Prints nothing on success under `--quiet` (the exit code tells). @default false */
  silentWhenQuiet?: boolean | ((result: Result) => boolean);
  /**
   * The command writes its own output to stdout (`cat` writes a file's bytes): no rendered result and
   * no `--json` result line follow it. @default false
   */
  ownOutput?: boolean;
  /** Runs the command and returns the data to print. */
  run(context: CommandContext, input: CommandInput): Promise<Result>;
  /** Human text for the result (no trailing newline). */
  render(result: Result): string;
  /** The exit code for a result. @default 0 */
  exitCode?(result: Result): number;
  /**
   * The stderr notice for a result that came although Ctrl-C (or SIGTERM, named by `by`) had arrived:
   * the work had already finished (a log's version was committed), so it stands and the exit code is
   * the result's. `code` is the notice's machine code under `--json`.
   * @default INTERRUPTED_AFTER_FINISH, saying that the signal came after the command had finished
   */
  interruptedNote?(result: Result, by: string): { code: string; message: string };
}

/** A command whose result type is erased, so that different commands fit in one list. */
export type AnyCommand = CommandSpec<unknown>;

/** Declares a command with its result type checked, then erases the type for the command list. */
export function defineCommand<Result>(spec: CommandSpec<Result>): AnyCommand {
  return spec as unknown as AnyCommand;
}

/** A string option's value, or undefined. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/** A repeatable string option's values (empty when absent). */
export function stringListOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === "string");
  return typeof value === "string" ? [value] : [];
}

/** Whether a boolean option was given. */
export function flagOption(values: OptionValues, name: string): boolean {
  return values[name] === true;
}
