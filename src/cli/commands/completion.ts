/**
 * `artifacts completion bash|zsh|fish`: a shell completion script for the commands, their aliases and
 * options, printed to stdout (`source <(artifacts completion bash)`).
 */
import { ArtifactError } from "../../index.js";
import type { AnyCommand, CommandContext, CommandInput, OptionSpecs } from "../command.js";
import { defineCommand } from "../command.js";
import { GLOBAL_OPTIONS } from "../parse.js";

const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof SHELLS)[number];

/** What `completion` returns (the script went to stdout). */
export interface CompletionResult {
  shell: Shell;
}

/** Writes the script for the shell named by the positional, completing `commands`. */
async function printCompletion(
  commands: readonly AnyCommand[],
  context: CommandContext,
  input: CommandInput,
): Promise<CompletionResult> {
  const shell = input.positionals[0] ?? "";
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `no completion for shell '${shell}'; choose one of ${SHELLS.join(", ")} (e.g. source <(artifacts completion bash))`,
    );
  }
  context.stdout.write(completionScript(shell as Shell, commands));
  return { shell: shell as Shell };
}

/** The completion script of `shell` for `commands`. */
export function completionScript(shell: Shell, commands: readonly AnyCommand[]): string {
  const words = commands.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
  const globals = optionWords(GLOBAL_OPTIONS);
  const perCommand = commands.map((c) => ({
    names: [c.name, ...(c.aliases ?? [])],
    options: [...optionWords(c.options), ...globals],
    summary: c.summary,
  }));
  if (shell === "bash") return bashScript(words, globals, perCommand);
  if (shell === "zsh") return `#compdef artifacts\n${zshScript(perCommand, globals)}`;
  return fishScript(perCommand, globals);
}

type CommandWords = { names: string[]; options: string[]; summary: string };

function optionWords(options: OptionSpecs): string[] {
  return Object.entries(options).flatMap(([name, spec]) => [
    `--${name}`,
    ...(spec.short ? [`-${spec.short}`] : []),
  ]);
}

function bashScript(words: string[], globals: string[], commands: CommandWords[]): string {
  const cases = commands.map((c) => `    ${c.names.join("|")}) opts="${c.options.join(" ")}" ;;`).join("\n");
  return `# bash completion for artifacts: source <(artifacts completion bash)
_artifacts() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" command="" i opts
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) command="\${COMP_WORDS[i]}"; break ;; esac
  done
  if [[ -z "$command" && "$cur" != -* ]]; then
    COMPREPLY=($(compgen -W "${words.join(" ")} help" -- "$cur"))
    return
  fi
  case "$command" in
${cases}
    *) opts="${globals.join(" ")}" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o default -F _artifacts artifacts
`;
}

function zshScript(commands: CommandWords[], globals: string[]): string {
  const list = commands.flatMap((c) => c.names.map((n) => `    '${n}:${quoteZsh(c.summary)}'`)).join("\n");
  const cases = commands.map((c) => `    ${c.names.join("|")}) opts=(${c.options.join(" ")}) ;;`).join("\n");
  return `# zsh completion for artifacts: source <(artifacts completion zsh)
_artifacts() {
  local -a commands opts
  commands=(
${list}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case "\${words[2]}" in
${cases}
    *) opts=(${globals.join(" ")}) ;;
  esac
  if [[ "\${words[CURRENT]}" == -* ]]; then
    compadd -a opts
  else
    _files
  fi
}
compdef _artifacts artifacts
`;
}

function fishScript(commands: CommandWords[], globals: string[]): string {
  const all = commands.flatMap((c) => c.names).join(" ");
  const lines = [
    "# fish completion for artifacts: artifacts completion fish | source",
    "complete -c artifacts -f",
    ...commands.flatMap((c) =>
      c.names.map(
        (n) =>
          `complete -c artifacts -n "not __fish_seen_subcommand_from ${all}" -a ${n} -d '${quoteFish(c.summary)}'`,
      ),
    ),
    ...commands.flatMap((c) =>
      c.options
        .filter((o) => o.startsWith("--") && !globals.includes(o))
        .map(
          (o) =>
            `complete -c artifacts -n "__fish_seen_subcommand_from ${c.names.join(" ")}" -l ${o.slice(2)}`,
        ),
    ),
    ...globals.filter((o) => o.startsWith("--")).map((o) => `complete -c artifacts -l ${o.slice(2)}`),
    `complete -c artifacts -n "__fish_seen_subcommand_from ${all}" -F`,
  ];
  return `${lines.join("\n")}\n`;
}

function quoteZsh(text: string): string {
  return text.replaceAll("'", "'\\''").replaceAll(":", "\\:");
}

function quoteFish(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("'", "\\'");
}

/** The `completion` command, completing the commands `list` returns (the CLI's command list). */
export const createCompletionCommand = (list: () => readonly AnyCommand[]) =>
  defineCommand<CompletionResult>({
    name: "completion",
    summary: "Print a shell completion script (bash, zsh or fish)",
    usage: ["completion bash|zsh|fish"],
    description:
      "Prints a script that completes the commands, their aliases and options in your shell:\n" +
      "  bash: source <(artifacts completion bash)    (or save it in ~/.local/share/bash-completion/completions/artifacts)\n" +
      "  zsh:  source <(artifacts completion zsh)     (after compinit)\n" +
      "  fish: artifacts completion fish > ~/.config/fish/completions/artifacts.fish",
    options: {},
    optionHelp: [],
    examples: ["completion bash", "completion zsh > ~/.zfunc/_artifacts", "completion fish | source"],
    positionals: { min: 1, max: 1 },
    ownOutput: true,
    run: (context, input) => printCompletion(list(), context, input),
    render: () => "",
  });
