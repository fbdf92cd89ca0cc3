/** `artifacts rm NAME:VERSION` / `artifacts rm NAME --all`: delete one version or every version. */
import type { DeleteArtifactResult, DeletedVersion } from "../../index.js";
import { type CommandContext, type CommandInput, defineCommand, flagOption } from "../command.js";
import { canAsk, confirm } from "../confirm.js";
import { formatBytes, plural } from "../output/format.js";
import { parseRef } from "../ref.js";
import { UsageError } from "../usage-error.js";

/** What `rm` returns. */
export type RmResult =
  | { action: "version"; store: string; deleted: DeletedVersion }
  | ({ action: "artifact"; store: string } & DeleteArtifactResult)
  | { action: "cancelled"; store: string; name: string; collection: string };

/** Deletes `NAME:VERSION`, or with `--all` every version of `NAME` (asked first on a terminal). */
export async function removeArtifact(context: CommandContext, input: CommandInput): Promise<RmResult> {
  const { manager, signal, store } = context;
  const ref = parseRef(input.positionals[0] ?? "");
  const all = flagOption(input.values, "all");
  const force = flagOption(input.values, "force");
  const collection = manager.activeCollection;
  if (all && ref.version !== undefined)
    throw new UsageError(
      `rm --all deletes every version: name the artifact without a version ('${ref.name}')`,
      "rm",
    );
  if (!all) {
    if (ref.version === undefined)
      throw new UsageError(
        `name the version to delete (${ref.name}:v3, ${ref.name}:latest) or add --all to delete every version of '${ref.name}'`,
        "rm",
      );
    const deleted = await manager.deleteVersion(ref.name, { version: ref.version, force, signal });
    return { action: "version", store, deleted };
  }
  if (!flagOption(input.values, "yes")) {
    if (!canAsk())
      throw new UsageError(
        `rm --all deletes every version of '${ref.name}': add --yes to confirm (no terminal to ask on)`,
        "rm",
      );
    const versions = await manager.listVersions(ref.name, { signal });
    const question =
      versions.length === 0
        ? `Delete artifact '${ref.name}'?`
        : `Delete all ${plural(versions.length, "version")} of '${ref.name}' (${versions[0]}…${versions.at(-1)}) in collection '${collection}' of store '${store}'?`;
    if (!(await confirm(question, signal))) return { action: "cancelled", store, name: ref.name, collection };
  }
  return { action: "artifact", store, ...(await manager.deleteArtifact(ref.name, { force, signal })) };
}

function render(r: RmResult): string {
  if (r.action === "cancelled") return `nothing deleted: '${r.name}' is unchanged`;
  if (r.action === "version") return describeDeleted(r.deleted, r.store);
  const lines = r.versions.map((v) => describeDeleted(v, r.store));
  lines.push(
    `deleted ${plural(r.versions.length, "version")} of ${r.name} (${formatBytes(r.bytes)}) from store '${r.store}'`,
  );
  return lines.join("\n");
}

function describeDeleted(v: DeletedVersion, store: string): string {
  const aliases =
    v.aliases.length === 0 ? "" : `; removed ${plural(v.aliases.length, "alias")}: ${v.aliases.join(", ")}`;
  return `deleted ${v.name}:${v.version} (${plural(v.files, "file")}, ${formatBytes(v.bytes)}) from store '${store}'${aliases}`;
}

/** The `rm` command (help, options, renderer). */
export const rmCommand = defineCommand<RmResult>({
  name: "rm",
  aliases: ["delete"],
  summary: "Delete a version, or every version of an artifact",
  usage: ["rm NAME:VERSION [--force]", "rm NAME --all [--yes] [--force]"],
  description:
    "Deletes a version: it disappears from listings and downloads at once, then its files are\n" +
    "deleted. Its number is never reused; 'latest' moves to the highest remaining version. A version\n" +
    "an alias points at is refused unless --force, which removes the alias too. With --all, every\n" +
    "version of the artifact goes; on a terminal you are asked first (--yes skips the question and is\n" +
    "required when there is no terminal). A download already running either completes with verified\n" +
    "files or fails with 'not found'. If a delete is interrupted, 'artifacts gc' removes what is left.",
  options: {
    all: { type: "boolean" },
    yes: { type: "boolean", short: "y" },
    force: { type: "boolean", short: "f" },
  },
  optionHelp: [
    ["--all", "Delete every version of NAME"],
    ["-y, --yes", "Do not ask before deleting every version (needed without a terminal)"],
    ["-f, --force", "Also delete versions aliases point at, removing those aliases"],
  ],
  examples: [
    "rm my-model:v3",
    "rm my-model:best --force",
    "rm old-dataset --all",
    "rm old-dataset --all --yes --json",
  ],
  positionals: { min: 1, max: 1 },
  silentWhenQuiet: (r) => r.action !== "cancelled",
  run: removeArtifact,
  render,
  exitCode: (r) => (r.action === "cancelled" ? 1 : 0),
});
