/**
 * The `inputs` log option (issue 20, "Provenance"): refs to the artifacts a version was made from,
 * checked against the store and recorded as concrete versions so that the lineage never moves when an
 * alias or `latest` does.
 */
import { validateArtifactName, validateCollection } from "../../core/names.js";
import { ArtifactError } from "../../errors.js";
import type { StorageDriver } from "../../storage/driver.js";
import { resolveVersion } from "./resolve.js";

/** A parsed input ref: `[collection/]name[:version]`. */
export interface InputRef {
  collection: string;
  name: string;
  /** `"v3"`, `"3"`, `"latest"` or an alias; undefined = latest. */
  version: string | undefined;
}

/** Parses `name`, `name:v3`, `name:best`, `collection/name:v3`; throws INVALID_ARGUMENT / INVALID_NAME. */
export function parseInputRef(text: unknown, defaultCollection: string): InputRef {
  if (typeof text !== "string" || text === "") {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `each entry of the \`inputs\` option must be a ref such as "dataset:v3" or "datasets/dataset:v3", got ${JSON.stringify(text)}`,
    );
  }
  const slash = text.indexOf("/");
  const collection = slash === -1 ? defaultCollection : text.slice(0, slash);
  const rest = slash === -1 ? text : text.slice(slash + 1);
  const colon = rest.indexOf(":");
  const name = colon === -1 ? rest : rest.slice(0, colon);
  const version = colon === -1 ? undefined : rest.slice(colon + 1);
  validateCollection(collection);
  validateArtifactName(name);
  if (version === "") {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `input '${text}' names no version after ':'; write ${name}:v3`,
    );
  }
  return { collection, name, version };
}

/**
 * Resolves every input against the store: `NOT_FOUND` naming the input when it does not exist.
 * Returns `name:vN` (same collection as the log) or `collection/name:vN`, without duplicates.
 */
export async function resolveInputs(
  driver: StorageDriver,
  collection: string,
  inputs: unknown,
  signal?: AbortSignal,
): Promise<string[]> {
  if (inputs === undefined) return [];
  if (!Array.isArray(inputs)) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      'the `inputs` option must be an array of refs such as ["dataset:v3"]',
    );
  }
  const refs = inputs.map((text) => parseInputRef(text, collection));
  const resolved: string[] = [];
  for (const ref of refs) {
    const selector =
      ref.version !== undefined && /^[0-9]+$/.test(ref.version) ? Number(ref.version) : ref.version;
    const found = await resolveVersion(driver, ref.collection, ref.name, selector, signal).catch(
      (error: unknown) => {
        if (error instanceof ArtifactError && error.code === "NOT_FOUND") {
          throw new ArtifactError("NOT_FOUND", `input '${formatInput(ref)}' of this log: ${error.message}`, {
            cause: error,
            context: { operation: "log", name: ref.name, collection: ref.collection },
          });
        }
        throw error;
      },
    );
    const text = `${ref.collection === collection ? "" : `${ref.collection}/`}${ref.name}:${found.version}`;
    if (!resolved.includes(text)) resolved.push(text);
  }
  return resolved;
}

function formatInput(ref: InputRef): string {
  return `${ref.collection}/${ref.name}${ref.version === undefined ? "" : `:${ref.version}`}`;
}
