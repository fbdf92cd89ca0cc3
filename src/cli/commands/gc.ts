/** `artifacts gc`: removes abandoned uploads (claims that never got a commit record) after a grace period. */
import {
  ArtifactError,
  type CollectGarbageOptions,
  type CollectGarbageResult,
  FileSystemArtifactManager,
} from "../../index.js";
import {
  type CommandContext,
  type CommandInput,
  defineCommand,
  flagOption,
  stringOption,
} from "../command.js";
import { parseOlderThan } from "../duration.js";
import { formatBytes, formatDuration, plural } from "../output/format.js";
import { formatTable } from "../output/table.js";
import { UsageError } from "../usage-error.js";

/** What `gc` returns: the library's result and the store it ran on. */
export interface GcResult extends CollectGarbageResult {
  store: string;
}

/** Grace periods below this delete what a log still running elsewhere may be writing: `--force` only. */
export const MIN_GRACE_WITHOUT_FORCE_MS = 3_600_000;

/** Runs the store's garbage collection over every collection (or `--collection` when given). */
export async function collectStoreGarbage(context: CommandContext, input: CommandInput): Promise<GcResult> {
  const { manager } = context;
  if (!(manager instanceof FileSystemArtifactManager)) {
    throw new ArtifactError(
      "UNSUPPORTED",
      `store '${context.store}' has no garbage collection to run (the W&B server cleans up unfinished uploads itself)`,
    );
  }
  const olderThan = stringOption(input.values, "older-than");
  const options: CollectGarbageOptions = {
    dryRun: flagOption(input.values, "dry-run"),
    signal: context.signal,
  };
  if (olderThan !== undefined) options.olderThanMs = parseOlderThan(olderThan, "gc");
  const grace = options.olderThanMs;
  if (
    grace !== undefined &&
    grace < MIN_GRACE_WITHOUT_FORCE_MS &&
    !options.dryRun &&
    !flagOption(input.values, "force")
  ) {
    throw new UsageError(
      `--older-than ${olderThan} is under one hour: gc would take over the uploads of logs still running elsewhere (they then fail with CONFLICT). Add --force if no log is running on this store, or try --dry-run first`,
      "gc",
    );
  }
  if (context.explicitCollection !== undefined) options.collection = context.explicitCollection;
  return { store: context.store, ...(await manager.collectGarbage(options)) };
}

function render(r: GcResult): string {
  const verb = r.dryRun ? "would remove" : "removed";
  const table = formatTable(
    r.items,
    [
      { header: "KIND", value: (i) => i.kind },
      { header: "ARTIFACT", value: (i) => `${i.collection}/${i.name}${i.version ? `:${i.version}` : ""}` },
      { header: "OBJECTS", value: (i) => String(i.objects), right: true },
      { header: "SIZE", value: (i) => formatBytes(i.bytes), right: true },
      { header: "AGE", value: (i) => formatDuration(i.ageMs / 1000) },
    ],
    "",
  );
  const summary = `${verb} ${plural(r.objects, "object")} (${formatBytes(r.bytes)}) in store '${r.store}'`;
  return table === "" ? `nothing to remove in store '${r.store}'` : `${table}\n${summary}`;
}

/** The `gc` command (help, options, renderer). */
export const gcCommand = defineCommand<GcResult>({
  name: "gc",
  summary: "Remove abandoned uploads (interrupted or crashed logs)",
  usage: ["gc [--dry-run] [--older-than DURATION [--force]]"],
  description:
    "Removes what interrupted or crashed logs left behind: claimed version numbers that never got a\n" +
    "commit record, the files uploaded under them, and staging folders. Only things older than the\n" +
    "grace period are touched (default 24h; age = the newest object's, on the store's clock), so a log\n" +
    "still running elsewhere is safe. A grace under one hour needs --force. gc never deletes a committed\n" +
    "version: it first marks an abandoned number dead with a tombstone, which a late commit cannot pass.\n" +
    "Every collection is cleaned unless --collection is given. Removed version numbers are never reused.",
  options: {
    "dry-run": { type: "boolean", short: "n" },
    "older-than": { type: "string" },
    force: { type: "boolean" },
  },
  optionHelp: [
    ["-n, --dry-run", "Only list what would be removed"],
    ["--older-than DURATION", "Grace period with a unit: 30m, 12h, 7d (default 24h)"],
    ["--force", "Allow a grace period under one hour (no log may be running)"],
  ],
  examples: [
    "gc --dry-run",
    "gc",
    "gc --older-than 1h --collection models --json",
    "gc --older-than 0 --force",
  ],
  positionals: { min: 0, max: 0 },
  silentWhenQuiet: true,
  run: collectStoreGarbage,
  render,
});
