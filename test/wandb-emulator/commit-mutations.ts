/**
 * commitArtifact (checks the manifest bytes against their digest and the bytes of every file it stores,
 * not of references; then assigns the version and moves the aliases), updateArtifact (alias list,
 * description, metadata), useArtifact.
 */
import { createHash } from "node:crypto";
import { createXXHash128 } from "hash-wasm";
import type { EmulatorContext } from "./context.js";
import { md5b64, parseJson, pending } from "./log-mutations.js";
import { type DigestAlgorithm, type EmuArtifact, type EmuEntry, EmulatorError } from "./model.js";
import { artifactView } from "./views.js";

export async function commitArtifact({ input }: { input: { artifactID: string } }, ctx: EmulatorContext) {
  const found = ctx.state.artifact(input.artifactID);
  if (found.state === "COMMITTED") return { artifact: artifactView(ctx, found) };
  const artifact = pending(ctx, input.artifactID);
  const manifest = artifact.manifest;
  if (!manifest?.bytes) throw new EmulatorError(400, `artifact ${artifact.id} has no uploaded manifest`);
  const got = md5b64(manifest.bytes);
  if (got !== manifest.digest) {
    throw new EmulatorError(
      400,
      `invalid artifact manifest digest:id ${artifact.id} expected ${manifest.digest}, got ${got}`,
    );
  }
  const entries = manifestEntries(manifest.bytes);
  for (const [path, entry] of entries) {
    if (entry.ref !== undefined) continue; // references are not stored
    const blob = ctx.state.blobs.get(ctx.state.blobKeyOf(artifact.sequence.project, entry.digest));
    if (!blob) {
      throw new EmulatorError(
        400,
        `file '${path}' (${entry.digest}) of artifact ${artifact.id} was never uploaded`,
      );
    }
    const alg = entry.extra?.alg ?? "MD5";
    const got = alg === "XXH128" ? await xxh128Base64(blob.bytes) : md5b64(blob.bytes);
    if (got !== entry.digest) {
      throw new EmulatorError(400, `file '${path}' has ${alg} ${got}, the manifest says ${entry.digest}`);
    }
  }
  const digest = await artifactDigest(entries, artifact.digestAlgorithm);
  if (digest !== artifact.digest) {
    throw new EmulatorError(
      400,
      `artifact digest ${artifact.digest} does not match its manifest (${digest})`,
    );
  }
  const sequence = artifact.sequence;
  artifact.versionIndex = sequence.versions.length;
  sequence.versions.push(artifact);
  artifact.state = "COMMITTED";
  artifact.entries = entries;
  artifact.size = [...entries.values()].reduce((sum, e) => sum + e.size, 0);
  for (const alias of artifact.pendingAliases) sequence.aliases.set(alias, artifact);
  return { artifact: artifactView(ctx, artifact) };
}

function manifestEntries(bytes: Buffer): Map<string, EmuEntry> {
  const manifest = parseJson(bytes.toString("utf8"), "the manifest") as {
    version?: number;
    contents?: Record<string, EmuEntry>;
  };
  if (manifest.version !== 1 || typeof manifest.contents !== "object") {
    throw new EmulatorError(400, "the manifest is not a version 1 manifest");
  }
  return new Map(Object.entries(manifest.contents).map(([path, e]) => [path, { ...e, size: e.size ?? 0 }]));
}

/**
 * Computed independently of the client: md5 (or xxh3-128 for MANIFEST_XXH128) over sorted
 * `path:digest` lines, in hex (PROTOCOL.md 3.3).
 */
async function artifactDigest(entries: Map<string, EmuEntry>, algorithm: DigestAlgorithm): Promise<string> {
  const paths = [...entries.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const text = `wandb-artifact-manifest-v1\n${paths.map((p) => `${p}:${entries.get(p)?.digest}\n`).join("")}`;
  if (algorithm === "MANIFEST_MD5") return createHash("md5").update(text).digest("hex");
  const hasher = await createXXHash128();
  return hasher.init().update(text).digest("hex");
}

async function xxh128Base64(bytes: Buffer): Promise<string> {
  const hasher = await createXXHash128();
  return Buffer.from(hasher.init().update(bytes).digest("binary")).toString("base64");
}

interface UpdateInput {
  artifactID: string;
  description?: string | null;
  metadata?: string | null;
  aliases?: Array<{ alias: string; artifactCollectionName: string }> | null;
}

export function updateArtifact({ input }: { input: UpdateInput }, ctx: EmulatorContext) {
  const artifact = ctx.state.artifact(input.artifactID);
  if (input.description !== undefined) artifact.description = input.description;
  if (input.metadata !== undefined && input.metadata !== null) parseJson(input.metadata, "metadata");
  if (input.metadata !== undefined) artifact.metadata = input.metadata;
  if (input.aliases != null)
    setAliases(
      ctx,
      artifact,
      input.aliases.map((a) => a.alias),
    );
  return { artifact: artifactView(ctx, artifact) };
}

/** Makes `aliases` exactly the aliases of `artifact` in its sequence (moving them from other versions). */
function setAliases(ctx: EmulatorContext, artifact: EmuArtifact, aliases: string[]) {
  for (const alias of aliases) ctx.state.checkAlias(artifact, alias);
  const map = artifact.sequence.aliases;
  for (const [alias, holder] of map) if (holder === artifact && !aliases.includes(alias)) map.delete(alias);
  for (const alias of aliases) map.set(alias, artifact);
}

export function useArtifact({ input }: { input: { artifactID: string } }, ctx: EmulatorContext) {
  const artifact = ctx.state.artifact(input.artifactID);
  if (artifact.state !== "COMMITTED") {
    throw new EmulatorError(400, `cannot use artifact ${artifact.id} as it has not committed`);
  }
  return { artifact: artifactView(ctx, artifact) };
}
