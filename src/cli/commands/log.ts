/**
 * `artifacts log PATH NAME`: logs a file or a folder as the next version of an artifact. On a W&B store
 * PATH may be a URI (`s3://`, `gs://`, Azure, `http(s)://`, `file://`): the version then records it as a
 * reference (`WandbArtifactManager.logReferences`).
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Artifact,
  ArtifactError,
  type LogFilesOptions,
  type ReferenceSpec,
  validateAlias,
  validateArtifactPath,
} from "../../index.js";
import {
  type CommandContext,
  type CommandInput,
  defineCommand,
  flagOption,
  stringListOption,
  stringOption,
} from "../command.js";
import { formatBytes, plural } from "../output/format.js";

/** What `log` returns. */
export interface LogResult extends Artifact {
  /** The store it was logged to (as given). */
  store: string;
  files: number;
  size: number;
  aliases: string[];
  /** `--skip-unchanged` found the content identical to this (existing) version: nothing was logged. */
  reused: boolean;
}

/** Logs `PATH` as the next version of `NAME`, then points each `--alias` at it. */
export async function logArtifact(context: CommandContext, input: CommandInput): Promise<LogResult> {
  const [path = "", name = ""] = input.positionals;
  const aliases = stringListOption(input.values, "alias");
  for (const alias of aliases) validateAlias(alias);
  const { manager, signal } = context;
  const options: LogFilesOptions = { signal, onProgress: context.onProgress };
  const description = stringOption(input.values, "description");
  const pathOption = stringOption(input.values, "path");
  // Checked here so that an unsafe value is reported as `--path`, the option the user typed.
  const artifactPath = pathOption === undefined ? undefined : validateArtifactPath(pathOption, "--path");
  const meta = stringListOption(input.values, "meta");
  const include = stringListOption(input.values, "include");
  const exclude = stringListOption(input.values, "exclude");
  if (include.length > 0) options.include = include;
  if (exclude.length > 0) options.exclude = exclude;
  if (description !== undefined) options.description = description;
  if (artifactPath !== undefined) options.artifactPath = artifactPath;
  if (meta.length > 0) options.metadata = parseMetadata(meta);
  const inputs = stringListOption(input.values, "input");
  if (inputs.length > 0) options.inputs = inputs;
  if (flagOption(input.values, "skip-unchanged")) options.ifUnchanged = "reuse";
  if (flagOption(input.values, "no-provenance")) options.provenance = false;
  const artifact = await logPath(context, name, path, options);
  // The version is committed: a Ctrl-C from here on must not report it as cancelled.
  const at = { collection: artifact.collection, version: artifact.version };
  let step = "reading it back";
  try {
    for (const alias of aliases) {
      step = `pointing alias '${alias}' at it`;
      await manager.setAlias(artifact.name, alias, at);
    }
    step = "reading it back";
    const record = await manager.getVersion(artifact.name, at);
    const size = record.files.reduce((sum, file) => sum + file.size, 0);
    return {
      name: artifact.name,
      collection: artifact.collection,
      version: artifact.version,
      store: context.store,
      files: record.files.length,
      size,
      aliases,
      reused: artifact.reused === true,
    };
  } catch (error) {
    throw committedBut(artifact, step, aliases, error);
  }
}

/**
 * A failure after the commit never reads as a failed log (a user who logged again would get a
 * duplicate): the message says the version is committed and what is left to do.
 */
function committedBut(artifact: Artifact, step: string, aliases: string[], error: unknown): ArtifactError {
  const ref = `${artifact.name}:${artifact.version}`;
  const reason = error instanceof Error ? error.message : String(error);
  const redo = aliases.map((alias) => `artifacts alias ${ref} ${alias}`).join("; ");
  return new ArtifactError(
    error instanceof ArtifactError ? error.code : "UNEXPECTED",
    `${ref} was committed in collection '${artifact.collection}' (complete and kept: do not log it again), but ${step} failed: ${reason}${redo ? `; to set the aliases, run: ${redo}` : ""}`,
    {
      cause: error,
      context: {
        operation: "log",
        name: artifact.name,
        collection: artifact.collection,
        commit: "committed",
      },
    },
  );
}

/** A manager that records references (the W&B one), told apart without loading it. */
interface ReferenceLogger {
  logReferences(name: string, references: ReferenceSpec, options: LogFilesOptions): Promise<Artifact>;
}

/** Logs a local path, or on a W&B store a URI as a reference; a `file://` URL is a local path elsewhere. */
async function logPath(context: CommandContext, name: string, path: string, options: LogFilesOptions) {
  const { manager } = context;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]+):\/\//.exec(path)?.[1]?.toLowerCase();
  if (scheme === undefined) return await manager.logFiles(name, resolve(context.cwd, path), options);
  if ("logReferences" in manager) {
    const { artifactPath, ...rest } = options;
    const spec = { uri: path, ...(artifactPath === undefined ? {} : { name: artifactPath }) };
    return await (manager as unknown as ReferenceLogger).logReferences(name, spec, rest);
  }
  if (scheme === "file") return await manager.logFiles(name, fileURLToPath(path), options);
  throw new ArtifactError(
    "INVALID_ARGUMENT",
    `${path} is a URI: only a W&B store (--store wandb://…) records references; on this store, log a local path (download it first)`,
  );
}

/** Parses `key=value` pairs; a value that is valid JSON (`0.1`, `true`, `[1,2]`) is stored parsed. */
export function parseMetadata(pairs: readonly string[]): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `invalid --meta ${JSON.stringify(pair)}: write key=value, e.g. --meta lr=0.001 --meta optimizer=adam`,
      );
    }
    metadata[pair.slice(0, eq)] = parseValue(pair.slice(eq + 1));
  }
  return metadata;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The `log` command (help, options, renderer). */
export const logCommand = defineCommand<LogResult>({
  name: "log",
  aliases: ["put", "upload"],
  summary: "Log a file or folder as the next version of an artifact",
  usage: ["log PATH NAME [options]"],
  description:
    "Logs PATH as the next version (v0, v1, …) of artifact NAME in the collection. A folder's contents go to\n" +
    "the version root; a file goes to the root under its own name, or to --path. A version appears whole\n" +
    "or not at all: Ctrl-C or a crash before the version is committed leaves no version (exit 130); once\n" +
    "its commit record may have reached the store, Ctrl-C waits until the store says whether it did: a\n" +
    "committed version is kept whole, printed as logged, named on stderr as kept, and the exit code is 0.\n" +
    "On a W&B store PATH may be a URI (s3://, gs://, Azure https, http(s)://, file://): the version\n" +
    "records it as a reference, as W&B's add_reference does (an object, or every object under a prefix;\n" +
    "--path names the entry or folder).\n" +
    "Files the latest version already holds (same sha256, any path) are copied inside the store, not\n" +
    "uploaded. With --skip-unchanged, content identical to the latest version logs nothing: that version\n" +
    "is printed (and --alias applies to it). The record keeps host, user, command line and git commit\n" +
    "(--no-provenance: none of them) and the --input artifacts (lineage NAME:VERSION prints the chain).",
  options: {
    description: { type: "string", short: "d" },
    path: { type: "string" },
    meta: { type: "string", multiple: true },
    alias: { type: "string", multiple: true },
    include: { type: "string", multiple: true },
    exclude: { type: "string", multiple: true },
    input: { type: "string", multiple: true },
    "skip-unchanged": { type: "boolean" },
    "no-provenance": { type: "boolean" },
  },
  optionHelp: [
    ["-d, --description TEXT", "Description of the version"],
    ["--path PATH", "For a single file: its path inside the artifact (default: its own name)"],
    ["--meta KEY=VALUE", "Metadata (repeatable); JSON values such as 0.1, true or [1,2] are parsed"],
    ["--alias ALIAS", "Point an alias (e.g. best, production) at the new version (repeatable)"],
    ["--include GLOB", "Of a folder, log only files matching GLOB (repeatable): '*.pt', 'weights/**'"],
    ["--exclude GLOB", "Leave out files matching GLOB (repeatable; wins over --include): '*.tmp', 'logs'"],
    ["", "Globs follow .gitignore: one without '/' matches a name in any folder, a folder its contents"],
    ["--input REF", "An artifact this version was made from, e.g. dataset:v3 (repeatable; see lineage)"],
    ["--skip-unchanged", "Content identical to the latest version: log nothing, print that version"],
    ["--no-provenance", "Do not record host, user, command line and git commit"],
  ],
  examples: [
    "log ./checkpoints my-model --description 'epoch 10' --meta lr=0.001 --meta epochs=10",
    "log ./model.pt my-model --path weights/model.pt --alias best",
    "log ./run my-model --exclude '*.tmp' --exclude logs",
    "log ./data.csv dataset --store s3://my-bucket/artifacts --collection datasets",
    "log s3://datasets/imagenet/train imagenet --store wandb://my-team/my-project --collection dataset",
    "log ./checkpoints my-model --input dataset:v3 --skip-unchanged",
  ],
  positionals: { min: 2, max: 2 },
  transfer: true,
  silentWhenQuiet: true,
  run: logArtifact,
  interruptedNote: (r, by) => ({
    code: "INTERRUPTED_AFTER_COMMIT",
    message: `${by} came after ${r.name}:${r.version} was committed in collection '${r.collection}': the version is complete and kept (log again only if you want another version)`,
  }),
  render: (r) =>
    (r.reused
      ? `unchanged: identical to ${r.name}:${r.version} in collection '${r.collection}' (${plural(r.files, "file")}, ${formatBytes(r.size)}) on store '${r.store}'; nothing logged`
      : `logged ${r.name}:${r.version} in collection '${r.collection}' (${plural(r.files, "file")}, ${formatBytes(r.size)}) to store '${r.store}'`) +
    (r.aliases.length > 0 ? `; aliases: ${r.aliases.join(", ")}` : ""),
});
