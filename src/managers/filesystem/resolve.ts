/** Version selectors → concrete version numbers, with NOT_FOUND messages that say what exists. */
import { formatVersion, validateAlias } from "../../core/names.js";
import type { VersionSelector } from "../../core/types.js";
import { parseVersionSelector } from "../../core/version-selector.js";
import { ArtifactError } from "../../errors.js";
import type { StorageDriver } from "../../storage/driver.js";
import { readAlias } from "./aliases.js";
import { type ArtifactState, scanArtifact, visibleVersions } from "./scan.js";

/** A resolved version: its number and the artifact state it was resolved against. */
export interface ResolvedVersion {
  n: number;
  version: string;
  state: ArtifactState;
}

/** Resolves `"vN"`, `N`, `"latest"` (default) or an alias to a visible version, or throws NOT_FOUND. */
export async function resolveVersion(
  driver: StorageDriver,
  collection: string,
  name: string,
  selector: VersionSelector | undefined,
  signal?: AbortSignal,
): Promise<ResolvedVersion> {
  const state = await scanArtifact(driver, collection, name, signal);
  const visible = visibleVersions(state);
  if (visible.length === 0) {
    throw new ArtifactError("NOT_FOUND", `artifact '${name}' does not exist in collection '${collection}'`, {
      context: { operation: "resolve", name, collection },
    });
  }
  const n = await selectorNumber(driver, collection, name, selector ?? "latest", visible);
  if (!visible.includes(n)) {
    const latest = formatVersion(visible.at(-1) as number);
    throw new ArtifactError(
      "NOT_FOUND",
      `artifact '${name}' has no version ${formatVersion(n)} in collection '${collection}' (versions: ${describeVersions(visible)}; latest is ${latest})`,
      { context: { operation: "resolve", name, collection, version: formatVersion(n) } },
    );
  }
  return { n, version: formatVersion(n), state };
}

async function selectorNumber(
  driver: StorageDriver,
  collection: string,
  name: string,
  selector: VersionSelector,
  visible: number[],
): Promise<number> {
  const parsed = parseVersionSelector(selector);
  if (parsed.kind === "latest") return visible.at(-1) as number;
  if (parsed.kind === "number") return parsed.n;
  validateAlias(parsed.alias);
  const target = await readAlias(driver, collection, name, parsed.alias);
  if (target === undefined) {
    throw new ArtifactError(
      "NOT_FOUND",
      `artifact '${name}' in collection '${collection}' has no alias '${parsed.alias}' (versions: ${describeVersions(visible)}; set one with setAlias)`,
      { context: { operation: "resolve", name, collection, alias: parsed.alias } },
    );
  }
  return target;
}

/** "v0, v1, v2" (shortened in the middle for long histories). */
export function describeVersions(visible: readonly number[]): string {
  const names = visible.map(formatVersion);
  return names.length <= 12
    ? names.join(", ")
    : `${names.slice(0, 5).join(", ")}, …, ${names.slice(-5).join(", ")}`;
}
