/**
 * The emulator's object storage behind the signed URLs: PUT checks `Content-MD5` (and that the bytes
 * are the ones the URL was issued for), GET serves blobs and manifests. No W&B auth on either.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Faults } from "./faults.js";
import type { EmulatorState } from "./model.js";
import type { UploadTarget, UrlSigner } from "./signed-urls.js";

/** Serves one storage request. */
export async function handleStorage(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { state: EmulatorState; signer: UrlSigner; faults: Faults },
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const hop = Number(/^\/storage\/hop-(\d+)\//.exec(url.pathname)?.[1] ?? 0);
  if (hop > 0) url.pathname = url.pathname.replace(/^\/storage\/hop-\d+\//, "/storage/");
  if (req.method === "GET" && hop < deps.faults.downloadRedirects) {
    const next = url.pathname.replace(/^\/storage\//, `/storage/hop-${hop + 1}/`);
    const location =
      hop % 2 === 0 ? `${next}${url.search}` : `http://${req.headers.host}${next}${url.search}`;
    deps.faults.record({
      kind: "download",
      operation: "redirect",
      status: hop % 2 === 0 ? 302 : 307,
      faulted: false,
    });
    return void res.writeHead(hop % 2 === 0 ? 302 : 307, { location }).end();
  }
  const kind = req.method === "PUT" ? "upload" : "download";
  const checked = deps.signer.check(req.method ?? "GET", url);
  // recorded as the operation: "file" / "manifest" / "part" uploads, "blob" / "manifest" downloads
  const operation = checked.ok ? (checked.upload?.kind ?? checked.kind) : undefined;
  const fault = deps.faults.take(kind, operation);
  const reply = (status: number, body: string | Buffer = "", headers: Record<string, string> = {}) => {
    deps.faults.record({ kind, ...(operation ? { operation } : {}), status, faulted: fault !== undefined });
    res.writeHead(status, headers).end(body);
  };
  if (fault?.status !== undefined) {
    req.resume();
    return reply(fault.status, "injected fault", fault.retryAfter ? { "retry-after": fault.retryAfter } : {});
  }
  if (!checked.ok) return reply(checked.status, checked.why);
  if (req.method === "PUT" && checked.upload) {
    const ended = deps.faults.uploadStarted(Number(req.headers["content-length"] ?? 0));
    try {
      const body = await readBody(req, fault?.cutAfterBytes);
      if (body === undefined)
        return deps.faults.record({ kind, ...(operation ? { operation } : {}), status: 0, faulted: true });
      if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      return storeUpload(checked.upload, body, req, deps.state, reply, deps.faults.dropPartEtags);
    } finally {
      ended();
    }
  }
  if (req.method !== "GET") return reply(405, "MethodNotAllowed");
  const bytes =
    checked.kind === "blob"
      ? deps.state.blobs.get(checked.key ?? "")?.bytes
      : deps.state.artifacts.get(checked.key ?? "")?.manifest?.bytes;
  if (!bytes) return reply(404, "NoSuchKey");
  if (fault?.cutAfterBytes !== undefined) {
    deps.faults.record({ kind, ...(operation ? { operation } : {}), status: 0, faulted: true });
    res.writeHead(200, { "content-length": String(bytes.length) });
    res.write(bytes.subarray(0, fault.cutAfterBytes));
    return void setTimeout(() => res.destroy(), 10);
  }
  reply(200, bytes, { "content-type": "application/octet-stream" });
}

/** Reads the body; with `cutAfter`, destroys the connection once that many bytes arrived. */
async function readBody(req: IncomingMessage, cutAfter: number | undefined): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
    received += (chunk as Buffer).length;
    if (cutAfter !== undefined && received >= cutAfter) {
      req.socket.destroy();
      return undefined;
    }
  }
  return Buffer.concat(chunks);
}

function storeUpload(
  target: UploadTarget,
  body: Buffer,
  req: IncomingMessage,
  state: EmulatorState,
  reply: (status: number, body?: string, headers?: Record<string, string>) => void,
  dropPartEtags = false,
) {
  const md5 = createHash("md5").update(body).digest();
  const contentMd5 = req.headers["content-md5"];
  if (contentMd5 !== undefined && contentMd5 !== md5.toString("base64"))
    return reply(400, "BadDigest: Content-MD5");
  if (target.kind === "file") {
    if (md5.toString("base64") !== target.md5)
      return reply(400, "BadDigest: not the bytes this URL was signed for");
    const birth = state.artifacts.get(target.artifactId);
    if (birth && !state.blobs.has(target.blobKey)) state.blobs.set(target.blobKey, { bytes: body, birth });
    return reply(200);
  }
  if (target.kind === "run-file") {
    target.files.set(target.name, body);
    return reply(200);
  }
  if (target.kind === "manifest") {
    const artifact = state.artifacts.get(target.artifactId);
    if (!artifact?.manifest || artifact.state !== "PENDING") return reply(409, "the artifact is not pending");
    artifact.manifest.bytes = body;
    return reply(200);
  }
  const upload = state.multiparts.get(target.uploadID);
  const part = upload?.parts.get(target.partNumber);
  if (!part) return reply(404, "NoSuchUpload");
  if (contentMd5 === undefined) return reply(400, "a part needs Content-MD5");
  if (md5.toString("hex") !== part.hexMD5)
    return reply(400, "BadDigest: part md5 differs from uploadPartsInput");
  part.bytes = body;
  part.etag = `"${md5.toString("hex")}"`;
  reply(200, "", dropPartEtags ? {} : { etag: part.etag });
}
