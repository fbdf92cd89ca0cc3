/** The UI's URLs: building them from names, and reading names back from a request path. */

/** Encodes one path segment. */
function seg(value: string): string {
  return encodeURIComponent(value);
}

/** A file path inside a version, each segment encoded, joined by `/`. */
function filePath(path: string): string {
  return path.split("/").map(seg).join("/");
}

/** Links to the UI's pages. */
export const href = {
  start: (page?: number): string => (page && page > 1 ? `/?page=${page}` : "/"),
  collection: (collection: string, page?: number): string =>
    `/c/${seg(collection)}${page && page > 1 ? `?page=${page}` : ""}`,
  artifact: (collection: string, name: string, page?: number): string =>
    `/c/${seg(collection)}/a/${seg(name)}${page && page > 1 ? `?page=${page}` : ""}`,
  version: (collection: string, name: string, version: string): string =>
    `/c/${seg(collection)}/a/${seg(name)}/v/${seg(version)}`,
  file: (collection: string, name: string, version: string, path: string): string =>
    `${href.version(collection, name, version)}/files/${filePath(path)}`,
  raw: (collection: string, name: string, version: string, path: string, inline = false): string =>
    `${href.version(collection, name, version)}/raw/${filePath(path)}${inline ? "?inline=1" : ""}`,
  checkpoint: (collection: string, name: string, version: string, path: string): string =>
    `${href.version(collection, name, version)}/checkpoint/${filePath(path)}`,
  diff: (collection: string, name: string, a: string, b: string, file?: string): string =>
    `/c/${seg(collection)}/a/${seg(name)}/diff?a=${seg(a)}&b=${seg(b)}${file === undefined ? "" : `&file=${seg(file)}`}`,
  aliasConfirm: (collection: string, name: string): string => `/c/${seg(collection)}/a/${seg(name)}/alias`,
};

/** A route the server knows, with its decoded names. */
export type Route =
  | { page: "start" }
  | { page: "collection"; collection: string }
  | { page: "artifact"; collection: string; name: string }
  | { page: "diff"; collection: string; name: string }
  | { page: "alias"; collection: string; name: string }
  | { page: "version"; collection: string; name: string; version: string }
  | {
      page: "file" | "raw" | "checkpoint";
      collection: string;
      name: string;
      version: string;
      path: string;
    }
  | { page: "style" };

/** Decodes one segment; undefined for bad escapes or a decoded segment holding `/` or `\`. */
function decodeSegment(segment: string): string | undefined {
  let value: string;
  try {
    value = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  if (value === "" || value.includes("/") || value.includes("\\") || value.includes("\0")) return undefined;
  return value;
}

/**
 * The route of a request path, or undefined (→ 404). Names are decoded segment by segment: an encoded
 * `/` (`..%2f..%2fetc`) or a `.`/`..` segment never becomes part of a file path.
 */
export function parseRoute(pathname: string): Route | undefined {
  if (pathname === "/") return { page: "start" };
  if (pathname === "/static/ui.css") return { page: "style" };
  const raw = pathname.split("/").slice(1);
  const parts: string[] = [];
  for (const segment of raw) {
    const value = decodeSegment(segment);
    if (value === undefined) return undefined;
    parts.push(value);
  }
  const [c, collection, a, name, kind, version, sub, ...rest] = parts;
  if (c !== "c" || collection === undefined) return undefined;
  if (a === undefined) return { page: "collection", collection };
  if (a !== "a" || name === undefined) return undefined;
  if (kind === undefined) return { page: "artifact", collection, name };
  if (kind === "diff" && version === undefined) return { page: "diff", collection, name };
  if (kind === "alias" && version === undefined) return { page: "alias", collection, name };
  if (kind !== "v" || version === undefined) return undefined;
  if (sub === undefined) return { page: "version", collection, name, version };
  if ((sub !== "files" && sub !== "raw" && sub !== "checkpoint") || rest.length === 0) return undefined;
  if (rest.some((part) => part === "." || part === "..")) return undefined;
  return { page: sub === "files" ? "file" : sub, collection, name, version, path: rest.join("/") };
}
