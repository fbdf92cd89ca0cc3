/** Key rules every driver enforces the same way: '/'-separated, relative, no '.' or '..' segments. */
import { ArtifactError } from "../errors.js";

/** Throws `INVALID_ARGUMENT` unless `key` names an object (non-empty, relative, clean segments). */
export function validateKey(key: string, backend: string): void {
  if (typeof key !== "string" || key.length === 0 || key.endsWith("/")) {
    throw invalidKey(key, backend, "an object key must be non-empty and must not end with '/'");
  }
  validatePrefix(key, backend);
}

/** Throws `INVALID_ARGUMENT` unless `prefix` is "" or a clean relative prefix. */
export function validatePrefix(prefix: string, backend: string): void {
  if (typeof prefix !== "string") throw invalidKey(prefix, backend, "a key must be a string");
  if (prefix.includes("\0")) throw invalidKey(prefix, backend, "it contains a NUL character");
  if (prefix.startsWith("/")) throw invalidKey(prefix, backend, "keys are relative (no leading '/')");
  const segments = prefix.split("/");
  // The last segment of a prefix may be empty (a folder prefix "a/b/") or partial ("a/b").
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const last = i === segments.length - 1;
    if (segment === "" && !last) throw invalidKey(prefix, backend, "it has an empty segment ('//')");
    if (segment === ".." || (segment === "." && !last)) {
      throw invalidKey(prefix, backend, "it contains a '.' or '..' segment");
    }
  }
}

function invalidKey(key: unknown, backend: string, why: string): ArtifactError {
  return new ArtifactError("INVALID_ARGUMENT", `invalid storage key ${JSON.stringify(key)}: ${why}`, {
    context: { backend, key: String(key) },
  });
}

/** The folder part of a prefix ("a/b/c" → "a/b/", "a/b/" → "a/b/", "abc" → ""). */
export function folderOf(prefix: string): string {
  const slash = prefix.lastIndexOf("/");
  return slash === -1 ? "" : prefix.slice(0, slash + 1);
}
