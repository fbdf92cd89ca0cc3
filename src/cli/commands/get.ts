/** `artifacts get NAME[:VERSION|:ALIAS]`: downloads a version (or one of its files) into a folder. */
import { join, resolve } from "node:path";
import { type Artifact, validateArtifactPath } from "../../index.js";
import {
  type CommandContext,
  type CommandInput,
  defineCommand,
  flagOption,
  stringOption,
} from "../command.js";
import { type ArtifactRef, parseRef, versionOption } from "../ref.js";

/** What `get` returns. */
export interface GetResult extends Artifact {
  /** The store it came from (as given). */
  store: string;
  /** Absolute path of the folder (or, with `--file`, the file) written. */
  path: string;
  /** With `--file`: the file's path inside the artifact. */
  file?: string;
}

/** Downloads a version into `--to` (default: a folder named after the artifact). */
export async function getArtifact(context: CommandContext, input: CommandInput): Promise<GetResult> {
  const ref = parseRef(input.positionals[0] ?? "");
  const to = resolve(context.cwd, stringOption(input.values, "to") ?? ref.name);
  const file = stringOption(input.values, "file");
  const { manager, signal, onProgress } = context;
  const cache = cacheOption(input);
  if (file !== undefined) return getOneFile(context, ref, validateArtifactPath(file, "--file"), to, cache);
  const artifact = await manager.downloadArtifact(ref.name, {
    ...versionOption(ref),
    ...cache,
    to,
    signal,
    onProgress,
  });
  return { ...artifact, store: context.store, path: to };
}

/** `--no-cache`: this download bypasses the download cache. */
function cacheOption(input: CommandInput): { cache?: false } {
  return flagOption(input.values, "no-cache") ? { cache: false } : {};
}

/** Downloads only `file` of the version (the library reads and verifies that file alone) into `to`. */
async function getOneFile(
  context: CommandContext,
  ref: ArtifactRef,
  file: string,
  to: string,
  cache: { cache?: false },
): Promise<GetResult> {
  const { manager, signal, onProgress } = context;
  const artifact = await manager.downloadArtifact(ref.name, {
    ...versionOption(ref),
    ...cache,
    to,
    paths: [file],
    signal,
    onProgress,
  });
  return { ...artifact, store: context.store, path: join(to, file), file };
}

/** The `get` command (help, options, renderer). */
export const getCommand = defineCommand<GetResult>({
  name: "get",
  aliases: ["download"],
  summary: "Download a version (default latest) into a folder",
  usage: ["get NAME[:VERSION|:ALIAS] [--to DIR] [--file PATH] [--no-cache]"],
  description:
    "Downloads the files of a version into --to (default: a folder named after the artifact in the\n" +
    "current folder). Every file is checked against its sha256 and moved into place only when all are\n" +
    "verified. Same-named files in the folder are overwritten, other files are left alone. With --file,\n" +
    "only that file is downloaded and verified (the rest of the version is not read). From object stores\n" +
    "and W&B, files already in the download cache are copied from it, others enter it as they arrive.",
  options: {
    to: { type: "string", short: "o" },
    file: { type: "string" },
    "no-cache": { type: "boolean" },
  },
  optionHelp: [
    ["-o, --to DIR", "Target folder (default: ./NAME)"],
    ["--file PATH", "Only this file of the version (written to DIR/PATH)"],
    ["--no-cache", "Neither read nor fill the download cache (see 'artifacts cache')"],
  ],
  examples: ["get my-model", "get my-model:v3 --to ./restored", "get my-model:best --file weights/model.pt"],
  positionals: { min: 1, max: 1 },
  transfer: true,
  silentWhenQuiet: true,
  run: getArtifact,
  render: (r) =>
    `saved ${r.name}:${r.version} from collection '${r.collection}' of store '${r.store}' to ${r.path}`,
});
