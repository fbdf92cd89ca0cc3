/** `NAME[:VERSION|:ALIAS]` references typed on the command line. */
import { ArtifactError, type VersionSelector, validateArtifactName } from "../index.js";

/** An artifact name and an optional version selector. */
export interface ArtifactRef {
  name: string;
  /** `"v3"`, `3`, `"latest"` or an alias; undefined = latest. */
  version: VersionSelector | undefined;
}

/** Parses `"model"`, `"model:v3"`, `"model:3"`, `"model:best"`. Throws `INVALID_NAME` / `INVALID_ARGUMENT`. */
export function parseRef(text: string): ArtifactRef {
  const colon = text.indexOf(":");
  const name = colon === -1 ? text : text.slice(0, colon);
  validateArtifactName(name);
  if (colon === -1) return { name, version: undefined };
  const version = text.slice(colon + 1);
  if (version === "") {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `'${text}' names no version after ':'; write NAME, NAME:v3, NAME:latest or NAME:ALIAS`,
    );
  }
  return { name, version: /^[0-9]+$/.test(version) ? Number(version) : version };
}

/** `{ version }` for a library call, leaving the option out when no version was given. */
export function versionOption(ref: ArtifactRef): { version?: VersionSelector } {
  return ref.version === undefined ? {} : { version: ref.version };
}
