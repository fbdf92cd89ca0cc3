/**
 * `artifacts cat NAME[:VERSION|:ALIAS] PATH`: writes one file of a version to stdout, streamed and
 * checked against its record (size as bytes come, sha256 at the end). A mismatch is an error exit
 * whose message says how many bytes had already gone to stdout.
 */
import { once } from "node:events";
import { ArtifactError, isArtifactError, openArtifactFile, validateArtifactPath } from "../../index.js";
import { type CommandContext, type CommandInput, defineCommand } from "../command.js";
import { parseRef, versionOption } from "../ref.js";

/** What `cat` returns (nothing is printed after the file's bytes). */
export interface CatResult {
  name: string;
  collection: string;
  version: string;
  path: string;
  bytes: number;
}

/** Streams the file to stdout; on a failure after the first byte, the error says what was written. */
export async function catFile(context: CommandContext, input: CommandInput): Promise<CatResult> {
  const ref = parseRef(input.positionals[0] ?? "");
  const path = validateArtifactPath(input.positionals[1] ?? "", "PATH");
  const { manager, signal, stdout } = context;
  const opened = await openArtifactFile(manager, ref.name, path, { ...versionOption(ref), signal });
  let written = 0;
  try {
    for await (const chunk of opened.stream) {
      written += (chunk as Buffer).length;
      if (!stdout.write(chunk as Buffer)) await once(stdout, "drain", { signal });
    }
  } catch (error) {
    opened.stream.destroy();
    if (written === 0 || signal.aborted) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new ArtifactError(
      isArtifactError(error) ? error.code : "UNEXPECTED",
      `${message}; ${written} bytes of '${path}' were already written to stdout before this was found: discard that output`,
      { cause: error, context: { operation: "cat", key: path, written } },
    );
  }
  return { name: ref.name, collection: opened.collection, version: opened.version, path, bytes: written };
}

/** The `cat` command (help, options). */
export const catCommand = defineCommand<CatResult>({
  name: "cat",
  summary: "Write one file of a version to stdout (verified)",
  usage: ["cat NAME[:VERSION|:ALIAS] PATH"],
  description:
    "Writes the file PATH of a version (default latest) to stdout, as it streams from the store, and\n" +
    "checks it against the version's record: more bytes than recorded stop the copy at once, a short\n" +
    "file or a wrong sha256 is found at the end. Either is an error (exit 1) whose message says how many\n" +
    "bytes were already written, so a pipeline knows to discard them. On W&B the file is downloaded and\n" +
    "verified first, then written.",
  options: {},
  optionHelp: [],
  examples: [
    "cat my-model config.json",
    "cat my-model:best weights/model.pt > model.pt",
    "cat dataset:v3 labels.csv | head",
  ],
  positionals: { min: 2, max: 2 },
  ownOutput: true,
  run: catFile,
  render: () => "",
});
