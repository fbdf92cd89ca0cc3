/**
 * createArtifactFiles (dedup: `uploadUrl: null` when the project already stores the bytes; answers in
 * request order) and completeMultipartUploadArtifact (PROTOCOL.md 2.4 C-D, 7).
 */
import { createHash, randomUUID } from "node:crypto";
import type { EmulatorContext } from "./context.js";
import { pending } from "./log-mutations.js";
import { EmulatorError } from "./model.js";
import { fileView } from "./views.js";

interface FileSpec {
  artifactID: string;
  name: string;
  md5: string;
  /** (SDK 0.30) the manifest digest when it is not the md5 (XXH128); absent or equal otherwise. */
  digest?: string | null;
  uploadPartsInput?: Array<{ partNumber: number; hexMD5: string }> | null;
}

export function createArtifactFiles(
  { input }: { input: { artifactFiles: FileSpec[]; storageLayout: string } },
  ctx: EmulatorContext,
) {
  const edges = input.artifactFiles.map((spec) => ({ node: fileNode(ctx, spec) }));
  return { files: { totalCount: edges.length, edges, pageInfo: { hasNextPage: false, endCursor: null } } };
}

function fileNode(ctx: EmulatorContext, spec: FileSpec) {
  const artifact = pending(ctx, spec.artifactID);
  const project = artifact.sequence.project;
  // wandb-core sends md5 "" for a multipart file of an XXH128 artifact: the digest names the bytes then
  const multipartWithoutMd5 = spec.md5 === "" && !!spec.uploadPartsInput?.length && !!spec.digest;
  if (!multipartWithoutMd5 && Buffer.from(spec.md5, "base64").length !== 16) {
    throw new EmulatorError(400, `md5 of '${spec.name}' is not a base64 md5: ${spec.md5}`);
  }
  const blobKey = ctx.state.blobKey(project, multipartWithoutMd5 ? (spec.digest as string) : spec.md5);
  if (spec.digest && spec.digest !== spec.md5)
    ctx.state.digestKeys.set(ctx.state.blobKey(project, spec.digest), blobKey);
  const stored = ctx.state.blobs.get(blobKey);
  const base = fileView(ctx, {
    name: spec.name,
    artifact: stored?.birth ?? artifact,
    size: stored?.bytes.length ?? 0,
  });
  const storagePath = `${project.entity}/${Buffer.from(spec.md5 || (spec.digest ?? ""), "base64").toString("hex")}`;
  if (stored) return { ...base, storagePath, uploadUrl: null, uploadHeaders: [], uploadMultipartUrls: null };
  if (spec.uploadPartsInput?.length) {
    const uploadID = randomUUID();
    const parts = new Map(spec.uploadPartsInput.map((p) => [Number(p.partNumber), { hexMD5: p.hexMD5 }]));
    ctx.state.multiparts.set(uploadID, {
      uploadID,
      storagePath,
      blobKey,
      md5: spec.md5,
      birth: artifact,
      parts,
    });
    const uploadUrlParts = [...parts.keys()].map((partNumber) => ({
      partNumber,
      uploadUrl: ctx.signer.uploadUrl({ kind: "part", uploadID, partNumber }),
    }));
    return {
      ...base,
      storagePath,
      uploadUrl: null,
      uploadHeaders: ["Content-Type:application/octet-stream"],
      uploadMultipartUrls: { uploadID, uploadUrlParts },
    };
  }
  const uploadUrl = ctx.signer.uploadUrl({ kind: "file", blobKey, md5: spec.md5, artifactId: artifact.id });
  const uploadHeaders = [`Content-MD5:${spec.md5}`, "Content-Type:application/octet-stream"];
  return { ...base, storagePath, uploadUrl, uploadHeaders, uploadMultipartUrls: null };
}

interface CompleteInput {
  completedParts: Array<{ partNumber: number; hexMD5: string }>;
  artifactID: string;
  storagePath: string;
  uploadID: string;
}

export function completeMultipartUploadArtifact({ input }: { input: CompleteInput }, ctx: EmulatorContext) {
  const upload = ctx.state.multiparts.get(input.uploadID);
  if (!upload || upload.storagePath !== input.storagePath || upload.birth.id !== input.artifactID) {
    throw new EmulatorError(404, `no multipart upload ${input.uploadID} at ${input.storagePath}`);
  }
  const chunks: Buffer[] = [];
  const numbers = input.completedParts.map((p) => Number(p.partNumber));
  if (numbers.some((n, i) => i > 0 && n <= (numbers[i - 1] ?? 0)) || numbers.length !== upload.parts.size) {
    throw new EmulatorError(400, "InvalidPartOrder: give every part once, in ascending order");
  }
  for (const part of input.completedParts) {
    const stored = upload.parts.get(Number(part.partNumber));
    if (!stored?.bytes || stored.etag !== part.hexMD5) {
      throw new EmulatorError(
        400,
        `InvalidPart: part ${part.partNumber} was not uploaded or its ETag differs`,
      );
    }
    chunks.push(stored.bytes);
  }
  const bytes = Buffer.concat(chunks);
  const md5 = createHash("md5").update(bytes).digest("base64");
  if (upload.md5 !== "" && md5 !== upload.md5)
    throw new EmulatorError(400, `BadDigest: assembled md5 ${md5}, expected ${upload.md5}`);
  ctx.state.blobs.set(upload.blobKey, { bytes, birth: upload.birth });
  ctx.state.multiparts.delete(upload.uploadID);
  return { digest: md5 };
}
