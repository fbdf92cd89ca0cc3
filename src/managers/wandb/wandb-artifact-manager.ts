/**
 * `WandbArtifactManager`: the {@link ArtifactManager} interface on Weights & Biases, spoken over W&B's own
 * wire protocol (GraphQL + pre-signed URLs, ../shared/wandb/PROTOCOL.md). Collections are W&B artifact
 * types; artifact names are W&B artifact collections; versions are the server's `vN`.
 */

import {
  type DeletedVersion,
  type DeleteVersionOptions,
  validateDeleteVersionOptions,
} from "../../core/lifecycle.js";
import { validateArtifactName } from "../../core/names.js";
import { validateOperationOptions } from "../../core/operation-options.js";
import type {
  Artifact,
  CollectionOption,
  DownloadOptions,
  ListOptions,
  VerifyOptions,
  VerifyResult,
  VersionOptions,
  VersionRecord,
} from "../../core/types.js";
import { ArtifactError } from "../../errors.js";
import { compareCodePoints } from "../../util/compare.js";
import { ArtifactManager, type ArtifactManagerOptions } from "../artifact-manager.js";
import { listAliases, removeAlias, setAlias } from "./aliases.js";
import { resolveWandbConfig, type WandbConfigOptions } from "./config.js";
import { deleteWandbVersion } from "./delete.js";
import { downloadVersion } from "./download.js";
import { hasCommittedVersion, listCollections, listCommittedVersions, listTypes } from "./listing.js";
import { logFilesToWandb, type WandbLogFilesOptions } from "./log-files.js";
import { type LogReferencesOptions, logReferencesToWandb, type ReferenceSpec } from "./log-references.js";
import type { LoggedVersion } from "./log-version.js";
import { fetchManifest, resolveVersion } from "./resolve.js";
import { WandbSession } from "./session.js";
import { settingsFrom, type WandbTransferOptions, wandbTypeOf } from "./settings.js";
import { verifyVersion } from "./verify.js";

/** Options of {@link WandbArtifactManager}: where, who, and how to transfer. */
export interface WandbArtifactManagerOptions
  extends ArtifactManagerOptions,
    WandbConfigOptions,
    WandbTransferOptions {}

/** Artifacts on Weights & Biases (cloud or self-hosted). */
export class WandbArtifactManager extends ArtifactManager {
  readonly #session: WandbSession;
  readonly #queues = new Map<string, Promise<unknown>>();

  /** Resolves the configuration at once: throws `UNAUTHENTICATED` when no API key is found. */
  constructor(options: WandbArtifactManagerOptions = {}) {
    super(options);
    this.#session = new WandbSession(resolveWandbConfig(options), settingsFrom(options));
  }

  /** The base URL, entity (when configured) and project this manager talks to. */
  get target(): { baseUrl: string; entity: string | undefined; project: string } {
    const { baseUrl, entity, project } = this.#session.config;
    return { baseUrl, entity, project };
  }

  #type(options: CollectionOption | undefined): string {
    return wandbTypeOf(this.collectionOf(options));
  }

  /**
   * Finishes the run this manager created to own its logged versions (as the SDK's `run.finish()`), so
   * the W&B UI shows it finished rather than crashed. Waits for logs still queued. Best effort: an
   * artifact never depends on it.
   */
  override async close(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()]);
    await this.#session.finishRun();
  }

  /** Logs a file or folder as the next version; versions of one name are logged one at a time. */
  async logFiles(name: string, localPath: string, options: WandbLogFilesOptions = {}): Promise<Artifact> {
    validateArtifactName(name);
    validateOperationOptions(options);
    refuseInputs(options.inputs);
    const type = this.#type(options);
    refuseReservedName(type, name);
    return await this.#logged(type, name, () =>
      logFilesToWandb(this.#session, { ...options, type, name, localPath }),
    );
  }

  /**
   * Logs references as the next version: files W&B does not store, recorded by where they live, as the
   * SDK's `artifact.add_reference(uri, name, checksum)` records them: `s3://`, `gs://` and Azure objects
   * or prefixes, `file://` files or folders, `http(s)://` URLs (see log-references.ts). `downloadArtifact`
   * fetches them from there and checks them. Versions of one name are logged one at a time.
   */
  async logReferences(
    name: string,
    references: string | ReferenceSpec | ReadonlyArray<string | ReferenceSpec>,
    options: LogReferencesOptions = {},
  ): Promise<Artifact> {
    validateArtifactName(name);
    validateOperationOptions(options);
    const list = (Array.isArray(references) ? references : [references]) as Array<string | ReferenceSpec>;
    const specs = list.map((r) => (typeof r === "string" ? { uri: r } : r));
    const type = this.#type(options);
    refuseReservedName(type, name);
    const request = { ...options, type, name, references: specs };
    return await this.#logged(type, name, () => logReferencesToWandb(this.#session, request));
  }

  /** Runs `log` after the logs of `type/name` already queued; the version it logged. */
  async #logged(type: string, name: string, log: () => Promise<LoggedVersion>): Promise<Artifact> {
    const key = `${type}/${name}`;
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(log);
    this.#queues.set(key, run);
    try {
      const { index, reused } = await run;
      return { name, collection: type, version: `v${index}`, ...(reused ? { reused } : {}) };
    } finally {
      if (this.#queues.get(key) === run) this.#queues.delete(key);
    }
  }

  protected async downloadTo(name: string, to: string, options: DownloadOptions): Promise<Artifact> {
    const type = this.#type(options);
    const cache = this.downloadCache(options, true);
    const version = await downloadVersion(this.#session, { ...options, type, name, to, cache });
    return { name, collection: type, version: version.version };
  }

  async listCollectionNames(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    return listTypes(this.#session, options.signal);
  }

  async listArtifacts(collection?: string, options: { signal?: AbortSignal } = {}): Promise<string[]> {
    return listCollections(
      this.#session,
      this.#type(collection === undefined ? {} : { collection }),
      options.signal,
    );
  }

  async listVersions(name: string, options: ListOptions = {}): Promise<string[]> {
    validateArtifactName(name);
    const versions = await listCommittedVersions(
      this.#session,
      { type: this.#type(options), name },
      options.signal,
    );
    return versions.map((v) => `v${v.index}`);
  }

  async existsInCollection(name: string, collection?: string): Promise<boolean> {
    validateArtifactName(name);
    const type = this.#type(collection === undefined ? {} : { collection });
    return hasCommittedVersion(this.#session, { type, name });
  }

  async getVersion(name: string, options: VersionOptions = {}): Promise<VersionRecord> {
    validateArtifactName(name);
    const type = this.#type(options);
    const version = await resolveVersion(
      this.#session,
      { type, name, version: options.version },
      options.signal,
    );
    const manifest = await fetchManifest(this.#session, version, options.signal);
    // A reference's digest is an ETag, a GCS md5 or its URI (references.ts), so it is not given as md5.
    const files = Object.entries(manifest.contents).map(([path, entry]) => ({
      path,
      size: entry.size ?? 0,
      // an XXH128 entry's digest is no md5: it is not given as one
      ...(entry.ref !== undefined
        ? { ref: entry.ref }
        : entry.extra?.alg === "XXH128"
          ? {}
          : { md5: entry.digest }),
    }));
    return {
      format: 1,
      name,
      collection: type,
      version: version.version,
      createdAt: version.createdAt,
      ...(version.description ? { description: version.description } : {}),
      ...(version.metadata === undefined ? {} : { metadata: version.metadata }),
      files: files.sort((a, b) => compareCodePoints(a.path, b.path)),
    };
  }

  async verify(name: string, options: VerifyOptions = {}): Promise<VerifyResult> {
    validateArtifactName(name);
    return verifyVersion(this.#session, { ...options, type: this.#type(options), name });
  }

  async setAlias(name: string, alias: string, options: VersionOptions = {}): Promise<Artifact> {
    validateArtifactName(name);
    const type = this.#type(options);
    const version = await setAlias(this.#session, { ...options, type, name }, alias);
    return { name, collection: type, version: version.version };
  }

  async removeAlias(name: string, alias: string, options: CollectionOption = {}): Promise<void> {
    validateArtifactName(name);
    await removeAlias(this.#session, { type: this.#type(options), name }, alias);
  }

  async listAliases(name: string, options: ListOptions = {}): Promise<Record<string, string>> {
    validateArtifactName(name);
    return listAliases(this.#session, { ...options, type: this.#type(options), name });
  }

  /**
   * Deletes a version as the W&B SDK's `artifact.delete(delete_aliases=force)` does (`deleteArtifact`):
   * W&B soft-deletes it (gone from listings and reads at once, its number never reused, its files
   * collected by W&B later). User aliases on it: `CONFLICT` unless `force`, which removes them;
   * `latest` moves to the highest remaining version. `deleteArtifact` and `prune` build on it.
   */
  async deleteVersion(name: string, options: DeleteVersionOptions): Promise<DeletedVersion> {
    validateArtifactName(name);
    validateDeleteVersionOptions(options);
    const type = this.#type(options);
    const { version, signal } = options;
    return deleteWandbVersion(this.#session, { type, name, version, force: options.force === true, signal });
  }
}

/**
 * Lineage on W&B is a run that uses its input artifacts (the SDK's `run.use_artifact`), which this
 * backend does not record yet: refused rather than dropped. (`provenance` is W&B's run itself: the
 * SDK's run records host, user, command and git state; ours records none, so it is left out.)
 */
function refuseInputs(inputs: readonly string[] | undefined): void {
  if (inputs === undefined || inputs.length === 0) return;
  throw new ArtifactError(
    "UNSUPPORTED",
    "recording inputs (lineage) is not supported on W&B yet: log the version without `inputs`, and record lineage with the W&B SDK's run.use_artifact(...)",
    { context: { backend: "wandb", operation: "logFiles" } },
  );
}

/** Names W&B keeps for itself, by artifact type (the SDK's `RESERVED_ARTIFACT_NAME_PREFIX_BY_TYPE`). */
const RESERVED_NAME_PREFIXES: ReadonlyMap<string, string> = new Map([
  ["job", ""],
  ["run_table", "run-"],
  ["code", "source-"],
]);

/** Refuses what the SDK's `validate_artifact_type` refuses: W&B's own jobs, run tables and code. */
function refuseReservedName(type: string, name: string): void {
  const prefix = RESERVED_NAME_PREFIXES.get(type);
  if (prefix === undefined || !name.startsWith(prefix)) return;
  const which = prefix === "" ? "every name" : `names starting with '${prefix}'`;
  throw new ArtifactError(
    "INVALID_NAME",
    `W&B reserves ${which} in the artifact type (collection) '${type}' for its own artifacts: use another collection or name`,
  );
}
