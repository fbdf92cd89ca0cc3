/** `artifacts versions NAME`: the versions of an artifact with date, files, size, aliases, description. */
import {
  ArtifactError,
  DEFAULT_LISTING_CONCURRENCY,
  mapConcurrent,
  validateArtifactName,
} from "../../index.js";
import { type CommandContext, type CommandInput, defineCommand } from "../command.js";
import { formatBytes, formatDate } from "../output/format.js";
import { formatTable } from "../output/table.js";
import { FILTER_HELP, FILTER_OPTIONS, matchesRecord, parseVersionFilter } from "../version-filter.js";

/** One version of `versions`. */
export interface VersionSummary {
  version: string;
  createdAt?: string;
  files: number;
  size: number;
  /** Stored aliases pointing at this version (`latest` is not stored: see `latest`). */
  aliases: string[];
  latest: boolean;
  description?: string;
  /** The version's metadata (`--meta` of its log). */
  metadata?: Record<string, unknown>;
  /** Written by Python scaffold or an older tool: no commit record. */
  legacy?: boolean;
}

/** What `versions` returns. */
export interface VersionsResult {
  name: string;
  collection: string;
  versions: VersionSummary[];
  /** Whether `--alias`, `--since` or `--meta` filtered the list. */
  filtered: boolean;
}

/** Lists every version of `NAME` in the collection, oldest first. */
export async function listArtifactVersions(
  context: CommandContext,
  input: CommandInput,
): Promise<VersionsResult> {
  const { manager, signal } = context;
  const name = input.positionals[0] ?? "";
  validateArtifactName(name);
  const filter = parseVersionFilter(input.values, "versions");
  const collection = manager.activeCollection;
  const all = await manager.listVersions(name, { signal });
  if (all.length === 0) throw notFound(context, name);
  const aliases = await manager.listAliases(name, { signal });
  const latest = all.at(-1);
  const pointedAt = filter?.alias === "latest" ? latest : aliases[filter?.alias ?? ""];
  const versions = filter?.alias === undefined ? all : all.filter((version) => version === pointedAt);
  const listing = { concurrency: DEFAULT_LISTING_CONCURRENCY, signal };
  const summaries = await mapConcurrent(
    versions,
    async (version) => {
      const record = await manager.getVersion(name, { version, signal });
      const summary: VersionSummary = {
        version,
        files: record.files.length,
        size: record.files.reduce((sum, file) => sum + file.size, 0),
        aliases: Object.keys(aliases)
          .filter((alias) => aliases[alias] === version)
          .sort(),
        latest: version === latest,
      };
      if (record.createdAt !== undefined) summary.createdAt = record.createdAt;
      if (record.description !== undefined) summary.description = record.description;
      if (record.metadata !== undefined) summary.metadata = record.metadata;
      if (record.legacy === true) summary.legacy = true;
      return filter === undefined || matchesRecord(filter, record) ? summary : undefined;
    },
    listing,
  );
  const kept = summaries.filter((summary) => summary !== undefined);
  return { name, collection, versions: kept, filtered: filter !== undefined };
}

/** The error for an artifact with no visible version, pointing at `ls`. */
export function notFound(context: CommandContext, name: string): ArtifactError {
  const collection = context.manager.activeCollection;
  return new ArtifactError(
    "NOT_FOUND",
    `artifact '${name}' does not exist in collection '${collection}' of store '${context.store}'; see 'artifacts ls ${collection}'`,
  );
}

function render(result: VersionsResult): string {
  return formatTable(
    result.versions,
    [
      { header: "VERSION", value: (v) => v.version },
      { header: "CREATED", value: (v) => formatDate(v.createdAt) },
      { header: "FILES", value: (v) => String(v.files), right: true },
      { header: "SIZE", value: (v) => formatBytes(v.size), right: true },
      { header: "ALIASES", value: (v) => [...(v.latest ? ["latest"] : []), ...v.aliases].join(", ") },
      { header: "DESCRIPTION", value: (v) => v.description ?? (v.legacy ? "(legacy)" : ""), maxWidth: 60 },
    ],
    result.filtered
      ? `no version of '${result.name}' in collection '${result.collection}' matches the filters`
      : `artifact '${result.name}' has no versions in collection '${result.collection}'`,
  );
}

/** The `versions` command (help, options, renderer). */
export const versionsCommand = defineCommand<VersionsResult>({
  name: "versions",
  summary: "List the versions of an artifact",
  usage: ["versions NAME"],
  description:
    "The versions of NAME, oldest first: date, file count, size, aliases and description (--json adds\n" +
    "each version's metadata). --alias, --since and --meta keep only the versions that match.",
  options: { ...FILTER_OPTIONS },
  optionHelp: FILTER_HELP,
  examples: [
    "versions my-model",
    "versions my-model --since 7d --meta optimizer=adam",
    "versions my-model --alias best --json",
    "versions my-model --collection models --json",
  ],
  positionals: { min: 1, max: 1 },
  run: listArtifactVersions,
  render,
});
