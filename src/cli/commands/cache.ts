/** `artifacts cache info|prune [--max SIZE]|clear`: the shared download cache (docs/cache.md). */
import {
  ArtifactError,
  type CacheInfo,
  type CachePruneResult,
  DownloadCache,
  parseByteSize,
} from "../../index.js";
import { type CommandInput, defineCommand, stringOption } from "../command.js";
import { formatBytes, plural } from "../output/format.js";
import { UsageError } from "../usage-error.js";

/** What `cache` returns: the action and the library's result. */
export type CacheResult =
  | ({ action: "info"; enabled: boolean } & CacheInfo)
  | ({ action: "prune" | "clear" } & CachePruneResult);

const ACTIONS = ["info", "prune", "clear"] as const;

/** Runs `cache info`, `cache prune [--max SIZE]` or `cache clear` on the cache of `$ARTIFACTS_CACHE_DIR`. */
export async function runCache(input: CommandInput): Promise<CacheResult> {
  const action = input.positionals[0] ?? "";
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(`unknown cache action '${action}'; use info, prune or clear`, "cache");
  }
  const max = stringOption(input.values, "max");
  if (max !== undefined && action !== "prune") throw new UsageError("--max goes with 'cache prune'", "cache");
  const cache = new DownloadCache();
  if (action === "info") return { action, enabled: cacheEnabled(), ...(await cache.info()) };
  if (action === "clear") return { action, ...(await cache.clear()) };
  return { action: "prune", ...(await cache.prune(max === undefined ? {} : { maxBytes: parseMax(max) })) };
}

function parseMax(text: string): number {
  try {
    return parseByteSize(text, "--max");
  } catch (error) {
    if (error instanceof ArtifactError) throw new UsageError(error.message, "cache");
    throw error;
  }
}

/** Whether downloads use the cache by default (`ARTIFACTS_CACHE` not off). */
function cacheEnabled(): boolean {
  return !["off", "0", "false", "no"].includes((process.env.ARTIFACTS_CACHE ?? "").trim().toLowerCase());
}

function render(r: CacheResult): string {
  const held = (files: number, bytes: number) =>
    `${plural(files, "file")}, ${formatBytes(bytes)} of ${formatBytes(r.maxBytes)}`;
  if (r.action === "info") {
    const partial =
      r.partialFiles > 0
        ? `\n${plural(r.partialFiles, "partial download")} (${formatBytes(r.partialBytes)})`
        : "";
    const off = r.enabled ? "" : "\noff by default (ARTIFACTS_CACHE=off)";
    return `download cache ${r.dir}: ${held(r.files, r.bytes)}${partial}${off}`;
  }
  const removed = `removed ${plural(r.removedFiles, "file")} (${formatBytes(r.removedBytes)})`;
  return `${removed} from download cache ${r.dir}; it holds ${held(r.files, r.bytes)}`;
}

/** The `cache` command (help, options, renderer). */
export const cacheCommand = defineCommand<CacheResult>({
  name: "cache",
  summary: "Show, prune or clear the shared download cache",
  usage: ["cache info", "cache prune [--max SIZE]", "cache clear"],
  description:
    "Downloads from object stores and W&B keep each verified file in a shared cache, so the next get of\n" +
    "the same bytes (any version, any artifact) copies it instead of downloading it. The cache is at\n" +
    "$ARTIFACTS_CACHE_DIR (default: the platform cache folder) and keeps at most $ARTIFACTS_CACHE_MAX\n" +
    "(default 10GiB), removing least recently used files. info shows where it is and what it holds;\n" +
    "prune removes least recently used files down to --max (default: the cap); clear empties it.\n" +
    "Downloads running meanwhile are not disturbed. ARTIFACTS_CACHE=off or get --no-cache bypass it.",
  options: {
    max: { type: "string" },
  },
  optionHelp: [["--max SIZE", "prune: keep at most SIZE (500M, 2GiB, 0; default: the cap)"]],
  examples: ["cache info", "cache prune --max 2GiB", "cache clear --json"],
  positionals: { min: 1, max: 1 },
  silentWhenQuiet: true,
  run: (_context, input) => runCache(input),
  render,
});
