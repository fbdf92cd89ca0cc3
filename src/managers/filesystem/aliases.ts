/** Aliases: movable pointers `meta/aliases/<alias>.json` → `{ version, updatedAt }`. */
import { formatVersion, parseVersion } from "../../core/names.js";
import { ArtifactError, isArtifactError } from "../../errors.js";
import { readAll } from "../../storage/body.js";
import type { StorageDriver } from "../../storage/driver.js";
import { aliasesPrefix, aliasKey } from "./layout.js";

/** Tries of a conditional alias move before giving up with CONFLICT. */
const MAX_ALIAS_ATTEMPTS = 10;

/** The version number an alias points at, or undefined when the alias does not exist. */
export async function readAlias(
  driver: StorageDriver,
  collection: string,
  name: string,
  alias: string,
): Promise<number | undefined> {
  const key = aliasKey(collection, name, alias);
  let text: string;
  try {
    text = (await readAll(await driver.read(key))).toString("utf8");
  } catch (error) {
    if (isArtifactError(error, "NOT_FOUND")) return undefined;
    throw error;
  }
  const version = (parseAliasObject(text, key) as { version?: unknown } | null)?.version;
  const n = typeof version === "string" ? parseVersion(version) : undefined;
  if (n === undefined)
    throw new ArtifactError("UNEXPECTED", `alias object ${key} is malformed (no "version")`, {
      context: { key },
    });
  return n;
}

/** JSON.parse that names the alias object instead of throwing a bare SyntaxError. */
function parseAliasObject(text: string, key: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ArtifactError(
      "UNEXPECTED",
      `alias object ${key} is not valid JSON; set the alias again (setAlias) or delete the object`,
      { cause, context: { key } },
    );
  }
}

/** Points `alias` at version N: create-only when new, If-Match when moving (where the store can). */
export async function writeAlias(
  driver: StorageDriver,
  collection: string,
  name: string,
  alias: string,
  n: number,
): Promise<void> {
  const key = aliasKey(collection, name, alias);
  const body = JSON.stringify({ version: formatVersion(n), updatedAt: new Date().toISOString() });
  for (let attempt = 0; attempt < MAX_ALIAS_ATTEMPTS; attempt++) {
    const current = await driver.stat(key);
    const condition =
      current === null
        ? { ifNotExists: true }
        : driver.capabilities.writeIfMatch && current.etag !== undefined
          ? { ifMatch: current.etag }
          : {};
    try {
      await driver.write(key, body, { ...condition, contentType: "application/json" });
      return;
    } catch (error) {
      if (!isArtifactError(error, "CONFLICT") && !isArtifactError(error, "ALREADY_EXISTS")) throw error;
    }
  }
  throw new ArtifactError("CONFLICT", `alias '${alias}' of '${name}' keeps changing; try again`, {
    retryable: true,
  });
}

/** Deletes an alias; NOT_FOUND when it does not exist. */
export async function deleteAlias(
  driver: StorageDriver,
  collection: string,
  name: string,
  alias: string,
): Promise<void> {
  const key = aliasKey(collection, name, alias);
  if ((await driver.stat(key)) === null) {
    const existing = Object.keys(await listAliasMap(driver, collection, name));
    throw new ArtifactError(
      "NOT_FOUND",
      `artifact '${name}' in collection '${collection}' has no alias '${alias}' (aliases: ${existing.join(", ") || "none"})`,
    );
  }
  await driver.delete(key);
}

/** Every alias of an artifact, sorted by alias name: `{ best: "v1", … }`. */
export async function listAliasMap(
  driver: StorageDriver,
  collection: string,
  name: string,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  const prefix = aliasesPrefix(collection, name);
  const aliases: Record<string, string> = {};
  for await (const entry of driver.list(prefix, signal ? { delimiter: true, signal } : { delimiter: true })) {
    if (entry.type !== "object" || !entry.key.endsWith(".json")) continue;
    const alias = entry.key.slice(prefix.length, -".json".length);
    const n = await readAlias(driver, collection, name, alias);
    if (n !== undefined) aliases[alias] = formatVersion(n);
  }
  return aliases;
}
