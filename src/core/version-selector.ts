/** The `version` option of every backend: `"latest"` (default), a version (`3`, `"3"`, `"v3"`) or an alias. */
import { ArtifactError } from "../errors.js";
import { parseVersion } from "./names.js";

/** A parsed `version` option. An alias is returned as given: each backend applies its own alias rule. */
export type ParsedVersionSelector =
  | { kind: "latest" }
  | { kind: "number"; n: number }
  | { kind: "alias"; alias: string };

/**
 * Parses a `version` option: `undefined` and `"latest"` are the latest version; a non-negative safe
 * integer, `"vN"` or a digit string `"N"` (no leading zeros) is version N; any other non-empty string
 * is an alias. `INVALID_ARGUMENT` for anything else (`-1`, `1.5`, `""`, `"007"`, `"v07"`, non-strings).
 */
export function parseVersionSelector(selector: unknown): ParsedVersionSelector {
  if (selector === undefined || selector === "latest") return { kind: "latest" };
  if (typeof selector === "number") {
    if (Number.isSafeInteger(selector) && selector >= 0) return { kind: "number", n: selector };
    throw invalidVersionSelector(selector);
  }
  if (typeof selector !== "string" || selector === "") throw invalidVersionSelector(selector);
  const n = parseVersion(selector) ?? (/^(0|[1-9][0-9]*)$/.test(selector) ? Number(selector) : undefined);
  if (n !== undefined) return { kind: "number", n };
  if (/^v?[0-9]+$/.test(selector)) throw invalidVersionSelector(selector);
  return { kind: "alias", alias: selector };
}

/** The error for a `version` option that is neither `latest`, a version nor an alias. */
export function invalidVersionSelector(selector: unknown): ArtifactError {
  return new ArtifactError(
    "INVALID_ARGUMENT",
    `invalid \`version\` ${JSON.stringify(selector)}: use "latest", "v3", 3 or an alias name`,
  );
}
