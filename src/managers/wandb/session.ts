/**
 * What every W&B operation shares: the GraphQL client, the target entity/project (the entity from
 * the viewer query when not configured), the run that owns logged versions, and transfer settings.
 */
import { randomBytes } from "node:crypto";
import { ArtifactError } from "../../errors.js";
import type { WandbConfig } from "./config.js";
import { GraphqlClient } from "./graphql-client.js";
import type { WandbLimits } from "./limits.js";
import { UPSERT_BUCKET, VIEWER } from "./queries.js";
import type { ReferenceStorageOptions } from "./references.js";
import type { WandbRetryOptions } from "./retry.js";

/** Transfer and run settings of a session (validated by the manager). */
export interface WandbSessionSettings {
  retry: WandbRetryOptions;
  timeoutMs: number;
  concurrency: number;
  maxUploadBytesInFlight: number;
  fileBatchSize: number;
  multipartThreshold: number;
  multipartPartSize: number | undefined;
  enableDigestDeduplication: boolean;
  runName: string | undefined;
  jobType: string;
  referenceStorageOptions: ReferenceStorageOptions;
  /** What the server and manifests may make this session do (sizes, time, references followed). */
  limits: WandbLimits;
}

/** One authenticated connection to a W&B project. */
export class WandbSession {
  readonly client: GraphqlClient;
  readonly config: WandbConfig;
  readonly settings: WandbSessionSettings;
  #entity: Promise<string> | undefined;
  #run: Promise<string> | undefined;

  constructor(config: WandbConfig, settings: WandbSessionSettings) {
    this.config = config;
    this.settings = settings;
    this.client = new GraphqlClient({
      baseUrl: config.baseUrl,
      apiKey: config.apiKey,
      timeoutMs: settings.timeoutMs,
      retry: settings.retry,
      maxResponseBytes: settings.limits.maxGraphqlResponseBytes,
    });
  }

  get project(): string {
    return this.config.project;
  }

  /** Checks the API key (viewer query) once and returns the entity; throws `UNAUTHENTICATED`. */
  entity(signal?: AbortSignal): Promise<string> {
    this.#entity ??= this.#loadEntity(signal).catch((error: unknown) => {
      this.#entity = undefined;
      throw error;
    });
    return this.#entity;
  }

  async #loadEntity(signal: AbortSignal | undefined): Promise<string> {
    // https://docs.wandb.ai/ref/python/public-api/api — `viewer` is null for keys the server does not accept
    type Viewer = { viewer: { entity: string | null; username: string | null } | null };
    const { viewer } = await this.client.request<Viewer>(VIEWER, {}, { signal });
    if (viewer === null) {
      throw new ArtifactError(
        "UNAUTHENTICATED",
        `W&B at ${this.config.baseUrl} did not accept the API key: check WANDB_API_KEY / \`apiKey\` / ~/.netrc`,
        { context: { backend: "wandb", operation: "viewer" } },
      );
    }
    const entity = this.config.entity ?? viewer.entity ?? viewer.username;
    if (!entity) {
      throw new ArtifactError("INVALID_ARGUMENT", "W&B has no default entity for this key: set WANDB_ENTITY");
    }
    return entity;
  }

  /** The run that owns the versions this session logs, created once with `upsertBucket`. */
  runName(signal?: AbortSignal): Promise<string> {
    this.#run ??= this.#upsertRun(signal).catch((error: unknown) => {
      this.#run = undefined;
      throw error;
    });
    return this.#run;
  }

  /**
   * Finishes the run this session created for its logs, as `run.finish()` does (a file_stream chunk
   * `{"complete": true, "exitcode": 0}`), so W&B shows it finished, not crashed once its heartbeat
   * stops. A run named in the settings is the caller's and is left running. Best effort: a run that
   * cannot be finished changes no artifact, so a failure is reported as false, never thrown.
   */
  async finishRun(signal?: AbortSignal): Promise<boolean> {
    const pending = this.#run;
    this.#run = undefined;
    if (pending === undefined || this.settings.runName !== undefined) return true;
    try {
      const run = await pending;
      const entity = await this.entity(signal);
      const path = `/files/${encodeURIComponent(entity)}/${encodeURIComponent(this.project)}/${encodeURIComponent(run)}/file_stream`;
      const status = await this.client.postJson(path, { complete: true, exitcode: 0 }, signal);
      return status >= 200 && status < 300;
    } catch {
      return false;
    }
  }

  async #upsertRun(signal: AbortSignal | undefined): Promise<string> {
    const name = this.settings.runName ?? randomRunId();
    const variables = {
      name,
      project: this.project,
      entity: await this.entity(signal),
      jobType: this.settings.jobType,
    };
    // the SDK retries 409 for upsertBucket only (PROTOCOL.md 5.2)
    type Upsert = { upsertBucket: { bucket: { name: string } | null } | null };
    const data = await this.client.request<Upsert>(UPSERT_BUCKET, variables, { signal, retry409: true });
    return data.upsertBucket?.bucket?.name ?? name;
  }
}

/** 8 random characters from `[a-z0-9]`, as the SDK's run IDs. */
export function randomRunId(length = 8): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join("");
}
