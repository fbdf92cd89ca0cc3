/** The key of a cached file: its content digest, by the algorithm the store recorded it with. */

/** Digest algorithms the cache files files under (one folder each). */
export type CacheAlgorithm = "sha256" | "md5" | "xxh128";

/** A file's content digest, in lowercase hex. */
export interface CacheKey {
  algorithm: CacheAlgorithm;
  hex: string;
}

const HEX_LENGTH: Record<CacheAlgorithm, number> = { sha256: 64, md5: 32, xxh128: 32 };

/**
 * The cache key of a recorded digest, hex or base64 (W&B records md5 as base64); `undefined` when the
 * digest is missing or not a well-formed digest of `algorithm` (such a file is downloaded uncached).
 */
export function cacheKeyOf(algorithm: CacheAlgorithm, digest: string | undefined): CacheKey | undefined {
  if (digest === undefined) return undefined;
  const length = HEX_LENGTH[algorithm];
  if (digest.length === length && /^[0-9a-fA-F]+$/.test(digest))
    return { algorithm, hex: digest.toLowerCase() };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(digest)) return undefined;
  const hex = Buffer.from(digest, "base64").toString("hex");
  return hex.length === length ? { algorithm, hex } : undefined;
}
