/** `artifacts show NAME[:VERSION]`: the commit record of a version (files, sizes, digests, metadata). */
import type { FileEntry, VersionRecord } from "../../index.js";
import { type CommandContext, type CommandInput, defineCommand } from "../command.js";
import { formatBytes, formatDate, plural } from "../output/format.js";
import { type Column, formatTable } from "../output/table.js";
import { parseRef, versionOption } from "../ref.js";

/** Returns the commit record of a version (default latest); `--json` prints it unchanged. */
export async function showVersion(context: CommandContext, input: CommandInput): Promise<VersionRecord> {
  const ref = parseRef(input.positionals[0] ?? "");
  return context.manager.getVersion(ref.name, { ...versionOption(ref), signal: context.signal });
}

/**
 * The files' digest column: SHA256 (first 16 hex digits) when a file has one, else the backend's MD5
 * (W&B records base64 md5 and no sha256; a W&B reference shows `ref:URI`), else SHA256 with "-".
 */
export function digestColumn(files: readonly FileEntry[]): Column<FileEntry> {
  const other = (f: FileEntry) => (f.ref === undefined ? "-" : `ref:${f.ref}`);
  if (
    files.some((f) => f.sha256 !== undefined) ||
    !files.some((f) => f.md5 !== undefined || f.ref !== undefined)
  ) {
    return {
      header: "SHA256",
      value: (f) => f.sha256?.slice(0, 16) ?? (f.md5 === undefined ? other(f) : `md5:${f.md5}`),
    };
  }
  return { header: "MD5", value: (f) => f.md5 ?? other(f) };
}

/** Who and what logged the version, and the artifacts it was made from (absent fields: no line). */
export function provenanceLines(record: VersionRecord): string[] {
  const lines: string[] = [];
  const p = record.provenance;
  if (p !== undefined && typeof p === "object") {
    if (typeof p.user === "string" || typeof p.host === "string")
      lines.push(`logged by:   ${p.user ?? "?"}@${p.host ?? "?"}`);
    if (Array.isArray(p.command)) lines.push(`command:     ${p.command.map(quoteArg).join(" ")}`);
    if (typeof p.cwd === "string") lines.push(`cwd:         ${p.cwd}`);
    if (p.git !== undefined && typeof p.git.commit === "string") {
      const branch = p.git.branch === undefined ? "" : ` (${p.git.branch})`;
      lines.push(`git:         ${p.git.commit}${branch}${p.git.dirty ? ", dirty" : ""}`);
    }
  }
  if (Array.isArray(record.inputs) && record.inputs.length > 0)
    lines.push(`inputs:      ${record.inputs.join(", ")}`);
  return lines;
}

/** A command-line word as a shell would need it (only when it holds spaces or quotes). */
function quoteArg(word: unknown): string {
  const text = String(word);
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

function render(record: VersionRecord): string {
  const size = record.files.reduce((sum, file) => sum + file.size, 0);
  const lines = [
    `${record.name}:${record.version}  (collection '${record.collection}')`,
    `created:     ${formatDate(record.createdAt)}`,
    `files:       ${plural(record.files.length, "file")}, ${formatBytes(size)}`,
  ];
  if (record.description !== undefined) lines.push(`description: ${record.description}`);
  if (record.digest !== undefined) lines.push(`digest:      sha256:${record.digest}`);
  if (record.producer !== undefined)
    lines.push(`producer:    ${record.producer.name} ${record.producer.version}`);
  if (record.legacy === true)
    lines.push("legacy:      yes (no commit record: written by Python scaffold or an older tool)");
  for (const [key, value] of Object.entries(record.metadata ?? {})) {
    lines.push(`meta:        ${key} = ${JSON.stringify(value)}`);
  }
  lines.push(...provenanceLines(record));
  const files = formatTable(
    record.files,
    [
      { header: "PATH", value: (f) => f.path },
      { header: "SIZE", value: (f) => formatBytes(f.size), right: true },
      digestColumn(record.files),
    ],
    "(no files)",
  );
  return `${lines.join("\n")}\n\n${files}`;
}

/** The `show` command (help, options, renderer). */
export const showCommand = defineCommand<VersionRecord>({
  name: "show",
  summary: "Show the commit record of a version: files, sizes, digests, metadata",
  usage: ["show NAME[:VERSION|:ALIAS]"],
  description:
    "Prints the commit record of a version (default latest): date, description, metadata, producer,\n" +
    "who logged it (user, host, command line, git commit and whether the tree was dirty), its inputs,\n" +
    "and every file with its size and digest (sha256; the md5 on W&B stores, which record no sha256).\n" +
    "With --json, the record exactly as the store holds it.",
  options: {},
  optionHelp: [],
  examples: ["show my-model", "show my-model:v2", "show my-model:best --json"],
  positionals: { min: 1, max: 1 },
  run: showVersion,
  render,
});
