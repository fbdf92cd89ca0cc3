/**
 * `artifacts lineage NAME[:VERSION]`: the chain of artifacts a version was made from (the `inputs` its
 * record lists, and theirs, recursively), and with `--used-by` the versions in its collection that list
 * it as an input (a scan of every record of the collection).
 */
import type { ArtifactManager, VersionRecord } from "../../index.js";
import { ArtifactError } from "../../index.js";
import { type CommandContext, type CommandInput, defineCommand, flagOption } from "../command.js";
import { parseRef, versionOption } from "../ref.js";

/** One version in the lineage tree. */
export interface LineageNode {
  /** `name:vN` (`collection/name:vN` outside the root's collection). */
  ref: string;
  inputs: LineageNode[];
  /** Why the input could not be read (deleted since, another store…). */
  missing?: string;
  /** Listed once already higher in the tree: its inputs are not repeated. */
  repeated?: boolean;
}

/** What `lineage` returns. */
export interface LineageResult {
  collection: string;
  root: LineageNode;
  /** With `--used-by`: the versions of the collection that list the root as an input. */
  usedBy?: string[];
}

/** Deepest chain followed (a store's records cannot loop: an input exists before its consumer). */
const MAX_DEPTH = 64;

export async function showLineage(context: CommandContext, input: CommandInput): Promise<LineageResult> {
  const ref = parseRef(input.positionals[0] ?? "");
  const { manager, signal } = context;
  const record = await manager.getVersion(ref.name, { ...versionOption(ref), signal });
  const seen = new Set<string>();
  const root = await nodeOf(manager, record, record.collection, seen, 0, signal);
  const result: LineageResult = { collection: record.collection, root };
  if (flagOption(input.values, "used-by")) result.usedBy = await usedBy(manager, record, signal);
  return result;
}

async function nodeOf(
  manager: ArtifactManager,
  record: VersionRecord,
  rootCollection: string,
  seen: Set<string>,
  depth: number,
  signal: AbortSignal,
): Promise<LineageNode> {
  const key = `${record.collection}/${record.name}:${record.version}`;
  const node: LineageNode = {
    ref: refText(record.collection, record.name, record.version, rootCollection),
    inputs: [],
  };
  if (seen.has(key) || depth >= MAX_DEPTH) return { ...node, repeated: true };
  seen.add(key);
  for (const text of Array.isArray(record.inputs) ? record.inputs : []) {
    const parsed = parseStoredRef(String(text), record.collection);
    if (parsed === undefined) {
      node.inputs.push({ ref: String(text), inputs: [], missing: "not a valid ref" });
      continue;
    }
    try {
      const input = await manager.getVersion(parsed.name, {
        collection: parsed.collection,
        version: parsed.version,
        signal,
      });
      node.inputs.push(await nodeOf(manager, input, rootCollection, seen, depth + 1, signal));
    } catch (error) {
      if (!(error instanceof ArtifactError) || error.code !== "NOT_FOUND") throw error;
      const ref = refText(parsed.collection, parsed.name, parsed.version, rootCollection);
      node.inputs.push({ ref, inputs: [], missing: "no longer in the store" });
    }
  }
  return node;
}

/** A recorded input: `name:vN` (in `collection`) or `other/name:vN`; undefined when malformed. */
function parseStoredRef(text: string, collection: string) {
  const match = /^(?:([^/]+)\/)?([^/:]+):(v\d+)$/.exec(text);
  if (!match) return undefined;
  return { collection: match[1] ?? collection, name: match[2] as string, version: match[3] as string };
}

function refText(collection: string, name: string, version: string, rootCollection: string): string {
  return `${collection === rootCollection ? "" : `${collection}/`}${name}:${version}`;
}

/** Versions of the collection whose record lists `record` as an input (reads every record). */
async function usedBy(
  manager: ArtifactManager,
  record: VersionRecord,
  signal: AbortSignal,
): Promise<string[]> {
  const { collection } = record;
  const target = `${record.name}:${record.version}`;
  const found: string[] = [];
  for (const name of await manager.listArtifacts(collection, { signal })) {
    for (const version of await manager.listVersions(name, { collection, signal })) {
      const other = await manager.getVersion(name, { collection, version, signal }).catch(() => null);
      if (other?.inputs?.includes(target)) found.push(`${name}:${version}`);
    }
  }
  return found;
}

function render(result: LineageResult): string {
  const lines = [`${result.root.ref}  (collection '${result.collection}')`];
  const walk = (nodes: LineageNode[], indent: string) => {
    nodes.forEach((node, i) => {
      const last = i === nodes.length - 1;
      const note = node.missing ? `  (${node.missing})` : node.repeated ? "  (see above)" : "";
      lines.push(`${indent}${last ? "└── " : "├── "}${node.ref}${note}`);
      walk(node.inputs, `${indent}${last ? "    " : "│   "}`);
    });
  };
  if (result.root.inputs.length === 0) lines.push("(no inputs recorded: log with --input NAME:VERSION)");
  walk(result.root.inputs, "");
  if (result.usedBy !== undefined) {
    lines.push("", "used by:");
    lines.push(
      ...(result.usedBy.length === 0
        ? ["(no version of the collection lists it as an input)"]
        : result.usedBy.map((r) => `  ${r}`)),
    );
  }
  return lines.join("\n");
}

/** The `lineage` command (help, options, renderer). */
export const lineageCommand = defineCommand<LineageResult>({
  name: "lineage",
  summary: "Show the artifacts a version was made from (its --input chain)",
  usage: ["lineage NAME[:VERSION|:ALIAS] [--used-by]"],
  description:
    "Prints the inputs a version records (log --input), then their inputs, as a tree. With --used-by,\n" +
    "also the versions of its collection that list it as an input (reads every record of the collection).",
  options: { "used-by": { type: "boolean" } },
  optionHelp: [["--used-by", "Also list the versions of the collection made from this one"]],
  examples: ["lineage my-model:v3", "lineage dataset:v2 --used-by --json"],
  positionals: { min: 1, max: 1 },
  run: showLineage,
  render,
});
