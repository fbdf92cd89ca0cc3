/**
 * The W&B artifact manifest (version 1) and its two digests (PROTOCOL.md section 3): the artifact
 * digest (hex md5 over sorted `path:digest` lines) and the manifest digest (base64 md5 of the bytes).
 */

import { createHash } from "node:crypto";
import { ArtifactError } from "../../errors.js";
import { compareCodePoints } from "../../util/compare.js";

/** One `contents` entry. Unknown keys are kept when parsing and ignored. */
export interface ManifestEntry {
  /** base64 md5 of the bytes (for references: an ETag or URI). */
  digest: string;
  birthArtifactID?: string;
  size?: number;
  /** Reference URI: the bytes are not stored by W&B. */
  ref?: string;
  /** Handler data of a reference, e.g. `versionID` (S3 version, GCS generation, Azure version). */
  extra?: { versionID?: unknown; etag?: unknown; [key: string]: unknown };
}

/** A version-1 manifest. */
export interface WandbManifest {
  version: 1;
  storagePolicy: "wandb-storage-policy-v1";
  storagePolicyConfig: { storageLayout?: "V1" | "V2"; storageRegion?: string };
  contents: Record<string, ManifestEntry>;
}

/** `md5("wandb-artifact-manifest-v1\n" + "path:digest\n"…)` in hex, entries sorted by code point. */
export function artifactDigest(entries: Iterable<{ path: string; digest: string }>): string {
  const sorted = [...entries].sort((a, b) => compareCodePoints(a.path, b.path));
  const hash = createHash("md5").update("wandb-artifact-manifest-v1\n", "utf8");
  for (const entry of sorted) hash.update(`${entry.path}:${entry.digest}\n`, "utf8");
  return hash.digest("hex");
}

/** The base64 md5 of `bytes` (file digests and the manifest digest). */
export function md5Base64(bytes: Uint8Array | string): string {
  return createHash("md5").update(bytes).digest("base64");
}

/** Builds a manifest with entries in code point order. */
export function buildManifest(entries: Iterable<ManifestEntry & { path: string }>): WandbManifest {
  const contents: Record<string, ManifestEntry> = {};
  for (const e of [...entries].sort((a, b) => compareCodePoints(a.path, b.path))) {
    contents[e.path] = {
      digest: e.digest,
      ...(e.birthArtifactID === undefined ? {} : { birthArtifactID: e.birthArtifactID }),
      ...(e.ref === undefined ? {} : { ref: e.ref }),
      ...(e.size === undefined ? {} : { size: e.size }),
      ...(e.extra === undefined ? {} : { extra: e.extra }),
    };
  }
  return {
    version: 1,
    storagePolicy: "wandb-storage-policy-v1",
    storagePolicyConfig: { storageLayout: "V2" },
    contents,
  };
}

/** The exact bytes we upload (compact JSON) and their manifest digest. */
export function serializeManifest(manifest: WandbManifest): { bytes: Buffer; digest: string } {
  const bytes = Buffer.from(JSON.stringify(manifest), "utf8");
  return { bytes, digest: md5Base64(bytes) };
}

/** Parses and checks a downloaded manifest; throws `UNEXPECTED` for anything but version 1. */
export function parseManifest(text: string, where: string): WandbManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ArtifactError("UNEXPECTED", `the W&B manifest of ${where} is not JSON`, { cause });
  }
  const manifest = value as Partial<WandbManifest> | null;
  if (manifest?.version !== 1 || typeof manifest.contents !== "object" || manifest.contents === null) {
    throw new ArtifactError(
      "UNSUPPORTED",
      `the W&B manifest of ${where} has version ${JSON.stringify(manifest?.version)}; only version 1 is supported`,
    );
  }
  const seen = new Map<string, string>();
  for (const [path, entry] of Object.entries(manifest.contents)) {
    if (typeof entry?.digest !== "string") {
      throw new ArtifactError("UNEXPECTED", `the W&B manifest of ${where} has no digest for '${path}'`);
    }
    // `a` and `./a` would both be written to `to/a`: one would silently replace the other (issue 18.11)
    const normal = normalPath(path);
    const other = seen.get(normal);
    if (other !== undefined) {
      throw new ArtifactError(
        "UNEXPECTED",
        `the W&B manifest of ${where} has both ${JSON.stringify(other)} and ${JSON.stringify(path)}, which are the same file '${normal}'; refusing it rather than keeping one of them`,
        { context: { backend: "wandb", operation: "download", key: normal } },
      );
    }
    seen.set(normal, path);
  }
  return manifest as WandbManifest;
}

/** A manifest path as it lands on disk: `.` segments and empty segments dropped (`./a//b` is `a/b`). */
function normalPath(path: string): string {
  return path
    .split("/")
    .filter((segment) => segment !== "." && segment !== "")
    .join("/");
}
