/**
 * Uploads of the GCS fake: `uploadType=media`, `multipart` (multipart/related: JSON metadata + media)
 * and `resumable` sessions whose chunks arrive by PUT or POST with `Content-Range`, answered with 308
 * (or 200 + `X-Http-Status-Code-Override: 308` when the client sends `X-GUploader-No-308: yes`, as the
 * Go client behind rclone does). https://cloud.google.com/storage/docs/performing-resumable-uploads
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable, Transform } from "node:stream";
import { type BodyHasher, FakeGcsError, type FakeGcsStore, type FakeObject } from "./gcs-fake-store.js";

/** Metadata sent with an upload. */
interface UploadMeta {
  name?: string;
  contentType?: string;
  metadata?: Record<string, string>;
  /** The client's crc32c of the bytes (base64): checked against what arrived, as GCS does. */
  crc32c?: string;
}

/** An open resumable session. */
interface Session {
  bucket: string;
  name: string;
  meta: UploadMeta;
  ifGenerationMatch: string | null;
  file: string;
  /** Bytes of whole chunks received; the hashes are theirs. */
  received: number;
  hasher: BodyHasher;
}

/** Handles every request under /upload/storage/v1/b/{bucket}/o. */
export class FakeGcsUploads {
  readonly #sessions = new Map<string, Session>();

  constructor(
    readonly store: FakeGcsStore,
    /** Where resumable sessions continue (the Host the client used, so proxies stay in the path). */
    readonly baseUrl: (req: IncomingMessage) => string,
  ) {}

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: string,
    query: URLSearchParams,
  ): Promise<FakeObject | null> {
    const uploadId = query.get("upload_id");
    if (uploadId !== null) return this.#chunk(req, res, uploadId);
    const type = query.get("uploadType") ?? "media";
    this.store.bucket(bucket);
    const ifGen = query.get("ifGenerationMatch");
    if (type === "media") {
      const name = requireName(query.get("name"));
      this.store.checkPrecondition(bucket, name, ifGen);
      const staged = await this.store.stageWhole(req);
      const meta = { contentType: req.headers["content-type"] ?? "application/octet-stream" };
      return this.store.commit(bucket, name, staged, meta, ifGen);
    }
    if (type === "multipart") return this.#multipart(req, bucket, query, ifGen);
    if (type === "resumable") {
      const meta = JSON.parse((await readBody(req)).toString("utf8") || "{}") as UploadMeta;
      const name = requireName(query.get("name") ?? meta.name ?? null);
      this.store.checkPrecondition(bucket, name, ifGen);
      const id = randomBytes(16).toString("hex");
      const contentType = req.headers["x-upload-content-type"];
      if (typeof contentType === "string" && !meta.contentType) meta.contentType = contentType;
      this.#sessions.set(id, {
        bucket,
        name,
        meta,
        ifGenerationMatch: ifGen,
        file: this.store.tempFile(),
        received: 0,
        hasher: this.store.hasher(),
      });
      res.setHeader(
        "Location",
        `${this.baseUrl(req)}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&upload_id=${id}`,
      );
      res.writeHead(200, { "content-length": "0" }).end();
      return null;
    }
    throw new FakeGcsError(400, "invalid", `unknown uploadType '${type}'`);
  }

  async #multipart(req: IncomingMessage, bucket: string, query: URLSearchParams, ifGen: string | null) {
    const boundary = /boundary="?([^";]+)"?/.exec(req.headers["content-type"] ?? "")?.[1];
    if (!boundary) throw new FakeGcsError(400, "invalid", "multipart upload without a boundary");
    const body = await readBody(req);
    const parts = splitMultipart(body, boundary);
    if (parts.length < 2)
      throw new FakeGcsError(400, "invalid", "multipart upload needs metadata and media parts");
    const meta = JSON.parse((parts[0] as Buffer).toString("utf8")) as UploadMeta;
    const name = requireName(query.get("name") ?? meta.name ?? null);
    this.store.checkPrecondition(bucket, name, ifGen);
    const staged = await this.store.stageWhole(Readable.from([parts[1] as Buffer]));
    return this.store.commit(bucket, name, staged, meta, ifGen);
  }

  async #chunk(req: IncomingMessage, res: ServerResponse, id: string): Promise<FakeObject | null> {
    const session = this.#sessions.get(id);
    if (!session) throw new FakeGcsError(404, "notFound", `No such upload session ${id}`);
    const range = /^bytes (\*|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(
      String(req.headers["content-range"] ?? "bytes 0-*/*"),
    );
    if (!range) throw new FakeGcsError(400, "invalid", `bad Content-Range ${req.headers["content-range"]}`);
    const total = range[4] === "*" ? null : Number(range[4]);
    if (range[1] !== "*") {
      // A client that resends bytes we already have (after a lost response) must not duplicate them.
      const skip = Math.max(0, session.received - Number(range[2]));
      // Hashed into a copy, kept only when the whole chunk arrived.
      const hasher = session.hasher.copy();
      session.received += await this.store.stage(
        req.pipe(skipBytes(skip)),
        session.file,
        session.received,
        hasher,
      );
      session.hasher = hasher;
    } else {
      await readBody(req);
    }
    const finished = (total !== null && session.received >= total) || range[3] === "*";
    if (!finished) {
      const headers: Record<string, string> = { "content-length": "0" };
      if (session.received > 0) headers.range = `bytes=0-${session.received - 1}`;
      if (String(req.headers["x-guploader-no-308"]).toLowerCase() === "yes") {
        res.writeHead(200, { ...headers, "x-http-status-code-override": "308" }).end();
      } else {
        res.writeHead(308, headers).end();
      }
      return null;
    }
    this.#sessions.delete(id);
    const body = await this.store.finish(session.file, session.received, session.hasher);
    return this.store.commit(session.bucket, session.name, body, session.meta, session.ifGenerationMatch);
  }
}

function requireName(name: string | null): string {
  if (!name) throw new FakeGcsError(400, "required", "Required parameter: name");
  return name;
}

/** Buffers a (small) request body. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The bodies of a multipart/related payload. */
function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(start + delimiter.length, next);
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd >= 0) parts.push(part.subarray(headerEnd + 4, part.length - 2));
    start = next;
  }
  return parts;
}

/** Drops the first `count` bytes of a stream. */
function skipBytes(count: number): Transform {
  let left = count;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (left >= chunk.length) {
        left -= chunk.length;
        return done();
      }
      const rest = chunk.subarray(left);
      left = 0;
      done(null, rest);
    },
  });
}
