/** `--help` texts: the command list with global options, and one page per command with examples. */
import type { AnyCommand } from "./command.js";

const GLOBAL_HELP: [string, string][] = [
  ["--store URL", "Store to use (env ARTIFACTS_STORE; default ./artifacts)"],
  ["--collection NAME", "Collection to use (env ARTIFACTS_COLLECTION; default 'default')"],
  ["--json", "Print JSON for scripts: one line; log, get and verify print NDJSON progress events"],
  ["", 'first and the {"type":"result",…} line last; errors as one JSON line on stderr'],
  ["-q, --quiet", "No progress; log, get, verify, alias set/rm and gc print nothing on success"],
  ["--debug", "Print the stack trace and cause of an error"],
  ["--retries N", "Extra attempts of a failed request (default 3 on S3/GCS/Azure, 20 on W&B);"],
  ["", "each retry prints one line on stderr (an NDJSON event under --json/--quiet)"],
  ["--timeout DURATION", "Time limit of one request attempt: 30s, 500ms, 2m (default 60s; W&B 30s)"],
  ["-h, --help", "Show help; 'artifacts COMMAND --help' for one command"],
  ["--version", "Print the version of artifacts"],
];

const STORES = `Stores (--store URL), configured the way each service's own tools are:
  ./artifacts, /abs/path, file:///path   a local folder (created on first log)
  s3://BUCKET/PREFIX                     S3: AWS credential chain (AWS_ACCESS_KEY_ID…, AWS_PROFILE),
                                         AWS_REGION; AWS_ENDPOINT_URL for MinIO, Ceph, R2
  gs://BUCKET/PREFIX                     Google Cloud Storage: application default credentials
                                         (GOOGLE_APPLICATION_CREDENTIALS); STORAGE_EMULATOR_HOST
  az://CONTAINER/PREFIX                  Azure Blob: AZURE_STORAGE_CONNECTION_STRING, or
                                         AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY / SAS / az login
  wandb://ENTITY/PROJECT                 Weights & Biases: WANDB_API_KEY or ~/.netrc, WANDB_BASE_URL;
                                         collections are W&B artifact types
  memory://NAME                          in memory: lives only as long as ONE process, so it is empty
                                         at the start of every artifacts command (use it from the library)`;

const EXIT_CODES =
  "Exit codes: 0 ok, 1 error (or verify found a problem), 2 usage error, 130 interrupted by Ctrl-C\n" +
  "(a log whose version was committed before Ctrl-C keeps it, says so on stderr and exits 0).";

/** The text of `artifacts --help`. */
export function formatGlobalHelp(commands: readonly AnyCommand[]): string {
  const label = (c: AnyCommand) => (c.aliases?.length ? `${c.name} (${c.aliases.join(", ")})` : c.name);
  const width = Math.max(...commands.map((c) => label(c).length));
  return [
    "artifacts: immutable, versioned artifacts (v0, v1, …) on a local folder, S3, GCS, Azure or W&B",
    "",
    "Usage: artifacts COMMAND [ARGUMENTS] [OPTIONS]   ('artifacts help COMMAND' for one command)",
    "",
    "Commands:",
    ...commands.map((c) => `  ${label(c).padEnd(width)}  ${c.summary}`),
    "",
    "Global options (any command):",
    formatOptions(GLOBAL_HELP),
    "",
    STORES,
    "",
    EXIT_CODES,
    "",
    "Examples:",
    "  artifacts log ./model my-model --description 'first try' --alias best",
    "  artifacts versions my-model",
    "  artifacts get my-model:best --to ./restored",
    "  artifacts diff my-model:v0 my-model:v1",
    "  ARTIFACTS_STORE=s3://my-bucket/artifacts artifacts ls default --json",
  ].join("\n");
}

/** The text of `artifacts COMMAND --help`. */
export function formatCommandHelp(command: AnyCommand): string {
  const lines = [
    `Usage: ${command.usage.map((u) => `artifacts ${u}`).join("\n       ")}`,
    "",
    command.description,
  ];
  if (command.optionHelp.length > 0) lines.push("", "Options:", formatOptions(command.optionHelp));
  lines.push(
    "",
    "Global options: --store URL, --collection NAME, --json, --quiet, --debug, --retries N,\n" +
      "--timeout DURATION (see 'artifacts --help')",
  );
  lines.push("", "Examples:", ...command.examples.map((e) => `  artifacts ${e}`));
  return lines.join("\n");
}

function formatOptions(options: readonly [string, string][]): string {
  const width = Math.max(...options.map(([flag]) => flag.length));
  return options.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join("\n");
}
