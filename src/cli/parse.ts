/** The command-line parser: `node:util` parseArgs in two passes (find the command, then parse strictly). */
import { parseArgs } from "node:util";

type ParseToken = { kind: string; name?: string };

import type { AnyCommand, CommandInput, OptionSpecs, OptionValues } from "./command.js";
import { parseCount, parseDuration } from "./duration.js";
import { UsageError } from "./usage-error.js";

/** Options every command accepts. */
export const GLOBAL_OPTIONS = {
  store: { type: "string" },
  collection: { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  debug: { type: "boolean" },
  retries: { type: "string" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} satisfies OptionSpecs;

/** Global option values. */
export interface GlobalValues {
  store: string | undefined;
  collection: string | undefined;
  json: boolean;
  quiet: boolean;
  debug: boolean;
  /** `--retries N`: extra attempts of a failed request (undefined: the store's default). */
  retries: number | undefined;
  /** `--timeout DURATION` in ms: the time limit of one request attempt (undefined: the store's default). */
  timeoutMs: number | undefined;
}

/** What a command line asks for. */
export type ParsedCommandLine =
  | { kind: "help"; command: AnyCommand | undefined; globals: GlobalValues }
  | { kind: "version"; globals: GlobalValues }
  | { kind: "run"; command: AnyCommand; input: CommandInput; globals: GlobalValues };

/** Parses `argv` (without `node` and the script) against the known commands. Throws {@link UsageError}. */
export function parseCommandLine(
  argv: readonly string[],
  commands: readonly AnyCommand[],
): ParsedCommandLine {
  const first = parseArgs({
    args: [...argv],
    options: GLOBAL_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const early = globalsOf(first.values);
  const token = first.tokens.find((t) => t.kind === "positional");
  if (token === undefined) {
    if (first.values.version === true) return { kind: "version", globals: early };
    if (argv.length === 0 || first.values.help === true)
      return { kind: "help", command: undefined, globals: early };
    throw new UsageError("no command given; run 'artifacts --help' to see the commands");
  }
  if (token.value === "help") return helpFor(argv, token.index, commands, early);
  const command = findCommand(commands, token.value);
  const rest = argv.filter((_, i) => i !== token.index);
  const { values, positionals } = parseStrict(rest, command);
  const globals = globalsOf(values);
  if (values.help === true) return { kind: "help", command, globals };
  const { min, max } = command.positionals;
  if (positionals.length < min || positionals.length > max) {
    const got = positionals.length === 0 ? "none" : positionals.map((p) => `'${p}'`).join(" ");
    throw new UsageError(
      `wrong arguments for '${command.name}' (got ${got}); usage: artifacts ${command.usage.join(" | ")}`,
      command.name,
    );
  }
  return { kind: "run", command, input: { positionals, values }, globals };
}

/** The command called `name` (or one of its aliases); a {@link UsageError} suggesting the closest otherwise. */
function findCommand(commands: readonly AnyCommand[], name: string): AnyCommand {
  const command = commands.find((c) => c.name === name || c.aliases?.includes(name));
  if (command !== undefined) return command;
  const close = commands.find((c) => editDistance(c.name, name) <= 2);
  const hint = close === undefined ? "" : `did you mean '${close.name}'? `;
  const names = commands.map((c) => c.name).join(", ");
  throw new UsageError(
    `unknown command '${name}'; ${hint}the commands are ${names} (see 'artifacts --help')`,
  );
}

/** `artifacts help [COMMAND]`. */
function helpFor(
  argv: readonly string[],
  index: number,
  commands: readonly AnyCommand[],
  globals: GlobalValues,
) {
  const name = argv.slice(index + 1).find((arg) => !arg.startsWith("-"));
  const command = name === undefined ? undefined : findCommand(commands, name);
  return { kind: "help" as const, command, globals };
}

/** Levenshtein distance, for "did you mean" on a mistyped command. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function parseStrict(args: string[], command: AnyCommand) {
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  let parsed: { values: OptionValues; positionals: string[]; tokens?: ParseToken[] };
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true, tokens: true });
  } catch (error) {
    throw new UsageError(describeParseError(error, command.name, Object.keys(options)), command.name);
  }
  // A single-value option given twice kept only the last one, silently: ask which one was meant.
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option" || token.name === undefined) continue;
    const spec = (options as Record<string, { multiple?: boolean }>)[token.name];
    if (spec?.multiple || !seen.has(token.name)) {
      seen.add(token.name);
      continue;
    }
    throw new UsageError(
      `option '--${token.name}' of '${command.name}' is given more than once; give it once (run 'artifacts ${command.name} --help' for its options)`,
      command.name,
    );
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

function describeParseError(error: unknown, command: string, known: readonly string[]): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = optionNamed(message);
  const help = `run 'artifacts ${command} --help' for its options`;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const typed = option?.replace(/^-+/, "") ?? "";
    const close = known.find((name) => editDistance(name, typed) <= 2);
    const hint = close === undefined || typed.length < 2 ? "" : `did you mean '--${close}'? `;
    return `unknown option '${option}' for '${command}'; ${hint}${help}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return `option '${option}' of '${command}' ${/argument missing/.test(message) ? "needs a value" : "takes no value"}; ${help}`;
  }
  return `${message.split("\n")[0]}; ${help}`;
}

/** The option a parseArgs message quotes: the long form of `'-o, --to <value>'`, else the short one. */
function optionNamed(message: string): string | undefined {
  const quoted = /'(-[^']*)'/.exec(message)?.[1];
  if (quoted === undefined) return undefined;
  return /--[\w-]+/.exec(quoted)?.[0] ?? /-[\w-]+/.exec(quoted)?.[0];
}

function globalsOf(values: Record<string, unknown>): GlobalValues {
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const retries = str(values.retries);
  const timeout = str(values.timeout);
  return {
    retries: retries === undefined ? undefined : parseCount(retries, "--retries"),
    timeoutMs: timeout === undefined ? undefined : parseDuration(timeout, "--timeout"),
    store: str(values.store),
    collection: str(values.collection),
    json: values.json === true,
    quiet: values.quiet === true,
    debug: values.debug === true,
  };
}
