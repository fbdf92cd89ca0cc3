/**
 * Bounds on what a W&B server (or a manifest someone else wrote) can make this client do (issue 18,
 * items 6, 7 and 12): the size of GraphQL answers and manifests, the time a manifest may take, and
 * which kinds of references a download follows. Every limit names its option when it is hit; see
 * docs/limits.md.
 */
import { positiveOption } from "../../core/positive-option.js";
import { ArtifactError } from "../../errors.js";

/** Most bytes of one GraphQL answer (64 MiB; a page of 1000 file URLs is about 1 MiB). */
export const DEFAULT_WANDB_MAX_GRAPHQL_RESPONSE_BYTES = 64 * 1024 ** 2;
/** Most bytes of one manifest (256 MiB, about two million files). */
export const DEFAULT_WANDB_MAX_MANIFEST_BYTES = 256 * 1024 ** 2;
/** Longest one manifest download may take, in ms (10 minutes). */
export const DEFAULT_WANDB_MANIFEST_TIMEOUT_MS = 600_000;

/**
 * What a download may follow: a reference's scheme (`s3`, `gs`, `azure` for Azure Blob URLs, `http`,
 * `https`, `file`, `wandb-artifact`), or `private-addresses` to let `http(s)` references reach
 * loopback, private, link-local and other non-public addresses.
 */
export type ReferenceScheme =
  | "s3"
  | "gs"
  | "azure"
  | "http"
  | "https"
  | "file"
  | "wandb-artifact"
  | "private-addresses";

/** Every value of {@link ReferenceScheme}. */
export const REFERENCE_SCHEMES: readonly ReferenceScheme[] = [
  "s3",
  "gs",
  "azure",
  "http",
  "https",
  "file",
  "wandb-artifact",
  "private-addresses",
];

/**
 * What a download follows when the caller does not say: references into cloud buckets (read with
 * your own credentials), public `http(s)` URLs and other W&B artifacts. Never `file` (a manifest
 * could name any file on this machine) nor `private-addresses` (it could reach internal services).
 */
export const DEFAULT_FOLLOW_REFERENCES: readonly ReferenceScheme[] = [
  "s3",
  "gs",
  "azure",
  "http",
  "https",
  "wandb-artifact",
];

/** Limits of the W&B manager on what the server and manifests may make it do. */
export interface WandbLimitOptions {
  /**
   * Most bytes of one GraphQL answer; a bigger answer is `UNEXPECTED` (not retried), read no further.
   * @default 67108864 (64 MiB)
   */
  maxGraphqlResponseBytes?: number;
  /**
   * Most bytes of a version's manifest; a bigger one is `UNEXPECTED` (not retried), read no further.
   * @default 268435456 (256 MiB, about two million files)
   */
  maxManifestBytes?: number;
  /** Longest one manifest download may take, in ms; then `TIMEOUT` (not retried). @default 600000 */
  manifestTimeoutMs?: number;
  /**
   * Which references (manifest entries with a `ref`) a download or verify follows: a trust decision
   * about whoever wrote the manifest. Others are refused with `PERMISSION_DENIED` before any byte is
   * read. Add `"file"` to copy local files a manifest names, `"private-addresses"` to let `http(s)`
   * references reach loopback/private/link-local addresses (both are off unless named).
   * @default `ARTIFACTS_FOLLOW_REFERENCES` (comma-separated; `default` stands for the defaults, e.g.
   * `default,file`), else ["s3", "gs", "azure", "http", "https", "wandb-artifact"]
   */
  followReferences?: readonly ReferenceScheme[];
}

/** The limits, validated, with defaults filled in. */
export interface WandbLimits {
  maxGraphqlResponseBytes: number;
  maxManifestBytes: number;
  manifestTimeoutMs: number;
  followReferences: ReadonlySet<ReferenceScheme>;
}

/** The environment variable that sets `followReferences` when the option is not given (the CLI's way). */
export const FOLLOW_REFERENCES_ENV = "ARTIFACTS_FOLLOW_REFERENCES";

/** Validates the limit options (naming a bad one) and fills in defaults (`env`: where to read them). */
export function limitsFrom(
  options: WandbLimitOptions,
  env: Record<string, string | undefined> = process.env,
): WandbLimits {
  const fromEnv = env[FOLLOW_REFERENCES_ENV]?.trim()
    ? (env[FOLLOW_REFERENCES_ENV] ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .flatMap((s) => (s === "default" ? DEFAULT_FOLLOW_REFERENCES : [s as ReferenceScheme]))
    : undefined;
  const follow = options.followReferences ?? fromEnv ?? DEFAULT_FOLLOW_REFERENCES;
  const source =
    options.followReferences === undefined && fromEnv ? FOLLOW_REFERENCES_ENV : "`followReferences`";
  if (!Array.isArray(follow)) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`followReferences\` option to be an array of ${REFERENCE_SCHEMES.join(", ")}, got \`${String(follow)}\``,
    );
  }
  for (const scheme of follow) {
    if (!REFERENCE_SCHEMES.includes(scheme)) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `unknown value ${JSON.stringify(scheme)} in ${source}; use ${REFERENCE_SCHEMES.join(", ")}`,
      );
    }
  }
  return {
    maxGraphqlResponseBytes: positiveOption(
      "maxGraphqlResponseBytes",
      options.maxGraphqlResponseBytes,
      DEFAULT_WANDB_MAX_GRAPHQL_RESPONSE_BYTES,
      "bytes",
    ),
    maxManifestBytes: positiveOption(
      "maxManifestBytes",
      options.maxManifestBytes,
      DEFAULT_WANDB_MAX_MANIFEST_BYTES,
      "bytes",
    ),
    manifestTimeoutMs: positiveOption(
      "manifestTimeoutMs",
      options.manifestTimeoutMs,
      DEFAULT_WANDB_MANIFEST_TIMEOUT_MS,
      "ms",
    ),
    followReferences: new Set(follow),
  };
}

/** The error for an answer past its byte limit: not retryable (the server would send it again). */
export function tooBigError(what: string, limit: number, option: string, key: string): ArtifactError {
  return new ArtifactError(
    "UNEXPECTED",
    `${what} is bigger than ${limit} bytes; stopped reading it. If it is legitimately that big, raise the \`${option}\` option`,
    { context: { backend: "wandb", operation: "download", key, limit, option } },
  );
}
