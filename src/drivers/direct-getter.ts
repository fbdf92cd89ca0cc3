/**
 * The HTTP client of the drivers' direct object reads (s3-direct-client.ts, gcs-media.ts,
 * azure-direct-reader.ts): one GET → {@link ZeroCopyAnswer} interface, made by a factory the cloud
 * benchmark may swap to run the same driver download path on another client (bench/cloud.ts
 * `--http-clients`).
 */
import type { ZeroCopyAnswer, ZeroCopyGetterOptions } from "./zero-copy-get.js";
import { ZeroCopyGetter } from "./zero-copy-get.js";

/** GETs to one origin on kept connections. */
export interface DirectGetter {
  get(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<ZeroCopyAnswer>;
  close(): void;
}

export type DirectGetterFactory = (origin: string | URL, options?: ZeroCopyGetterOptions) => DirectGetter;

const defaultFactory: DirectGetterFactory = (origin, options) => new ZeroCopyGetter(origin, options);
let factory = defaultFactory;

/** A getter for `origin`, from the factory in force now. */
export function directGetter(origin: string | URL, options?: ZeroCopyGetterOptions): DirectGetter {
  return factory(origin, options);
}

/**
 * Makes the direct readers built from now on use getters of `make` (undefined: the default). For
 * benchmarks and tests: readers already built keep theirs.
 */
export function useDirectGetters(make: DirectGetterFactory | undefined): void {
  factory = make ?? defaultFactory;
}
