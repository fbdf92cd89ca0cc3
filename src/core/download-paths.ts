/** The `paths` download option: validating it, and picking the requested files out of a version. */
import { ArtifactError } from "../errors.js";
import { validateArtifactPath } from "./names.js";

/** The version a subset is picked from, for the NOT_FOUND message. */
export interface PathsSubject {
  name: string;
  collection: string;
  /** `"vN"`. */
  version: string;
}

/**
 * Validates the `paths` option: `undefined` stays `undefined` (the whole version); otherwise a
 * non-empty array of relative paths, returned normalised and without duplicates. `INVALID_ARGUMENT`
 * for anything else.
 */
export function validateDownloadPaths(paths: unknown): string[] | undefined {
  if (paths === undefined) return undefined;
  if (!Array.isArray(paths) || paths.length === 0) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`paths\` option to be a non-empty array of relative paths, got ${JSON.stringify(paths)}; omit it to download the whole version`,
    );
  }
  return [...new Set(paths.map((path: unknown) => validateArtifactPath(path, "paths")))];
}

/**
 * The items whose path is in `paths` (every item when `paths` is undefined), in the version's order.
 * Throws `NOT_FOUND` naming the version and the first requested path it does not hold.
 */
export function pickDownloadFiles<T>(
  items: readonly T[],
  paths: readonly string[] | undefined,
  pathOf: (item: T) => string,
  subject: PathsSubject,
): T[] {
  if (paths === undefined) return [...items];
  const wanted = new Set(paths);
  const picked = items.filter((item) => wanted.has(pathOf(item)));
  if (picked.length === wanted.size) return picked;
  const have = new Set(picked.map(pathOf));
  const missing = paths.find((path) => !have.has(path)) as string;
  throw new ArtifactError("NOT_FOUND", notFoundMessage(items.map(pathOf), missing, subject), {
    context: { operation: "download", ...subject, key: missing },
  });
}

function notFoundMessage(all: readonly string[], missing: string, subject: PathsSubject): string {
  const { name, collection, version } = subject;
  const some = all.slice(0, 5).join(", ") + (all.length > 5 ? ", …" : "");
  return (
    `artifact '${name}' ${version} in collection '${collection}' has no file '${missing}' ` +
    `(its files: ${some || "none"}); list them with 'artifacts show ${name}:${version}' or getVersion()`
  );
}
