/**
 * A hostile W&B server for the issue 18 tests: a proxy in front of the emulator that forwards every
 * request (storage URLs in GraphQL answers are rewritten to come through it too) unless a rule takes
 * it over: an endless or slow manifest, an endless GraphQL answer, a page cursor that repeats, a
 * manifest someone else wrote. It counts what it served by GraphQL operation and storage kind.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What a rule sees of a request. */
export interface HostileRequest {
  /** GraphQL operation name, or `storage:<kind>` (`storage:manifest`, `storage:blob`, …). */
  operation: string;
  body: Buffer;
}

/** A rule: answer the request itself (return true), or leave it to the emulator (false). */
export type HostileRule = (req: HostileRequest, res: ServerResponse) => boolean | Promise<boolean>;

/** A rule rewriting the emulator's (GraphQL JSON) answer to an operation. */
export type AnswerRewrite = (operation: string, payload: unknown) => unknown;

export interface HostileProxy {
  url: string;
  /** Requests seen per operation. */
  counts: Map<string, number>;
  rules: HostileRule[];
  rewrites: AnswerRewrite[];
  close(): Promise<void>;
}

/** Starts a proxy in front of `emulatorUrl`. */
export async function startHostileProxy(emulatorUrl: string): Promise<HostileProxy> {
  const target = new URL(emulatorUrl);
  const proxy: HostileProxy = {
    url: "",
    counts: new Map(),
    rules: [],
    rewrites: [],
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = req.url ?? "/";
    const operation = path.startsWith("/storage/")
      ? `storage:${path.split("/")[2] ?? ""}`
      : path.startsWith("/graphql")
        ? String((JSON.parse(body.toString("utf8") || "{}") as { operationName?: string }).operationName)
        : path;
    proxy.counts.set(operation, (proxy.counts.get(operation) ?? 0) + 1);
    for (const rule of proxy.rules) if (await rule({ operation, body }, res)) return;
    const answer = await forward(req, body);
    let out = answer.body;
    if (path.startsWith("/graphql")) {
      let text = out.toString("utf8").replaceAll(emulatorUrl, proxy.url);
      if (proxy.rewrites.length > 0 && answer.status === 200) {
        let payload: unknown = JSON.parse(text);
        for (const rewrite of proxy.rewrites) payload = rewrite(operation, payload);
        text = JSON.stringify(payload);
      }
      out = Buffer.from(text);
    }
    const { "transfer-encoding": _chunked, ...headers } = answer.headers;
    headers["content-length"] = String(out.length);
    res.writeHead(answer.status, headers).end(out);
  }
  function forward(req: IncomingMessage, body: Buffer) {
    return new Promise<{ status: number; headers: Record<string, string>; body: Buffer }>(
      (resolve, reject) => {
        const out = request(
          {
            host: target.hostname,
            port: target.port,
            path: req.url,
            method: req.method,
            headers: req.headers,
          },
          async (answer) => {
            const parts: Buffer[] = [];
            for await (const chunk of answer) parts.push(chunk as Buffer);
            resolve({
              status: answer.statusCode ?? 502,
              headers: answer.headers as Record<string, string>,
              body: Buffer.concat(parts),
            });
          },
        );
        out.on("error", reject);
        out.end(body);
      },
    );
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}

/** Answers `operation` with an endless body (`prefix` then `fill` for ever) as fast as the client reads. */
export function endless(operation: string, prefix: string, fill = "a"): HostileRule {
  return (req, res) => {
    if (req.operation !== operation) return false;
    res.writeHead(200, { "content-type": "application/json" });
    res.write(prefix);
    const block = Buffer.alloc(64 * 1024, fill);
    const pump = () => {
      while (!res.destroyed && res.write(block));
      if (!res.destroyed) res.once("drain", pump);
    };
    pump();
    return true;
  };
}

/** Answers `operation` with one byte every `everyMs` ms, for ever. */
export function trickle(operation: string, everyMs: number): HostileRule {
  return (req, res) => {
    if (req.operation !== operation) return false;
    res.writeHead(200, { "content-type": "application/json" });
    res.write("{");
    const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(" ")), everyMs);
    res.on("close", () => clearInterval(timer));
    return true;
  };
}

/** Answers every manifest GET with `manifest` (a version-1 manifest someone else wrote). */
export function manifestOf(contents: Record<string, unknown>): HostileRule {
  return (req, res) => {
    if (req.operation !== "storage:manifest") return false;
    const manifest = {
      version: 1,
      storagePolicy: "wandb-storage-policy-v1",
      storagePolicyConfig: { storageLayout: "V2" },
      contents,
    };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(manifest));
    return true;
  };
}

/** Rewrites every `pageInfo` in the answers to `operation`: there is a next page, at `cursor`. */
export function repeatingCursor(operation: string, cursor = "loop"): AnswerRewrite {
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (typeof value !== "object" || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = key === "pageInfo" ? { hasNextPage: true, endCursor: cursor } : visit(inner);
    }
    return out;
  };
  return (op, payload) => (op === operation ? visit(payload) : payload);
}
