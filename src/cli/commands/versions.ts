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
  /** Written by Python scaffold or an older tool: no commit record. */
  legacy?: boolean;
}

/** What `versions` returns. */
export interface VersionsResult {
  name: string;
  collection: string;
  versions: VersionSummary[];
}

/** Lists every version of `NAME` in the collection, oldest first. */
export async function listArtifactVersions(
  context: CommandContext,
  input: CommandInput,
): Promise<VersionsResult> {
  const { manager, signal } = context;
  const name = input.positionals[0] ?? "";
  validateArtifactName(name);
  const collection = manager.activeCollection;
  const versions = await manager.listVersions(name, { signal });
  if (versions.length === 0) throw notFound(context, name);
  const aliases = await manager.listAliases(name, { signal });
  const latest = versions.at(-1);
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
      if (record.legacy === true) summary.legacy = true;
      return summary;
    },
    listing,
  );
  return { name, collection, versions: summaries };
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
    `artifact '${result.name}' has no versions in collection '${result.collection}'`,
  );
}

/** The `versions` command (help, options, renderer). */
export const versionsCommand = defineCommand<VersionsResult>({
  name: "versions",
  summary: "List the versions of an artifact",
  usage: ["versions NAME"],
  description: "The versions of NAME, oldest first: date, file count, size, aliases and description.",
  options: {},
  optionHelp: [],
  examples: ["versions my-model", "versions my-model --collection models --json"],
  positionals: { min: 1, max: 1 },
  run: listArtifactVersions,
  render,
});
