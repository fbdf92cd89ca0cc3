/** `artifacts alias set|rm|ls`: named, movable pointers to versions (`best`, `production`, …). */
import { validateArtifactName } from "../../index.js";
import { type CommandContext, type CommandInput, defineCommand } from "../command.js";
import { formatTable } from "../output/table.js";
import { parseRef, versionOption } from "../ref.js";
import { UsageError } from "../usage-error.js";
import { notFound } from "./versions.js";

/** What `alias` returns, by subcommand. */
export type AliasResult =
  | { action: "set"; name: string; collection: string; alias: string; version: string }
  | { action: "rm"; name: string; collection: string; alias: string }
  | { action: "ls"; name: string; collection: string; aliases: Record<string, string> };

const USAGE = ["alias set NAME[:VERSION] ALIAS", "alias rm NAME ALIAS", "alias ls NAME"];

/** Runs `alias set`, `alias rm` or `alias ls`. */
export async function runAlias(context: CommandContext, input: CommandInput): Promise<AliasResult> {
  const { manager, signal } = context;
  const [action, target = "", alias = "", ...extra] = input.positionals;
  const collection = manager.activeCollection;
  const arity = { set: 3, rm: 3, ls: 2 }[action as "set"];
  if (arity === undefined || input.positionals.length !== arity || extra.length > 0) {
    throw new UsageError(`usage: artifacts ${USAGE.join(" | ")}`, "alias");
  }
  if (action === "set") {
    const ref = parseRef(target);
    const artifact = await manager.setAlias(ref.name, alias, { ...versionOption(ref), signal });
    return { action, name: ref.name, collection: artifact.collection, alias, version: artifact.version };
  }
  validateArtifactName(target);
  if (action === "rm") {
    await manager.removeAlias(target, alias);
    return { action, name: target, collection, alias };
  }
  if (!(await manager.existsInCollection(target))) throw notFound(context, target);
  return { action: "ls", name: target, collection, aliases: await manager.listAliases(target, { signal }) };
}

function render(r: AliasResult): string {
  if (r.action === "set") return `${r.alias} -> ${r.name}:${r.version}`;
  if (r.action === "rm") return `removed alias '${r.alias}' of ${r.name}`;
  const rows = Object.entries(r.aliases).sort(([a], [b]) => (a < b ? -1 : 1));
  return formatTable(
    rows,
    [
      { header: "ALIAS", value: ([alias]) => alias },
      { header: "VERSION", value: ([, version]) => version },
    ],
    `artifact '${r.name}' has no aliases; set one with: artifacts alias set ${r.name}:VERSION ALIAS`,
  );
}

/** The `alias` command (help, options, renderer). */
export const aliasCommand = defineCommand<AliasResult>({
  name: "alias",
  summary: "Set, remove or list aliases (named pointers such as best or production)",
  usage: USAGE,
  description:
    "An alias names a version and can be moved: 'alias set' points it at a version (default latest),\n" +
    "moving it if it exists; 'alias rm' removes it; 'alias ls' lists them. Use NAME:ALIAS anywhere a\n" +
    "version is accepted. 'latest' and 'v<N>' are reserved.",
  options: {},
  optionHelp: [],
  examples: [
    "alias set my-model:v3 production",
    "alias set my-model best",
    "alias rm my-model best",
    "alias ls my-model",
  ],
  positionals: { min: 2, max: 3 },
  silentWhenQuiet: (r) => r.action !== "ls",
  run: runAlias,
  render,
});
