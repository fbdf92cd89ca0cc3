/** The read rule: which versions of an artifact exist, are claimed, are dead, or are visible. */
import { parseVersion } from "../../core/names.js";
import type { StorageDriver } from "../../storage/driver.js";
import { artifactPrefix, versionsPrefix } from "./layout.js";

/** What one listing of an artifact found. */
export interface ArtifactState {
  /** N of every `v<N>/` folder. */
  folders: Set<number>;
  /** N of every committed `meta/versions/v<N>.json` record (a non-empty object). */
  records: Set<number>;
  /**
   * N of every tombstone: an EMPTY `meta/versions/v<N>.json`, with its last-modified time (ms, 0 when
   * unknown). The number is dead (its log failed or garbage collection took it over): never visible,
   * never committed, never handed out again.
   */
  tombstones: Map<number, number>;
  /** N of every `meta/versions/v<N>.claim`, with the claim's last-modified time (ms, 0 when unknown). */
  claims: Map<number, number>;
}

/** Lists an artifact's version folders, records, tombstones and claims (two listings). */
export async function scanArtifact(
  driver: StorageDriver,
  collection: string,
  name: string,
  signal?: AbortSignal,
): Promise<ArtifactState> {
  const state: ArtifactState = {
    folders: new Set(),
    records: new Set(),
    tombstones: new Map(),
    claims: new Map(),
  };
  const base = artifactPrefix(collection, name);
  const listOptions = signal ? { delimiter: true, signal } : { delimiter: true };
  for await (const entry of driver.list(base, listOptions)) {
    if (entry.type !== "prefix") continue;
    const n = parseVersion(entry.key.slice(base.length, -1));
    if (n !== undefined) state.folders.add(n);
  }
  const meta = versionsPrefix(collection, name);
  for await (const entry of driver.list(meta, listOptions)) {
    if (entry.type !== "object") continue;
    const match = /^(v\d+)\.(json|claim)$/.exec(entry.key.slice(meta.length));
    const n = match?.[1] === undefined ? undefined : parseVersion(match[1]);
    if (n === undefined) continue;
    const modified = entry.lastModified?.getTime() ?? 0;
    if (match?.[2] === "claim") state.claims.set(n, modified);
    else if (entry.size === 0) state.tombstones.set(n, modified);
    else state.records.add(n);
  }
  return state;
}

/**
 * Visible versions in numeric order: a record exists, or a `v<N>/` folder exists with no claim, no
 * record and no tombstone (a legacy version written by Python scaffold).
 */
export function visibleVersions(state: ArtifactState): number[] {
  const visible = new Set(state.records);
  for (const n of state.folders) if (!state.claims.has(n) && !state.tombstones.has(n)) visible.add(n);
  return [...visible].sort((a, b) => a - b);
}

/** Whether N has a commit record (false for legacy versions). */
export function hasRecord(state: ArtifactState, n: number): boolean {
  return state.records.has(n);
}

/** The next number to claim: 1 + the largest N among folders, records, tombstones and claims. */
export function nextVersionNumber(state: ArtifactState): number {
  let max = -1;
  for (const numbers of [state.folders, state.records, state.tombstones.keys(), state.claims.keys()])
    for (const n of numbers) max = Math.max(max, n);
  return max + 1;
}
