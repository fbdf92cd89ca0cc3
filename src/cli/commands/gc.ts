/** `artifacts gc`: removes abandoned uploads (claims without a commit record) after a grace period. */
import { ArtifactError } from "../../index.js";
import { type CommandContext, type CommandInput, defineCommand, flagOption } from "../command.js";

/** What `gc` returns. */
export interface GcResult {
  dryRun: boolean;
  result: unknown;
}

/** Runs the store's garbage collection. */
export async function collectGarbage(context: CommandContext, input: CommandInput): Promise<GcResult> {
  const dryRun = flagOption(input.values, "dry-run");
  const manager = context.manager as unknown as { collectGarbage?: (options: object) => Promise<unknown> };
  if (typeof manager.collectGarbage !== "function") {
    throw new ArtifactError("UNSUPPORTED", `store '${context.store}' has no garbage collection`);
  }
  return { dryRun, result: await manager.collectGarbage({ dryRun, signal: context.signal }) };
}

export const gcCommand = defineCommand<GcResult>({
  name: "gc",
  summary: "Remove abandoned uploads (interrupted or crashed logs)",
  usage: ["gc [--dry-run]"],
  description: "Removes abandoned uploads: claimed version numbers that never got a commit record.",
  options: { "dry-run": { type: "boolean", short: "n" } },
  optionHelp: [["-n, --dry-run", "Only list what would be removed"]],
  examples: ["gc --dry-run", "gc"],
  positionals: { min: 0, max: 0 },
  silentWhenQuiet: true,
  run: collectGarbage,
  render: (r) => JSON.stringify(r.result, null, 2),
});
