/** `artifacts verify NAME[:VERSION]`: re-reads a version and compares it with its record (exit 1 on a problem). */
import type { VerifyResult } from "../../index.js";
import { type CommandContext, type CommandInput, defineCommand } from "../command.js";
import { plural } from "../output/format.js";
import { parseRef, versionOption } from "../ref.js";

/** What `verify` returns. */
export interface VerifyCommandResult extends VerifyResult {
  name: string;
  collection: string;
  version: string;
  files: number;
}

/** Resolves the version once, then verifies exactly that version. */
export async function verifyVersion(
  context: CommandContext,
  input: CommandInput,
): Promise<VerifyCommandResult> {
  const { manager, signal, onProgress } = context;
  const ref = parseRef(input.positionals[0] ?? "");
  const record = await manager.getVersion(ref.name, { ...versionOption(ref), signal });
  const result = await manager.verify(ref.name, { version: record.version, signal, onProgress });
  return {
    name: record.name,
    collection: record.collection,
    version: record.version,
    files: record.files.length,
    ...result,
  };
}

function render(r: VerifyCommandResult): string {
  const id = `${r.name}:${r.version}`;
  if (r.ok) return `ok: ${id} matches its record (${plural(r.files, "file")})`;
  const lines = [`PROBLEM: ${id} does not match its record`];
  for (const path of r.missing) lines.push(`  missing  ${path}`);
  for (const path of r.changed) lines.push(`  changed  ${path}`);
  for (const path of r.extra) lines.push(`  extra    ${path}`);
  return lines.join("\n");
}

/** The `verify` command (help, options, renderer). */
export const verifyCommand = defineCommand<VerifyCommandResult>({
  name: "verify",
  summary: "Check that a version's stored files match its record (exit 1 if not)",
  usage: ["verify NAME[:VERSION|:ALIAS]"],
  description:
    "Re-reads every file of a version (default latest) and compares size and sha256 with the commit\n" +
    "record. Lists missing, changed and extra files and exits with code 1 when there is any.",
  options: {},
  optionHelp: [],
  examples: ["verify my-model", "verify my-model:v0 --quiet && echo intact"],
  positionals: { min: 1, max: 1 },
  transfer: true,
  silentWhenQuiet: (r) => r.ok,
  run: verifyVersion,
  render,
  exitCode: (r) => (r.ok ? 0 : 1),
});
