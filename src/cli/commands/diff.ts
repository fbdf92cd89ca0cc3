/** `artifacts diff NAME:VA NAME:VB`: files added, removed and changed between two versions. */
import { diffRecords } from "../../index.js";
import { type CommandContext, type CommandInput, defineCommand } from "../command.js";
import { formatBytes, plural } from "../output/format.js";
import { parseRef, versionOption } from "../ref.js";

/** A file present on one side only. */
export interface DiffFile {
  path: string;
  size: number;
}

/** A file present on both sides with a different size, digest (sha256, or md5 on W&B) or reference. */
export interface ChangedFile {
  path: string;
  fromSize: number;
  toSize: number;
}

/** What `diff` returns. */
export interface DiffResult {
  from: { name: string; collection: string; version: string };
  to: { name: string; collection: string; version: string };
  added: DiffFile[];
  removed: DiffFile[];
  changed: ChangedFile[];
  unchanged: number;
  /** Both versions have artifact digests and they are equal (same files, same bytes). */
  sameDigest: boolean;
}

/** Compares the commit records of two versions with the library's `diffRecords` (nothing is downloaded). */
export async function diffVersions(context: CommandContext, input: CommandInput): Promise<DiffResult> {
  const { manager, signal } = context;
  const [a, b] = input.positionals.map(parseRef);
  if (a === undefined || b === undefined) throw new Error("diff needs two versions");
  const from = await manager.getVersion(a.name, { ...versionOption(a), signal });
  const to = await manager.getVersion(b.name, { ...versionOption(b), signal });
  const diff = diffRecords(from, to);
  return {
    from: { name: from.name, collection: from.collection, version: from.version },
    to: { name: to.name, collection: to.collection, version: to.version },
    added: diff.added.map(({ path, size }) => ({ path, size })),
    removed: diff.removed.map(({ path, size }) => ({ path, size })),
    changed: diff.changed.map(({ path, before, after }) => ({
      path,
      fromSize: before.size,
      toSize: after.size,
    })),
    unchanged: diff.unchanged,
    sameDigest: diff.sameDigest,
  };
}

function render(r: DiffResult): string {
  const id = (side: DiffResult["from"]) => `${side.name}:${side.version}`;
  const rows: [string, string, string][] = [
    ...r.added.map((f): [string, string, string] => ["+", f.path, formatBytes(f.size)]),
    ...r.removed.map((f): [string, string, string] => ["-", f.path, formatBytes(f.size)]),
    ...r.changed.map((f): [string, string, string] => [
      "~",
      f.path,
      `${formatBytes(f.fromSize)} -> ${formatBytes(f.toSize)}`,
    ]),
  ];
  // A loop, not Math.max(...rows): a spread of 200,000 arguments overflows the stack.
  let width = 0;
  for (const [, path] of rows) width = Math.max(width, path.length);
  const lines = rows.map(([mark, path, size]) => `${mark} ${path.padEnd(width)}  ${size}`);
  const summary = `${r.added.length} added, ${r.removed.length} removed, ${r.changed.length} changed, ${plural(r.unchanged, "file")} unchanged`;
  return [`${id(r.from)} -> ${id(r.to)}`, ...lines, summary].join("\n");
}

/** The `diff` command (help, options, renderer). */
export const diffCommand = defineCommand<DiffResult>({
  name: "diff",
  summary: "Show files added, removed and changed between two versions",
  usage: ["diff NAME:VERSION_A NAME:VERSION_B"],
  description:
    "Compares the commit records of two versions (sizes and sha256 digests, md5 on W&B stores; nothing\n" +
    "is downloaded). The two sides may be different artifacts. A side without a version means its latest.",
  options: {},
  optionHelp: [],
  examples: ["diff my-model:v1 my-model:v2", "diff my-model:production my-model:latest --json"],
  positionals: { min: 2, max: 2 },
  run: diffVersions,
  render,
});
