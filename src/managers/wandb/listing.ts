/**
 * Listings (PROTOCOL.md 4.4), paged lazily with relay cursors: artifact types of the project (our
 * collections), collections of a type that have a committed version (our artifact names), and the
 * committed versions of a collection with their aliases.
 */

import { ArtifactError } from "../../errors.js";
import { compareCodePoints } from "../../util/compare.js";
import { PageCursors } from "../../util/page-cursor.js";
import { COLLECTION_VERSIONS, PROJECT_ARTIFACT_TYPES, TYPE_COLLECTIONS } from "./queries.js";
import { type AliasAnswer, aliasesIn } from "./resolve.js";
import type { WandbSession } from "./session.js";

const PAGE_SIZE = 100;
const COMMITTED = JSON.stringify({ state: "COMMITTED" });

interface Page<N> {
  edges: Array<N>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * Pages through a connection (`what` names it in errors); `fetch` returns null when the parent object
 * does not exist. A next-page cursor that repeats (or is missing) is `UNEXPECTED` (issue 18.8).
 */
async function* pages<N>(
  what: string,
  fetch: (cursor: string | null) => Promise<Page<N> | null>,
): AsyncGenerator<N> {
  const cursors = new PageCursors(what, { backend: "wandb" });
  let cursor: string | null = null;
  for (;;) {
    const page: Page<N> | null = await fetch(cursor);
    if (page === null) return;
    yield* page.edges;
    if (!page.pageInfo.hasNextPage) return;
    cursor = cursors.next(page.pageInfo.endCursor);
  }
}

/** Artifact type names of the project, sorted. */
export async function listTypes(session: WandbSession, signal?: AbortSignal): Promise<string[]> {
  const entity = await session.entity(signal);
  type Answer = { project: { artifactTypes: Page<{ node: { name: string } | null }> } | null };
  const names: string[] = [];
  const edges = pages(`the artifact types of W&B project ${entity}/${session.project}`, async (cursor) => {
    const variables = { entity, project: session.project, cursor, perPage: PAGE_SIZE };
    const data = await session.client.request<Answer>(PROJECT_ARTIFACT_TYPES, variables, { signal });
    return data.project?.artifactTypes ?? null;
  });
  // `wandb-*` types are W&B's own (run history, tables, …): no collection of ours can have that name
  for await (const edge of edges)
    if (edge.node && !edge.node.name.startsWith("wandb-")) names.push(edge.node.name);
  return names.sort(compareCodePoints);
}

/** Names of the sequences of a type that have at least one committed version, sorted. */
export async function listCollections(session: WandbSession, type: string, signal?: AbortSignal) {
  const entity = await session.entity(signal);
  type Node = { __typename: string; name: string; artifacts: { totalCount: number } | null };
  type Answer = {
    project: { artifactType: { artifactCollections: Page<{ node: Node | null }> | null } | null } | null;
  };
  const names: string[] = [];
  const edges = pages(`the collections of W&B type '${type}'`, async (cursor) => {
    const variables = {
      entity,
      project: session.project,
      type,
      cursor,
      perPage: PAGE_SIZE,
      committed: COMMITTED,
    };
    const data = await session.client.request<Answer>(TYPE_COLLECTIONS, variables, { signal });
    return data.project?.artifactType?.artifactCollections ?? null;
  });
  for await (const { node } of edges) {
    if (node?.__typename === "ArtifactSequence" && (node.artifacts?.totalCount ?? 0) > 0)
      names.push(node.name);
  }
  return names.sort(compareCodePoints);
}

/** A committed version and its aliases. */
export interface ListedVersion {
  index: number;
  id: string;
  aliases: string[];
}

/** Committed versions of a collection in numeric order; `NOT_FOUND` when it has none. */
export async function listCommittedVersions(
  session: WandbSession,
  where: { type: string; name: string },
  signal?: AbortSignal,
): Promise<ListedVersion[]> {
  const entity = await session.entity(signal);
  type Edge = { version: string; node: { id: string; aliases: AliasAnswer[] } };
  type Answer = {
    project: { artifactType: { artifactCollection: { artifacts: Page<Edge> | null } | null } | null } | null;
  };
  const versions: ListedVersion[] = [];
  const edges = pages(`the versions of W&B artifact '${where.type}/${where.name}'`, async (cursor) => {
    const variables = {
      ...{ entity, project: session.project, type: where.type, collection: where.name },
      ...{ cursor, perPage: PAGE_SIZE, filters: COMMITTED },
    };
    const data = await session.client.request<Answer>(COLLECTION_VERSIONS, variables, { signal });
    return data.project?.artifactType?.artifactCollection?.artifacts ?? null;
  });
  for await (const edge of edges) {
    versions.push({
      index: Number(edge.version.slice(1)),
      id: edge.node.id,
      aliases: aliasesIn(edge.node.aliases, where.name),
    });
  }
  if (versions.length === 0) {
    throw new ArtifactError(
      "NOT_FOUND",
      `artifact '${where.name}' has no versions in collection '${where.type}' of W&B project ${entity}/${session.project}`,
      { context: { backend: "wandb", operation: "listVersions", key: `${where.type}/${where.name}` } },
    );
  }
  return versions.sort((a, b) => a.index - b.index);
}

/** Whether the collection has a committed version in this type (one small query). */
export async function hasCommittedVersion(
  session: WandbSession,
  where: { type: string; name: string },
  signal?: AbortSignal,
): Promise<boolean> {
  const entity = await session.entity(signal);
  type Answer = {
    project: {
      artifactType: { artifactCollection: { artifacts: Page<unknown> | null } | null } | null;
    } | null;
  };
  const variables = {
    ...{ entity, project: session.project, type: where.type, collection: where.name },
    ...{ cursor: null, perPage: 1, filters: COMMITTED },
  };
  const data = await session.client.request<Answer>(COLLECTION_VERSIONS, variables, { signal });
  return (data.project?.artifactType?.artifactCollection?.artifacts?.edges.length ?? 0) > 0;
}
