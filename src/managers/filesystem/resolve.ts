/** Version selectors → concrete version numbers, with NOT_FOUND messages that say what exists. */
import { formatVersion, parseVersion, validateAlias } from "../../core/names.js";
import type { VersionSelector } from "../../core/types.js";
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
  if (typeof selector === "number") {
    if (Number.isSafeInteger(selector) && selector >= 0) return selector;
    throw badSelector(selector);
  }
  if (typeof selector !== "string" || selector === "") throw badSelector(selector);
  if (selector === "latest") return visible.at(-1) as number;
  const parsed =
    parseVersion(selector) ?? (/^(0|[1-9][0-9]*)$/.test(selector) ? Number(selector) : undefined);
  if (parsed !== undefined) return parsed;
  if (/^v?[0-9]+$/.test(selector)) throw badSelector(selector);
  validateAlias(selector);
  const target = await readAlias(driver, collection, name, selector);
  if (target === undefined) {
    throw new ArtifactError(
      "NOT_FOUND",
      `artifact '${name}' in collection '${collection}' has no alias '${selector}' (versions: ${describeVersions(visible)}; set one with setAlias)`,
      { context: { operation: "resolve", name, collection, alias: selector } },
    );
  }
  return target;
}

function badSelector(selector: unknown): ArtifactError {
  return new ArtifactError(
    "INVALID_ARGUMENT",
    `invalid \`version\` ${JSON.stringify(selector)}: use "latest", "v3", 3 or an alias name`,
  );
}

/** "v0, v1, v2" (shortened in the middle for long histories). */
export function describeVersions(visible: readonly number[]): string {
  const names = visible.map(formatVersion);
  return names.length <= 12
    ? names.join(", ")
    : `${names.slice(0, 5).join(", ")}, …, ${names.slice(-5).join(", ")}`;
}
