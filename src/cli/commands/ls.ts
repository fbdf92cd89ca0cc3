/** `artifacts ls [COLLECTION]`: the collections of the store, or the artifacts of one collection. */
import { DEFAULT_LISTING_CONCURRENCY, mapConcurrent, validateCollection } from "../../index.js";
import { type CommandContext, type CommandInput, defineCommand } from "../command.js";
import { formatBytes, formatDate } from "../output/format.js";
import { formatTable } from "../output/table.js";
import { UsageError } from "../usage-error.js";
import {
  FILTER_HELP,
  FILTER_OPTIONS,
  matchesRecord,
  parseVersionFilter,
  type VersionFilter,
} from "../version-filter.js";

/** One collection of `ls`. */
export interface CollectionSummary {
  name: string;
  artifacts: number;
}

/** One artifact of `ls COLLECTION`. */
export interface ArtifactSummary {
  name: string;
  /** The latest version, `"v3"`. */
  latest: string;
  versions: number;
  files: number;
  size: number;
  createdAt?: string;
  description?: string;
}

/** What `ls` returns: collections without an argument, artifacts with one. */
export type LsResult =
  | { store: string; collections: CollectionSummary[] }
  | { store: string; collection: string; artifacts: ArtifactSummary[]; filtered?: true };

/** Lists collections, or the artifacts of `COLLECTION` with their latest version. */
export async function listStore(context: CommandContext, input: CommandInput): Promise<LsResult> {
  const { manager, signal, store } = context;
  const collection = input.positionals[0];
  const filter = parseVersionFilter(input.values, "ls");
  if (collection === undefined && filter !== undefined) {
    throw new UsageError(
      "--alias, --since and --meta filter the artifacts of one collection: artifacts ls COLLECTION --since 7d",
      "ls",
    );
  }
  if (collection === undefined) {
    const names = await manager.listCollectionNames({ signal });
    const collections = await mapConcurrent(
      names,
      async (name) => ({ name, artifacts: (await manager.listArtifacts(name, { signal })).length }),
      { concurrency: DEFAULT_LISTING_CONCURRENCY, signal },
    );
    return { store, collections };
  }
  validateCollection(collection);
  const names = await manager.listArtifacts(collection, { signal });
  const summaries = await mapConcurrent(names, (name) => summarize(context, collection, name, filter), {
    concurrency: DEFAULT_LISTING_CONCURRENCY,
    signal,
  });
  const artifacts = summaries.filter((summary) => summary !== undefined);
  return { store, collection, artifacts, ...(filter === undefined ? {} : { filtered: true }) };
}

/**
 * The artifact's latest version (with `--alias`, the version the alias points at), or undefined when
 * the filter leaves it out.
 */
async function summarize(
  context: CommandContext,
  collection: string,
  name: string,
  filter: VersionFilter | undefined,
): Promise<ArtifactSummary | undefined> {
  const { manager, signal } = context;
  const versions = await manager.listVersions(name, { collection, signal });
  let latest = versions.at(-1);
  if (filter?.alias !== undefined && filter.alias !== "latest") {
    latest = (await manager.listAliases(name, { collection, signal }))[filter.alias];
    if (latest === undefined) return undefined;
  }
  if (latest === undefined)
    return filter === undefined ? { name, latest: "-", versions: 0, files: 0, size: 0 } : undefined;
  const record = await manager.getVersion(name, { collection, version: latest, signal });
  if (filter !== undefined && !matchesRecord(filter, record)) return undefined;
  const summary: ArtifactSummary = {
    name,
    latest,
    versions: versions.length,
    files: record.files.length,
    size: record.files.reduce((sum, file) => sum + file.size, 0),
  };
  if (record.createdAt !== undefined) summary.createdAt = record.createdAt;
  if (record.description !== undefined) summary.description = record.description;
  return summary;
}

function render(result: LsResult): string {
  if ("collections" in result) {
    return formatTable(
      result.collections,
      [
        { header: "COLLECTION", value: (c) => c.name },
        { header: "ARTIFACTS", value: (c) => String(c.artifacts), right: true },
      ],
      `no collections in store '${result.store}' yet; log one with: artifacts log PATH NAME`,
    );
  }
  return formatTable(
    result.artifacts,
    [
      { header: "NAME", value: (a) => a.name },
      { header: "LATEST", value: (a) => a.latest },
      { header: "FILES", value: (a) => String(a.files), right: true },
      { header: "SIZE", value: (a) => formatBytes(a.size), right: true },
      { header: "CREATED", value: (a) => formatDate(a.createdAt) },
      { header: "DESCRIPTION", value: (a) => a.description ?? "", maxWidth: 50 },
    ],
    result.filtered
      ? `no artifact in collection '${result.collection}' of store '${result.store}' matches the filters`
      : `no artifacts in collection '${result.collection}' of store '${result.store}'`,
  );
}

/** The `ls` command (help, options, renderer). */
export const lsCommand = defineCommand<LsResult>({
  name: "ls",
  aliases: ["list"],
  summary: "List collections, or the artifacts of a collection",
  usage: ["ls [COLLECTION]"],
  description:
    "Without COLLECTION: the collections of the store and how many artifacts each holds.\n" +
    "With COLLECTION: its artifacts with their latest version, file count, size and date; --since and\n" +
    "--meta keep the artifacts whose latest version matches, --alias those that have the alias (and\n" +
    "show the version it points at).",
  options: { ...FILTER_OPTIONS },
  optionHelp: FILTER_HELP,
  examples: [
    "ls",
    "ls default",
    "ls models --alias production",
    "ls models --since 2026-11-01 --meta dataset=imagenet",
    "ls models --store s3://my-bucket/artifacts --json",
  ],
  positionals: { min: 0, max: 1 },
  run: listStore,
  render,
});
