/**
 * Reading one version (PROTOCOL.md 4.1-4.3): resolve `vN` / `latest` / an alias inside a type and
 * collection, fetch its manifest from the pre-signed URL, and page through its files' download URLs.
 */

import { formatVersion, parseVersion, validateAlias } from "../../core/names.js";
import type { VersionSelector } from "../../core/types.js";
import { parseVersionSelector } from "../../core/version-selector.js";
import { ArtifactError } from "../../errors.js";
import { PageCursors } from "../../util/page-cursor.js";
import { parseManifest, type WandbManifest } from "./manifest.js";
import {
  ARTIFACT_FILE_URLS,
  ARTIFACT_MANIFEST_BY_ID,
  ARTIFACT_MEMBERSHIP,
  MEMBERSHIP_FILE_URLS,
} from "./queries.js";
import { withRetry } from "./retry.js";
import type { WandbSession } from "./session.js";
import { type GetTextOptions, getText } from "./transfer.js";

/** A committed version as the server describes it. */
export interface ResolvedVersion {
  id: string;
  /** `"vN"`. */
  version: string;
  digest: string;
  description: string | null;
  metadata: Record<string, unknown> | undefined;
  createdAt: string;
  aliases: string[];
  manifestUrl: string | undefined;
  /** Where the version is a member: its files are listed through this membership (as the SDK does). */
  membership?: { entity: string; project: string; collection: string; alias: string };
}

/** An alias as the server lists it: `Artifact.aliases` holds those of every collection the version is in. */
export type AliasAnswer = { alias: string; artifactCollection: { name: string } | null };

/** The aliases `aliases` gives in `collection` (not those of registry collections the version is linked into). */
export function aliasesIn(aliases: readonly AliasAnswer[], collection: string): string[] {
  return aliases
    .filter((a) => a.artifactCollection === null || a.artifactCollection.name === collection)
    .map((a) => a.alias);
}

type MembershipAnswer = {
  project: {
    artifactType: {
      artifactCollection: {
        artifactMembership: {
          versionIndex: number | null;
          artifact: {
            id: string;
            state: string;
            digest: string;
            versionIndex: number | null;
            description: string | null;
            metadata: string | null;
            createdAt: string;
            aliases: AliasAnswer[];
            currentManifest: { file: { directUrl: string } } | null;
          } | null;
        } | null;
      } | null;
    } | null;
  } | null;
};

/**
 * The alias name the server resolves for a selector: `latest`, `vN` for a version (`3`, `"3"`, `"v3"`,
 * parsed like every backend does) or an alias.
 */
export function aliasOf(selector: VersionSelector | undefined): string {
  const parsed = parseVersionSelector(selector);
  if (parsed.kind === "latest") return "latest";
  if (parsed.kind === "number") return formatVersion(parsed.n);
  // W&B aliases only forbid '/' and ':' (PROTOCOL.md 6), so reads accept aliases set by other tools
  if (!/^[^/:]{1,128}$/.test(parsed.alias)) validateAlias(parsed.alias);
  return parsed.alias;
}

/** The metadata JSON text of a version as an object; anything else (null, bad JSON) is left out. */
function parseMetadata(text: string | null): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves a selector to a committed version; throws `NOT_FOUND` naming what is missing. */
export async function resolveVersion(
  session: WandbSession,
  where: { type: string; name: string; version?: VersionSelector | undefined },
  signal?: AbortSignal,
): Promise<ResolvedVersion> {
  const entity = await session.entity(signal);
  const alias = aliasOf(where.version);
  const variables = { entity, project: session.project, type: where.type, collection: where.name, alias };
  const data = await session.client.request<MembershipAnswer>(ARTIFACT_MEMBERSHIP, variables, { signal });
  const collection = data.project?.artifactType?.artifactCollection;
  const artifact = collection?.artifactMembership?.artifact;
  if (!collection || !artifact || artifact.state !== "COMMITTED" || artifact.versionIndex === null) {
    const what = collection ? `has no version ${JSON.stringify(alias)}` : "does not exist";
    throw new ArtifactError(
      "NOT_FOUND",
      `artifact '${where.name}' ${what} in collection '${where.type}' of W&B project ${entity}/${session.project}`,
      { context: { backend: "wandb", operation: "resolve", key: `${where.type}/${where.name}:${alias}` } },
    );
  }
  const versionIndex = collection.artifactMembership?.versionIndex ?? artifact.versionIndex;
  return {
    id: artifact.id,
    version: `v${versionIndex}`,
    digest: artifact.digest,
    description: artifact.description,
    metadata: parseMetadata(artifact.metadata),
    createdAt: utcDateTime(artifact.createdAt),
    aliases: aliasesIn(artifact.aliases, where.name),
    manifestUrl: artifact.currentManifest?.file.directUrl,
    membership: { entity, project: session.project, collection: where.name, alias: `v${versionIndex}` },
  };
}

/**
 * A W&B DateTime as an ISO 8601 instant. W&B's are UTC without a zone designator
 * (`2026-12-07T02:21:30`), which `Date` and readers would take as local time: such a value gets `Z`;
 * one with a zone is kept.
 */
export function utcDateTime(value: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(value) ? `${value}Z` : value;
}

/** How big and slow a manifest may be (issue 18.6), and the options that say so. */
function manifestLimits(
  session: WandbSession,
  what: string,
  signal: AbortSignal | undefined,
): GetTextOptions {
  return {
    signal,
    what,
    maxBytes: session.settings.limits.maxManifestBytes,
    timeoutMs: session.settings.limits.manifestTimeoutMs,
    options: { maxBytes: "maxManifestBytes", timeoutMs: "manifestTimeoutMs" },
  };
}

/** Downloads and parses the manifest of a resolved version. */
export async function fetchManifest(
  session: WandbSession,
  version: ResolvedVersion,
  signal?: AbortSignal,
): Promise<WandbManifest> {
  const url = version.manifestUrl;
  if (url === undefined)
    throw new ArtifactError("UNEXPECTED", `W&B version ${version.version} has no manifest`);
  const text = await withRetry(
    () => getText(url, manifestLimits(session, `the manifest of ${version.version}`, signal)),
    {
      ...session.settings.retry,
      signal,
    },
  );
  return parseManifest(text, version.version);
}

/**
 * The manifest of the committed artifact `id` (the target of a `wandb-artifact://` reference);
 * `NOT_FOUND` naming `what` when there is none.
 */
export async function fetchManifestById(
  session: WandbSession,
  id: string,
  what: string,
  signal?: AbortSignal,
): Promise<WandbManifest> {
  type Answer = {
    artifact: {
      state: string;
      versionIndex: number | null;
      currentManifest: { file: { directUrl: string } } | null;
    } | null;
  };
  const data = await session.client.request<Answer>(ARTIFACT_MANIFEST_BY_ID, { id }, { signal });
  const url = data.artifact?.currentManifest?.file.directUrl;
  if (data.artifact?.state !== "COMMITTED" || url === undefined) {
    throw new ArtifactError(
      "NOT_FOUND",
      `${what} points into W&B artifact ${id}, which has no committed version`,
      {
        context: { backend: "wandb", operation: "resolve", key: id },
      },
    );
  }
  const limits = manifestLimits(session, `the manifest of W&B artifact ${id}`, signal);
  const text = await withRetry(() => getText(url, limits), { ...session.settings.retry, signal });
  return parseManifest(text, `artifact ${id}`);
}

/**
 * Download URLs of a version's files, by manifest path (pages of 1000): through the version's
 * membership in its collection (the SDK 0.30's query) when it is known, else by artifact ID.
 */
export async function fetchFileUrls(
  session: WandbSession,
  target: string | ResolvedVersion,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  if (typeof target !== "string" && target.membership !== undefined) {
    return fetchMembershipFileUrls(session, target.membership, signal);
  }
  const artifactId = typeof target === "string" ? target : target.id;
  type Answer = {
    artifact: {
      files: {
        edges: Array<{ node: { name: string; directUrl: string } | null }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      } | null;
    } | null;
  };
  const urls = new Map<string, string>();
  const cursors = new PageCursors(`the files of W&B artifact ${artifactId}`, { backend: "wandb" });
  let cursor: string | null = null;
  for (;;) {
    const variables = { id: artifactId, cursor, perPage: 1000 };
    const data: Answer = await session.client.request<Answer>(ARTIFACT_FILE_URLS, variables, { signal });
    const files = data.artifact?.files;
    if (!files) throw new ArtifactError("NOT_FOUND", `W&B artifact ${artifactId} is gone`);
    for (const edge of files.edges) if (edge.node) urls.set(edge.node.name, edge.node.directUrl);
    if (!files.pageInfo.hasNextPage) return urls;
    cursor = cursors.next(files.pageInfo.endCursor); // a repeating cursor would page for ever (issue 18.8)
  }
}

type FileUrlPage = {
  edges: Array<{ node: { name: string; directUrl: string } | null }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
};

async function fetchMembershipFileUrls(
  session: WandbSession,
  membership: NonNullable<ResolvedVersion["membership"]>,
  signal: AbortSignal | undefined,
): Promise<Map<string, string>> {
  type Answer = {
    project: {
      artifactCollection: { artifactMembership: { files: FileUrlPage | null } | null } | null;
    } | null;
  };
  const what = `${membership.collection}:${membership.alias}`;
  const urls = new Map<string, string>();
  const cursors = new PageCursors(`the files of W&B artifact ${what}`, { backend: "wandb" });
  let cursor: string | null = null;
  for (;;) {
    const variables = { ...membership, cursor, perPage: 1000 };
    const data: Answer = await session.client.request<Answer>(MEMBERSHIP_FILE_URLS, variables, { signal });
    const files = data.project?.artifactCollection?.artifactMembership?.files;
    if (!files) throw new ArtifactError("NOT_FOUND", `W&B artifact ${what} is gone`);
    for (const edge of files.edges) if (edge.node) urls.set(edge.node.name, edge.node.directUrl);
    if (!files.pageInfo.hasNextPage) return urls;
    cursor = cursors.next(files.pageInfo.endCursor); // a repeating cursor would page for ever (issue 18.8)
  }
}

/** Whether an alias string names a version (`vN`) rather than a user alias. */
export function isVersionAlias(alias: string): boolean {
  return alias === "latest" || parseVersion(alias) !== undefined;
}
