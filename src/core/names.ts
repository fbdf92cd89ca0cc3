/** Name and path rules of store format v1 (../shared/STORE-FORMAT.md "Names and paths"). */
import { ArtifactError } from "../errors.js";

/** Scaffold's collection rule. */
export const COLLECTION_PATTERN = /^[a-zA-Z0-9\-_:]+$/;
/** Letters, digits, `-`, `_`, `.`; not starting with `.`. */
export const ARTIFACT_NAME_PATTERN = /^[a-zA-Z0-9_-][a-zA-Z0-9_.-]*$/;
/** A version folder / version string: `v0`, `v1`, … (no leading zeros). */
export const VERSION_PATTERN = /^v(0|[1-9][0-9]*)$/;
/** Longest accepted name, to keep object keys and file names within every backend's limits. */
export const MAX_NAME_LENGTH = 128;

/** Throws `INVALID_NAME` unless `name` is a valid collection name. */
export function validateCollection(name: unknown): asserts name is string {
  if (typeof name !== "string" || !COLLECTION_PATTERN.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new ArtifactError(
      "INVALID_NAME",
      `invalid collection name ${JSON.stringify(name)}: use 1-${MAX_NAME_LENGTH} letters, digits, '-', '_' or ':' (no '/', no spaces)`,
    );
  }
}

/** Throws `INVALID_NAME` unless `name` is a valid artifact name. */
export function validateArtifactName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !ARTIFACT_NAME_PATTERN.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new ArtifactError(
      "INVALID_NAME",
      `invalid artifact name ${JSON.stringify(name)}: use 1-${MAX_NAME_LENGTH} letters, digits, '-', '_' or '.', not starting with '.' and without '/'`,
    );
  }
}

/**
 * Throws `INVALID_NAME` unless `alias` is a valid alias: an artifact-like name that is not `latest`,
 * not `v<digits>` and not digits only (`"3"` selects version 3, so such an alias could never be read).
 */
export function validateAlias(alias: unknown): asserts alias is string {
  validateArtifactNameAs(alias, "alias");
  if (alias === "latest" || /^v?[0-9]+$/.test(alias)) {
    throw new ArtifactError(
      "INVALID_NAME",
      `invalid alias ${JSON.stringify(alias)}: 'latest', 'v<number>' and numbers are reserved for versions; pick another name such as 'best' or 'production'`,
    );
  }
}

function validateArtifactNameAs(name: unknown, what: string): asserts name is string {
  if (typeof name !== "string" || !ARTIFACT_NAME_PATTERN.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new ArtifactError(
      "INVALID_NAME",
      `invalid ${what} ${JSON.stringify(name)}: use 1-${MAX_NAME_LENGTH} letters, digits, '-', '_' or '.', not starting with '.' and without '/'`,
    );
  }
}

/**
 * Validates a relative POSIX path inside an artifact and returns it normalised (no `./` segments).
 * Rejects `..`, absolute paths, empty segments, backslashes and NUL with `INVALID_ARGUMENT`.
 */
export function validateArtifactPath(path: unknown, option = "artifactPath"): string {
  const fail = (why: string): never => {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `invalid \`${option}\` ${JSON.stringify(path)}: ${why}; use a relative path like 'weights/model.pt'`,
    );
  };
  if (typeof path !== "string" || path.length === 0) return fail("it is empty");
  if (path.includes("\0")) return fail("it contains a NUL character");
  if (path.includes("\\")) return fail("it contains a backslash");
  if (path.startsWith("/")) return fail("it is absolute");
  const segments = path.split("/").filter((segment) => segment !== ".");
  if (segments.length === 0) return fail("it names no file");
  for (const segment of segments) {
    if (segment === "") fail("it has an empty segment");
    if (segment === "..") fail("it contains '..'");
  }
  return segments.join("/");
}

/** Parses `"vN"` to N, or returns undefined when `version` is not a version string. */
export function parseVersion(version: string): number | undefined {
  return VERSION_PATTERN.test(version) ? Number(version.slice(1)) : undefined;
}

/** Formats N as `"vN"`. */
export function formatVersion(n: number): string {
  return `v${n}`;
}
