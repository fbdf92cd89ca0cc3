/**
 * Which digest algorithm a log uses, as wandb-core 0.30 decides it (`ArtifactSaver.
 * getArtifactDigestAlgorithm`): XXH128 only when the server has the `ARTIFACT_DIGEST_ALGORITHM`
 * feature and the entity has `xxhashDigestsEnabled`, and never into a sequence that uses MD5 (wandb-core
 * re-hashes with MD5 then). Unlike the SDK, a log into an existing XXH128 sequence uses XXH128 by
 * default, so one sequence keeps one algorithm.
 */
import type { ArtifactDigestAlgorithm } from "./digests.js";
import { DIGEST_ALGORITHM, SERVER_FEATURES } from "./queries.js";
import type { WandbSession } from "./session.js";

/** The digest algorithm asked for by a log (`digestAlgorithm` option). */
export type RequestedDigestAlgorithm = "MD5" | "XXH128";

const features = new WeakMap<WandbSession, Promise<Set<string>>>();

/** The enabled server features, asked once per session. */
export function serverFeatures(session: WandbSession, signal?: AbortSignal): Promise<Set<string>> {
  let found = features.get(session);
  if (found === undefined) {
    type Answer = {
      serverInfo: { features: Array<{ name: string; isEnabled: boolean } | null> | null } | null;
    };
    found = session.client.request<Answer>(SERVER_FEATURES, {}, { signal }).then((data) => {
      const list = data.serverInfo?.features ?? [];
      return new Set(list.flatMap((f) => (f?.isEnabled ? [f.name] : [])));
    });
    found.catch(() => features.delete(session));
    features.set(session, found);
  }
  return found;
}

/** The algorithm to log `type/name` with (MANIFEST_MD5 unless XXH128 is asked for or in use, and allowed). */
export async function chooseDigestAlgorithm(
  session: WandbSession,
  target: { entity: string; type: string; name: string },
  requested: RequestedDigestAlgorithm | undefined,
  signal: AbortSignal | undefined,
): Promise<ArtifactDigestAlgorithm> {
  if (requested === "MD5") return "MANIFEST_MD5";
  if (!(await serverFeatures(session, signal)).has("ARTIFACT_DIGEST_ALGORITHM")) return "MANIFEST_MD5";
  type Answer = {
    project: { artifactType: { artifactCollection: { digestAlgorithm?: string } | null } | null } | null;
    entity: { xxhashDigestsEnabled: boolean | null } | null;
  };
  const variables = { entity: target.entity, project: session.project, type: target.type, name: target.name };
  const data = await session.client.request<Answer>(DIGEST_ALGORITHM, variables, { signal });
  if (data.entity?.xxhashDigestsEnabled !== true) return "MANIFEST_MD5";
  const existing = data.project?.artifactType?.artifactCollection?.digestAlgorithm;
  if (existing === "MANIFEST_XXH128") return "MANIFEST_XXH128";
  return existing === undefined && requested === "XXH128" ? "MANIFEST_XXH128" : "MANIFEST_MD5";
}
