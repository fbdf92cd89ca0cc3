/**
 * The web UI's HTTP server: `createUiHandler` (a request handler to mount in your own server) and
 * `startUiServer` (a node:http server on 127.0.0.1 by default). Pages are rendered on the server; the
 * UI sends no script and loads nothing from other origins, so it works offline.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ArtifactError, isArtifactError } from "../errors.js";
import type { ArtifactManager } from "../managers/artifact-manager.js";
import type { PageContext, PageResult } from "./context.js";
import { redactUrl } from "./format.js";
import { createToken, hostAllowed, writeRefusal } from "./guard.js";
import { html } from "./html.js";
import { renderPage } from "./layout.js";
import { aliasConfirmPage, moveAlias } from "./pages/alias.js";
import { artifactPage } from "./pages/artifact.js";
import { checkpointPage } from "./pages/checkpoint.js";
import { diffPage } from "./pages/diff.js";
import { filePage, sendRaw } from "./pages/file.js";
import { collectionPage, startPage } from "./pages/start.js";
import { versionPage } from "./pages/version.js";
import { parseRoute, type Route } from "./paths.js";
import { StoreAccess } from "./store-access.js";
import { STYLESHEET } from "./styles.js";

/** Options of {@link createUiHandler}. */
export interface UiHandlerOptions {
  /** The store to show (any manager: a file or object store, W&B). The UI never closes it. */
  manager: ArtifactManager;
  /** The store as the page header shows it; user info and query strings are removed. @default the manager's `url` */
  storeLabel?: string;
  /** Artifacts and versions per page of a listing. @default 25 */
  pageSize?: number;
  /** More Host names (without port) the UI answers to, besides loopback and the address it is reached on. @default [] */
  allowedHosts?: string[];
}

/** Options of {@link startUiServer}. */
export interface UiServerOptions extends UiHandlerOptions {
  /** Address to listen on. Anything but loopback exposes the store to the network. @default "127.0.0.1" */
  host?: string;
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
}

/** A running UI server. `close()` (or `await using`) stops it and drops open connections. */
export interface UiServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
};

const MAX_FORM_BYTES = 16 << 10;

/** The UI as a request handler: `http.createServer(createUiHandler({ manager }))`. */
export function createUiHandler(
  options: UiHandlerOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const store = new StoreAccess(options.manager);
  const token = createToken();
  const label = redactUrl(options.storeLabel ?? (options.manager as { url?: string }).url ?? "store");
  const pageSize = options.pageSize ?? 25;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`pageSize\` option to be a positive integer, got \`${pageSize}\``,
    );
  }
  const extraHosts = options.allowedHosts ?? [];
  return (request, response) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    const controller = new AbortController();
    response.on("close", () => {
      if (!response.writableFinished) controller.abort();
    });
    handle({ request, response, store, token, label, pageSize, extraHosts, signal: controller.signal }).catch(
      (error: unknown) => sendError(response, label, error),
    );
  };
}

interface Request {
  request: IncomingMessage;
  response: ServerResponse;
  store: StoreAccess;
  token: string;
  label: string;
  pageSize: number;
  extraHosts: readonly string[];
  signal: AbortSignal;
}

async function handle(r: Request): Promise<void> {
  const { request, response } = r;
  if (!hostAllowed(request, r.extraHosts)) {
    return sendText(response, 421, "This server answers only to its own address (Host header refused).");
  }
  const target = request.url ?? "/";
  const q = target.indexOf("?");
  const pathname = q === -1 ? target : target.slice(0, q);
  const query = new URLSearchParams(q === -1 ? "" : target.slice(q + 1));
  const route = parseRoute(pathname);
  if (route === undefined) throw new ArtifactError("NOT_FOUND", `no page at ${pathname}`);
  const method = request.method ?? "GET";
  const ctx: PageContext = { store: r.store, query, token: r.token, pageSize: r.pageSize, signal: r.signal };
  if (method === "POST" && route.page === "alias") {
    const form = await readForm(request);
    const refusal = writeRefusal(request, form, r.token);
    if (refusal !== undefined)
      return sendPage(
        response,
        r.label,
        403,
        "Refused",
        html`<h1>Refused</h1><p class="notice warn">${refusal}</p>`,
      );
    return finish(r, await moveAlias(ctx, route.collection, route.name, form));
  }
  if (method !== "GET" && method !== "HEAD") {
    response.setHeader("allow", route.page === "alias" ? "GET, HEAD, POST" : "GET, HEAD");
    return sendText(response, 405, `${method} is not allowed here`);
  }
  return finish(r, await dispatch(ctx, route, r));
}

function dispatch(ctx: PageContext, route: Route, r: Request): Promise<PageResult> {
  switch (route.page) {
    case "style":
      r.response.writeHead(200, {
        "content-type": "text/css; charset=utf-8",
        "cache-control": "max-age=300",
      });
      r.response.end(r.request.method === "HEAD" ? undefined : STYLESHEET);
      return Promise.resolve({ kind: "done" });
    case "start":
      return startPage(ctx);
    case "collection":
      return collectionPage(ctx, route.collection);
    case "artifact":
      return artifactPage(ctx, route.collection, route.name);
    case "version":
      return versionPage(ctx, route.collection, route.name, route.version);
    case "diff":
      return diffPage(ctx, route.collection, route.name);
    case "alias":
      return aliasConfirmPage(ctx, route.collection, route.name);
    case "file":
      return filePage(ctx, route.collection, route.name, route.version, route.path);
    case "checkpoint":
      return checkpointPage(ctx, route);
    case "raw":
      return sendRaw(ctx, r.request, r.response, route);
  }
}

function finish(r: Request, result: PageResult): void {
  if (result.kind === "done") return;
  if (result.kind === "redirect") {
    r.response.writeHead(303, { location: result.location });
    r.response.end();
    return;
  }
  const page = renderPage({ title: result.title, store: r.label, crumbs: result.crumbs, body: result.body });
  r.response.writeHead(result.status ?? 200, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
  });
  r.response.end(r.request.method === "HEAD" ? undefined : page);
}

function sendPage(
  response: ServerResponse,
  label: string,
  status: number,
  title: string,
  body: ReturnType<typeof html>,
): void {
  const page = renderPage({
    title,
    store: label,
    crumbs: [{ label: "Store", href: "/" }, { label: title }],
    body,
  });
  response.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  response.end(page);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  response.end(`${text}\n`);
}

const STATUS: Partial<Record<string, number>> = {
  NOT_FOUND: 404,
  INVALID_NAME: 404,
  INVALID_ARGUMENT: 400,
  CHECKPOINT_INVALID: 422,
  UNSUPPORTED: 422,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 403,
};

function sendError(response: ServerResponse, label: string, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const status = isArtifactError(error) ? (STATUS[error.code] ?? 500) : 500;
  const title = status === 404 ? "Not found" : status === 500 ? "Error" : "Cannot show this";
  const message = error instanceof Error ? redactUrl(error.message) : String(error);
  const code = isArtifactError(error) ? ` (${error.code})` : "";
  sendPage(
    response,
    label,
    status,
    title,
    html`<h1>${title}</h1><p class="notice warn">${message}${code}</p><p><a href="/">Back to the start page</a></p>`,
  );
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const type = request.headers["content-type"] ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) {
    throw new ArtifactError("INVALID_ARGUMENT", "writes take a form (application/x-www-form-urlencoded)");
  }
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_FORM_BYTES) throw new ArtifactError("INVALID_ARGUMENT", "the form is too large");
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** Starts the UI on `host:port` (127.0.0.1 and a free port by default) and resolves once it listens. */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 0;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `Expected the \`port\` option to be an integer from 0 to 65535, got \`${port}\``,
    );
  }
  const server = createServer(createUiHandler(options));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const message =
        error.code === "EADDRINUSE"
          ? `port ${port} on ${host} is in use; pick another with --port (0 picks a free one)`
          : `cannot listen on ${host}:${port}: ${error.message}`;
      reject(new ArtifactError("UNAVAILABLE", message, { cause: error }));
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  return { url: `http://${shown}:${address.port}/`, server, close, [Symbol.asyncDispose]: close };
}
