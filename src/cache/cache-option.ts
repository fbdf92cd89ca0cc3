/** The `cache` option of the manager constructors, and which cache a download uses. */
import { ArtifactError } from "../errors.js";
import { DownloadCache, type DownloadCacheOptions } from "./download-cache.js";

/**
 * The `cache` option of a manager: `false` (never), `true` (the default cache, on every store), a
 * folder and cap (`{ dir, maxBytes }`, on every store) or a ready {@link DownloadCache}.
 * Left out: the default cache for object stores and W&B, none for local folders and `memory://` (a
 * copy from the cache is no faster than one from the store), and none at all when the environment says
 * `ARTIFACTS_CACHE=off` (or `0`, `false`, `no`).
 */
export type CacheOption = boolean | DownloadCacheOptions | DownloadCache;

/** Picks a download's cache from the manager's `cache` option, created on first use. */
export class CacheChoice {
  readonly #option: CacheOption | undefined;
  #cache: DownloadCache | undefined;

  constructor(option: CacheOption | undefined) {
    if (
      option !== undefined &&
      typeof option !== "boolean" &&
      !(option instanceof DownloadCache) &&
      (typeof option !== "object" || option === null || Array.isArray(option))
    ) {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `Expected the \`cache\` option to be true, false, { dir, maxBytes } or a DownloadCache, got \`${String(option)}\``,
      );
    }
    if (typeof option === "object" && !(option instanceof DownloadCache)) new DownloadCache(option); // validates now
    this.#option = option;
  }

  /**
   * The cache for one download: none when the call says `cache: false`, the manager says `false`, or
   * the store is local and the manager did not ask for a cache. `callOption` must be a boolean or undefined.
   */
  for(callOption: unknown, remoteStore: boolean): DownloadCache | undefined {
    if (callOption !== undefined && typeof callOption !== "boolean") {
      throw new ArtifactError(
        "INVALID_ARGUMENT",
        `Expected the \`cache\` option of a download to be true or false, got \`${String(callOption)}\``,
      );
    }
    const option = this.#option;
    if (callOption === false || option === false) return undefined;
    if (option === undefined && (!remoteStore || cacheOffByEnv())) return undefined;
    if (option instanceof DownloadCache) return option;
    this.#cache ??= new DownloadCache(typeof option === "object" ? option : {});
    return this.#cache;
  }

  /**
   * The cache folder that also keeps the hashes of logged files (hash-record.ts), on every store:
   * undefined when the manager says `cache: false`, or says nothing and `ARTIFACTS_CACHE` is off.
   */
  hashRecordDir(): string | undefined {
    const option = this.#option;
    if (option === false || (option === undefined && cacheOffByEnv())) return undefined;
    if (option instanceof DownloadCache) return option.dir;
    this.#cache ??= new DownloadCache(typeof option === "object" ? option : {});
    return this.#cache.dir;
  }
}

/** `ARTIFACTS_CACHE=off|0|false|no` turns the default cache off; `on|1|true|yes` or unset leaves it on. */
function cacheOffByEnv(): boolean {
  const value = (process.env.ARTIFACTS_CACHE ?? "").trim().toLowerCase();
  if (["", "on", "1", "true", "yes"].includes(value)) return false;
  if (["off", "0", "false", "no"].includes(value)) return true;
  throw new ArtifactError(
    "INVALID_ARGUMENT",
    `ARTIFACTS_CACHE is '${process.env.ARTIFACTS_CACHE}': set it to off (no download cache) or on`,
  );
}
