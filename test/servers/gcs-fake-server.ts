/**
 * A small Google Cloud Storage JSON-API server for the tests (no GCS emulator installs here, FINDINGS §3).
 * It serves what @google-cloud/storage and rclone use: `/storage/v1/b/…` and `/b/…` (the
 * STORAGE_EMULATOR_HOST form), media/multipart/resumable uploads, `alt=media` reads with Range,
 * `x-goog-hash` and `x-goog-stored-content-encoding` (so the SDK validates downloads), listings with
 * prefix/delimiter/pageToken, `ifGenerationMatch`, objects.rewrite (gcs-fake-rewrite.ts), and optional
 * bearer-token auth.
 * Run standalone: `npx tsx test/servers/gcs-fake-server.ts PORT BUCKET…`.
 */
import { createReadStream } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { rewrite } from "./gcs-fake-rewrite.js";
import { FakeGcsError, FakeGcsStore, type FakeObject, type FakeGcsStore as Store } from "./gcs-fake-store.js";
import { FakeGcsUploads, readBody } from "./gcs-fake-uploads.js";

/** Options of {@link startGcsFake}. */
export interface GcsFakeOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** Buckets that exist from the start. @default [] */
  buckets?: string[];
  /** When set, every request needs `Authorization: Bearer <token>` (else 401). */
  token?: string;
  /** Sees every request before it is served (to tell which client stack sent it). */
  onRequest?: (req: IncomingMessage) => void;
  /** objects.rewrite copies at most this many bytes per call (then answers with a token). @default all */
  rewriteBytesPerCall?: number;
}

/** A running fake. */
export interface GcsFake {
  /** `http://127.0.0.1:PORT`: the `apiEndpoint` of the SDK. */
  endpoint: string;
  port: number;
  store: Store;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1. */
export async function startGcsFake(options: GcsFakeOptions = {}): Promise<GcsFake> {
  const store = new FakeGcsStore();
  await store.open();
  for (const bucket of options.buckets ?? []) store.buckets.set(bucket, new Map());
  let endpoint = "";
  const uploads = new FakeGcsUploads(store, (req) =>
    req.headers.host ? `http://${req.headers.host}` : endpoint,
  );
  const server: Server = createServer((req, res) => {
    route(store, uploads, options, req, res).catch((error: unknown) => sendError(res, error));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    store,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    },
  };
}

async function route(
  store: Store,
  uploads: FakeGcsUploads,
  options: GcsFakeOptions,
  req: IncomingMessage,
  res: ServerResponse,
) {
  options.onRequest?.(req);
  if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
    throw new FakeGcsError(401, "authError", "Invalid Credentials");
  }
  const url = new URL(req.url ?? "/", "http://fake");
  const q = url.searchParams;
  const method = req.method ?? "GET";
  const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
  if (upload) {
    const object = await uploads.handle(req, res, decodeURIComponent(upload[1] ?? ""), q);
    if (object) sendJson(res, 200, resource(object, `http://${req.headers.host ?? "127.0.0.1"}`));
    return;
  }
  // `/download/storage/v1/…` is where `mediaLink` points (rclone downloads through it).
  const path = url.pathname.replace(/^(\/download)?\/storage\/v1(?=\/)/, "");
  const base = `http://${req.headers.host ?? "127.0.0.1"}`;
  if (path === "/b" && method === "POST") {
    const { name } = JSON.parse((await readBody(req)).toString("utf8")) as { name: string };
    if (store.buckets.has(name))
      throw new FakeGcsError(
        409,
        "conflict",
        "Your previous request to create the named bucket succeeded and you already own it.",
      );
    store.buckets.set(name, new Map());
    return sendJson(res, 200, { kind: "storage#bucket", name, id: name });
  }
  const m = /^\/b\/([^/]+)(?:\/o(?:\/(.+))?)?$/.exec(path);
  if (!m) throw new FakeGcsError(404, "notFound", `Not Found: ${method} ${url.pathname}`);
  const bucket = decodeURIComponent(m[1] ?? "");
  const objects = store.bucket(bucket);
  if (!path.includes("/o")) return sendJson(res, 200, { kind: "storage#bucket", name: bucket, id: bucket });
  if (m[2] === undefined) {
    if (method !== "GET") throw new FakeGcsError(405, "invalid", `${method} on an object list`);
    return sendJson(res, 200, listing(store, bucket, q, base));
  }
  const rewriteTo = /^([^/]+)\/rewriteTo\/b\/([^/]+)\/o\/([^/]+)$/.exec(m[2]);
  if (rewriteTo && method === "POST") {
    const [, source, destBucket, destName] = rewriteTo.map((part) => decodeURIComponent(part));
    const request = {
      bucket,
      name: source as string,
      destBucket: destBucket as string,
      destName: destName as string,
      query: q,
    };
    const answer = await rewrite(store, request, options.rewriteBytesPerCall, (o) => resource(o, base));
    return sendJson(res, 200, answer);
  }
  const name = decodeURIComponent(m[2]);
  if (method === "DELETE") {
    await store.delete(bucket, name, q.get("ifGenerationMatch"));
    return void res.writeHead(204).end();
  }
  const object = objects.get(name);
  if (!object) throw new FakeGcsError(404, "notFound", `No such object: ${bucket}/${name}`);
  if (q.get("alt") === "media") return sendMedia(req, res, object);
  return sendJson(res, 200, resource(object, base));
}

function listing(store: Store, bucket: string, q: URLSearchParams, base: string) {
  const page = store.list(bucket, {
    prefix: q.get("prefix") ?? "",
    delimiter: q.get("delimiter") ?? "",
    pageToken: q.get("pageToken") ? Buffer.from(q.get("pageToken") ?? "", "base64url").toString("utf8") : "",
    maxResults: Math.min(Number(q.get("maxResults") ?? 1000) || 1000, 1000),
  });
  return {
    kind: "storage#objects",
    ...(page.prefixes.length > 0 ? { prefixes: page.prefixes } : {}),
    ...(page.items.length > 0 ? { items: page.items.map((o) => resource(o, base)) } : {}),
    ...(page.nextPageToken ? { nextPageToken: Buffer.from(page.nextPageToken).toString("base64url") } : {}),
  };
}

function sendMedia(req: IncomingMessage, res: ServerResponse, object: FakeObject): void {
  const headers: Record<string, string> = {
    "content-type": object.contentType,
    "x-goog-hash": `crc32c=${object.crc32c},md5=${object.md5Hash}`,
    "x-goog-stored-content-encoding": "identity",
    "x-goog-generation": String(object.generation),
    etag: etagOf(object),
    "accept-ranges": "bytes",
  };
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
  if (!range) {
    res.writeHead(200, { ...headers, "content-length": String(object.size) });
    return void createReadStream(object.file).pipe(res);
  }
  let start = range[1] === "" ? Math.max(0, object.size - Number(range[2])) : Number(range[1]);
  let end =
    range[1] === "" || range[2] === "" ? object.size - 1 : Math.min(Number(range[2]), object.size - 1);
  if (start >= object.size || start > end) {
    sendJson(res, 416, {
      error: {
        code: 416,
        message: "Requested range not satisfiable",
        errors: [{ reason: "requestedRangeNotSatisfiable" }],
      },
    });
    return;
  }
  start = Math.max(0, start);
  end = Math.max(start, end);
  res.writeHead(206, {
    ...headers,
    "content-length": String(end - start + 1),
    "content-range": `bytes ${start}-${end}/${object.size}`,
  });
  createReadStream(object.file, { start, end }).pipe(res);
}

/** The object resource of the JSON API (https://cloud.google.com/storage/docs/json_api/v1/objects). */
export function resource(o: FakeObject, base: string) {
  const time = o.created.toISOString();
  const path = `b/${encodeURIComponent(o.bucket)}/o/${encodeURIComponent(o.name)}`;
  return {
    kind: "storage#object",
    id: `${o.bucket}/${o.name}/${o.generation}`,
    name: o.name,
    bucket: o.bucket,
    generation: String(o.generation),
    metageneration: "1",
    contentType: o.contentType,
    size: String(o.size),
    md5Hash: o.md5Hash,
    crc32c: o.crc32c,
    etag: etagOf(o),
    timeCreated: time,
    updated: time,
    storageClass: "STANDARD",
    selfLink: `${base}/storage/v1/${path}`,
    mediaLink: `${base}/download/storage/v1/${path}?generation=${o.generation}&alt=media`,
    ...(o.metadata ? { metadata: o.metadata } : {}),
  };
}

function etagOf(o: FakeObject): string {
  return Buffer.from(`${o.generation}`).toString("base64");
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=UTF-8",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) return void res.destroy();
  const status = error instanceof FakeGcsError ? error.status : 500;
  const reason = error instanceof FakeGcsError ? error.reason : "backendError";
  const message = error instanceof Error ? error.message : String(error);
  sendJson(res, status, {
    error: { code: status, message, errors: [{ domain: "global", reason, message }] },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [port, ...buckets] = process.argv.slice(2);
  const fake = await startGcsFake({ port: Number(port ?? 0), buckets });
  process.stdout.write(`gcs fake on ${fake.endpoint}\n`);
}
