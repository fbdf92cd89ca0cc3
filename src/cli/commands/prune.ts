/** `artifacts prune NAME|--all`: retention: delete the versions no rule keeps. */

import { type PruneOptions, type PruneResult, validateArtifactName } from "../../index.js";
import {
  type CommandContext,
  type CommandInput,
  defineCommand,
  flagOption,
  stringOption,
} from "../command.js";
import { parseOlderThan } from "../duration.js";
import { formatBytes, formatDate, plural } from "../output/format.js";
import { formatTable } from "../output/table.js";
import { UsageError } from "../usage-error.js";

/** What `prune` returns: the library's result and the store it ran on. */
export interface PruneCommandResult extends PruneResult {
  store: string;
}

/** Runs the retention rules over `NAME`, or every artifact of the collection with `--all`. */
export async function pruneStore(context: CommandContext, input: CommandInput): Promise<PruneCommandResult> {
  const { manager, signal, store } = context;
  const all = flagOption(input.values, "all");
  const name = input.positionals[0];
  if (all === (name !== undefined))
    throw new UsageError(
      "name one artifact to prune, or --all for every artifact of the collection",
      "prune",
    );
  if (name !== undefined) validateArtifactName(name);
  const options: PruneOptions = { dryRun: flagOption(input.values, "dry-run"), signal };
  const keepLast = stringOption(input.values, "keep-last");
  if (keepLast !== undefined) {
    if (!/^[0-9]+$/.test(keepLast))
      throw new UsageError(
        `--keep-last needs a whole number of versions to keep, got '${keepLast}'`,
        "prune",
      );
    options.keepLast = Number(keepLast);
  }
  if (flagOption(input.values, "keep-aliased")) options.keepAliased = true;
  const olderThan = stringOption(input.values, "older-than");
  if (olderThan !== undefined) options.olderThan = parseOlderThan(olderThan, "prune");
  if (options.keepLast === undefined && options.olderThan === undefined && !options.keepAliased)
    throw new UsageError(
      "prune needs a rule, or it would delete every version: --keep-last N, --older-than DURATION or --keep-aliased",
      "prune",
    );
  const result = await manager.prune(name ?? { all: true }, options);
  return { store, ...result };
}

function render(r: PruneCommandResult): string {
  const table = formatTable(
    r.removed,
    [
      { header: "VERSION", value: (v) => `${v.name}:${v.version}` },
      { header: "CREATED", value: (v) => formatDate(v.createdAt) },
      { header: "FILES", value: (v) => String(v.files), right: true },
      { header: "SIZE", value: (v) => formatBytes(v.bytes), right: true },
      { header: "ALIASES REMOVED", value: (v) => v.aliases.join(", ") },
    ],
    "",
  );
  const kept = `kept ${plural(r.kept.length, "version")}`;
  if (table === "") return `nothing to prune in store '${r.store}' (${kept})`;
  const verb = r.dryRun ? "would remove" : "removed";
  const freed = r.dryRun ? "would free" : "freed";
  return `${table}\n${verb} ${plural(r.removed.length, "version")}, ${freed} ${formatBytes(r.bytes)} in store '${r.store}' (${kept})`;
}

/** The `prune` command (help, options, renderer). */
export const pruneCommand = defineCommand<PruneCommandResult>({
  name: "prune",
  summary: "Delete old versions by retention rules (keep the last N, aliased, recent)",
  usage: ["prune NAME|--all [--keep-last N] [--keep-aliased] [--older-than DURATION] [--dry-run]"],
  description:
    "Deletes the versions that no rule keeps, in one artifact or (--all) every artifact of the\n" +
    "collection: --keep-last N keeps the N newest, --keep-aliased keeps every version an alias points\n" +
    "at (without it, aliased versions go with their aliases), --older-than keeps versions logged more\n" +
    "recently than DURATION (versions without a date, e.g. Python scaffold's, are kept). At least one\n" +
    "rule is needed. Prints what it removes and the bytes freed; --dry-run only prints. Deleted version\n" +
    "numbers are never reused; a download already running either completes or fails with 'not found'.",
  options: {
    all: { type: "boolean" },
    "keep-last": { type: "string" },
    "keep-aliased": { type: "boolean" },
    "older-than": { type: "string" },
    "dry-run": { type: "boolean", short: "n" },
  },
  optionHelp: [
    ["--all", "Prune every artifact of the collection"],
    ["--keep-last N", "Keep the N newest versions of each artifact"],
    ["--keep-aliased", "Keep versions that aliases point at"],
    ["--older-than DURATION", "Only remove versions older than this: 12h, 30d, 90m"],
    ["-n, --dry-run", "Only list what would be removed"],
  ],
  examples: [
    "prune my-model --keep-last 5 --dry-run",
    "prune my-model --keep-last 5 --keep-aliased",
    "prune --all --older-than 30d --keep-last 1 --collection checkpoints",
    "prune my-model --older-than 7d --json",
  ],
  positionals: { min: 0, max: 1 },
  silentWhenQuiet: true,
  run: pruneStore,
  render,
});
