/**
 * W&B's two digest algorithms (SDK >= 0.29): MD5 (the default) and XXH128. A manifest entry tagged
 * `extra.alg: "XXH128"` holds the base64 of the 16-byte xxh3-128 digest (canonical, big-endian, as
 * Python's `xxhash.xxh128().digest()`); untagged entries are md5. An artifact logged with
 * `digestAlgorithm: MANIFEST_XXH128` has its artifact digest as hex xxh3-128 over the same
 * `wandb-artifact-manifest-v1\n` + sorted `path:digest\n` lines the md5 digest uses.
 */
import { createHash } from "node:crypto";
import { createXXHash128 } from "hash-wasm";
import { ArtifactError } from "../../errors.js";
import { compareCodePoints } from "../../util/compare.js";
import type { ManifestEntry } from "./manifest.js";

/** A manifest entry's algorithm (`extra.alg`). */
export type EntryDigestAlgorithm = "MD5" | "XXH128";
/** The server's `ArtifactDigestAlgorithm` of an artifact or a sequence. */
export type ArtifactDigestAlgorithm = "MANIFEST_MD5" | "MANIFEST_XXH128";

/** The algorithm of an entry's digest; `UNSUPPORTED` for a tag we cannot check (never a silent md5). */
export function entryAlgorithm(entry: ManifestEntry, where: string): EntryDigestAlgorithm {
  const alg = entry.extra?.alg;
  if (alg === undefined || alg === "MD5") return "MD5";
  if (alg === "XXH128") return "XXH128";
  throw new ArtifactError(
    "UNSUPPORTED",
    `${where} has digest algorithm ${JSON.stringify(alg)}; only MD5 and XXH128 are supported`,
    { context: { backend: "wandb", operation: "digest" } },
  );
}

/** The entry algorithm an artifact algorithm tags its files with. */
export function entryAlgorithmOf(algorithm: ArtifactDigestAlgorithm): EntryDigestAlgorithm {
  return algorithm === "MANIFEST_XXH128" ? "XXH128" : "MD5";
}

/** Base64 digests of streamed bytes: md5 always, xxh3-128 when asked. */
export interface ContentDigests {
  md5: string;
  xxh128?: string | undefined;
}

/** Hashes chunks with md5 and, when `xxh128`, with xxh3-128 in the same pass. */
export class ContentHasher {
  readonly #md5 = createHash("md5");
  readonly #xxh: Awaited<ReturnType<typeof createXXHash128>> | undefined;

  private constructor(xxh: Awaited<ReturnType<typeof createXXHash128>> | undefined) {
    this.#xxh = xxh;
  }

  static async create(xxh128: boolean): Promise<ContentHasher> {
    return new ContentHasher(xxh128 ? (await createXXHash128()).init() : undefined);
  }

  update(chunk: Uint8Array): void {
    this.#md5.update(chunk);
    this.#xxh?.update(chunk);
  }

  digests(): ContentDigests {
    const md5 = this.#md5.digest("base64");
    if (this.#xxh === undefined) return { md5 };
    return { md5, xxh128: Buffer.from(this.#xxh.digest("binary")).toString("base64") };
  }
}

/** The digest of `algorithm` out of `got` (hashed with `xxh128` when the entry is XXH128). */
export function digestFor(got: ContentDigests, algorithm: EntryDigestAlgorithm): string {
  if (algorithm === "MD5") return got.md5;
  if (got.xxh128 === undefined) throw new Error("xxh128 was not computed"); // a bug, never input
  return got.xxh128;
}

/** The artifact digest in hex: md5 or xxh3-128 over the header and sorted `path:digest` lines. */
export async function artifactDigestWith(
  entries: Iterable<{ path: string; digest: string }>,
  algorithm: ArtifactDigestAlgorithm,
): Promise<string> {
  const sorted = [...entries].sort((a, b) => compareCodePoints(a.path, b.path));
  const text = `wandb-artifact-manifest-v1\n${sorted.map((e) => `${e.path}:${e.digest}\n`).join("")}`;
  if (algorithm === "MANIFEST_MD5") return createHash("md5").update(text, "utf8").digest("hex");
  return (await createXXHash128()).init().update(text).digest("hex");
}
