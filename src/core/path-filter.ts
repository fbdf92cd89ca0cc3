/**
 * `include` / `exclude` globs of a log (`artifacts log --exclude '*.tmp'`), matched against the
 * relative POSIX paths of the files found (`weights/model.pt`). The rules are .gitignore's:
 * - `*` is any run of characters but `/`, `?` one character but `/`, `[abc]` / `[a-z]` / `[!a]` one
 *   of a set, `{a,b}` either word, `**` any run including `/` (`**` alone as a segment: any folders);
 * - a pattern without `/` (`*.tmp`, `.DS_Store`) matches a name in any folder;
 * - a pattern that matches a folder (`logs`, `data/raw`) matches everything in it;
 * - a leading `./` or `/` anchors nothing more (paths are already relative to the logged folder).
 * Node's `path.matchesGlob` is experimental on Node 20 (it prints a warning), so this is our own.
 */
import { ArtifactError } from "../errors.js";

/** The filter of a log. */
export interface PathFilterOptions {
  /** Log only files that match at least one of these globs. @default every file */
  include?: readonly string[] | undefined;
  /** Leave out files that match any of these globs (wins over `include`). @default none */
  exclude?: readonly string[] | undefined;
}

/** A predicate over relative POSIX paths; undefined when there is nothing to filter. */
export function createPathFilter(options: PathFilterOptions): ((path: string) => boolean) | undefined {
  const include = compileAll(options.include, "include");
  const exclude = compileAll(options.exclude, "exclude");
  if (include === undefined && exclude === undefined) return undefined;
  return (path) => (include === undefined || include(path)) && !(exclude?.(path) ?? false);
}

/** Whether `path` matches `glob` under the rules above. */
export function matchesGlob(path: string, glob: string): boolean {
  return compile(glob, "glob")(path);
}

function compileAll(globs: unknown, option: string): ((path: string) => boolean) | undefined {
  if (globs === undefined) return undefined;
  if (!Array.isArray(globs)) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`${option}\` option to be an array of glob strings, got \`${typeof globs}\``,
    );
  }
  if (globs.length === 0) return undefined;
  const matchers = globs.map((glob) => compile(glob, option));
  return (path) => matchers.some((match) => match(path));
}

function compile(glob: unknown, option: string): (path: string) => boolean {
  if (typeof glob !== "string" || glob.trim() === "") {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected each \`${option}\` glob to be a non-empty string, got \`${JSON.stringify(glob)}\``,
    );
  }
  const pattern = glob.replace(/^(\.\/|\/)+/, "").replace(/\/+$/, "");
  const anyFolder = !pattern.includes("/");
  const regex = new RegExp(
    `^${anyFolder ? "(?:.*/)?" : ""}${translate(pattern, glob, option)}(?:/.*)?$`,
    "s",
  );
  return (path) => regex.test(path);
}

/** The regular expression source of a glob (without anchors). */
function translate(pattern: string, glob: string, option: string): string {
  let out = "";
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        const segment =
          (i === 0 || pattern[i - 1] === "/") && (i + 2 === pattern.length || pattern[i + 2] === "/");
        i++;
        if (segment && pattern[i + 1] === "/") {
          out += "(?:.*/)?"; // `**/`: zero or more folders
          i++;
        } else out += ".*";
      } else out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end === -1) throw badGlob(glob, option, "a '[' without its ']'");
      const set = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
      out += set.startsWith("!") ? `[^/${set.slice(1)}]` : `[${set}]`;
      i = end;
    } else if (c === "{") {
      braces++;
      out += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      out += ")";
    } else if (c === "," && braces > 0) out += "|";
    else out += c.replace(/[.+^$()|\\{}\]]/g, "\\$&");
  }
  if (braces > 0) throw badGlob(glob, option, "a '{' without its '}'");
  return out;
}

function badGlob(glob: string, option: string, why: string): ArtifactError {
  return new ArtifactError("INVALID_ARGUMENT", `\`${option}\` glob '${glob}' has ${why}`);
}
