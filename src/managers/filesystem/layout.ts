/** Where store format v1 keeps things (../shared/STORE-FORMAT.md). All keys are relative to the root. */
import { formatVersion } from "../../core/names.js";

/** `c/n/` */
export function artifactPrefix(collection: string, name: string): string {
  return `${collection}/${name}/`;
}

/** `c/n/v<N>/`: the version's files, exactly as logged. */
export function versionPrefix(collection: string, name: string, n: number): string {
  return `${artifactPrefix(collection, name)}${formatVersion(n)}/`;
}

/** `c/n/meta/` */
export function metaPrefix(collection: string, name: string): string {
  return `${artifactPrefix(collection, name)}meta/`;
}

/** `c/n/meta/versions/`: records and claims. */
export function versionsPrefix(collection: string, name: string): string {
  return `${metaPrefix(collection, name)}versions/`;
}

/** `c/n/meta/versions/v<N>.json`: the commit record. */
export function recordKey(collection: string, name: string, n: number): string {
  return `${versionsPrefix(collection, name)}${formatVersion(n)}.json`;
}

/** `c/n/meta/versions/v<N>.claim`: reserves N before any upload. */
export function claimKey(collection: string, name: string, n: number): string {
  return `${versionsPrefix(collection, name)}${formatVersion(n)}.claim`;
}

/** `c/n/meta/readme.txt`: description of the latest log (for Python scaffold). */
export function readmeKey(collection: string, name: string): string {
  return `${metaPrefix(collection, name)}readme.txt`;
}

/** `c/n/meta/aliases/` */
export function aliasesPrefix(collection: string, name: string): string {
  return `${metaPrefix(collection, name)}aliases/`;
}

/** `c/n/meta/aliases/<alias>.json` */
export function aliasKey(collection: string, name: string, alias: string): string {
  return `${aliasesPrefix(collection, name)}${alias}.json`;
}

/** `c/n/meta/staging/`: files staged before an atomic rename into `v<N>/`. */
export function stagingRoot(collection: string, name: string): string {
  return `${metaPrefix(collection, name)}staging/`;
}

/** `c/n/meta/staging/<id>/` for one upload; the id starts with a timestamp so GC can age it. */
export function stagingPrefix(collection: string, name: string, id: string): string {
  return `${stagingRoot(collection, name)}${id}/`;
}
