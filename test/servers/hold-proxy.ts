/**
 * A loopback HTTP forwarder that catches chosen requests (e.g. the PUT of a commit record) and holds
 * them, so that a test can act — abort, let a timeout fire — at an exact point of an exchange:
 * - `answer`: the request goes to the server, which acts on it; its answer is kept until `release()`;
 * - `request`: the request itself is kept (the server knows nothing of it); `release()` sends it late;
 * - `replace`: the request goes to the server, and the client gets `replaceWith` (a 503) instead of
 *   the server's answer.
 * Requests that no rule catches are forwarded as they come (test/servers/forwarder.ts).
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from "node:http";
import { forward, listenOnLoopback } from "./forwarder.js";

/** A request as the proxy saw it, whole. */
export interface SeenRequest {
  method: string;
  /** Path and query, percent-decoded where possible. */
  url: string;
  body: Buffer;
}

/** What to catch and how to hold it. */
export interface HoldRule {
  match: (request: SeenRequest) => boolean;
  mode: "answer" | "request" | "replace";
  /** How many matching requests are caught; later ones pass. @default Infinity */
  count?: number;
  /** The answer of `replace` mode. @default a 503 as the service would give it (GCS JSON, S3/Azure XML) */
  replaceWith?: { status: number; headers?: Record<string, string>; body?: string };
}

/** One caught request. */
export interface Caught {
  method: string;
  url: string;
  /** The server's status: set once the server answered (at once in `answer`/`replace`, on release in `request`). */
  serverStatus?: number;
  /** Whether the client was gone before its answer could be given. */
  clientGone: boolean;
}

/** A running hold proxy. */
export interface HoldProxy {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  port: number;
  /** Catches requests by `rule` from now on (replaces the previous rule). */
  arm(rule: HoldRule): void;
  /** Requests caught so far. */
  readonly caught: readonly Caught[];
  /**
   * Resolves once `n` requests were caught and are held: in `answer` and `replace` mode once the
   * server answered, in `request` mode once the whole request arrived.
   */
  waitForCaught(n?: number): Promise<Caught[]>;
  /** Lets everything held go (held answers to their clients, held requests to the server); resolves with the server's statuses of the held requests. */
  release(): Promise<number[]>;
  close(): Promise<void>;
}

/** The answer of a server, read whole. */
interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Starts a hold proxy on a free loopback port in front of `127.0.0.1:targetPort`. */
export async function startHoldProxy(targetPort: number): Promise<HoldProxy> {
  const target = new URL(`http://127.0.0.1:${targetPort}`);
  let rule: (HoldRule & { left: number }) | undefined;
  const caught: Caught[] = [];
  const waiters: { n: number; resolve: (caught: Caught[]) => void }[] = [];
  const held: (() => Promise<number | undefined>)[] = [];
  let released = false;
  let releaseAll: () => void = () => {};
  const releaseGate = new Promise<void>((resolve) => {
    releaseAll = resolve;
  });
  const notify = (entry: Caught) => {
    caught.push(entry);
    for (const waiter of waiters.filter((w) => caught.length >= w.n)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve([...caught]);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? "GET";
    if (!rule || rule.left <= 0 || (method !== "PUT" && method !== "POST")) return forward(target, req, res);
    const body = Buffer.concat(await req.toArray());
    const seen = { method, url: decode(req.url ?? "/"), body };
    if (!rule.match(seen)) return forward(target, req, res, { body });
    rule.left--;
    const entry: Caught = { method, url: seen.url, clientGone: false };
    res.once("close", () => {
      if (!res.writableFinished) entry.clientGone = true;
    });
    const send = () => sendWhole(target, req, body);
    if (rule.mode === "request") {
      held.push(async () => {
        const answer = await send().catch(() => undefined);
        if (answer) entry.serverStatus = answer.status;
        answerWith(res, answer ?? { status: 502, headers: {}, body: Buffer.alloc(0) });
        return answer?.status;
      });
      notify(entry);
      if (released) await held.pop()?.();
      return;
    }
    const answer = await send();
    entry.serverStatus = answer.status;
    if (rule.mode === "replace") {
      const replacement = rule.replaceWith ?? serviceUnavailable(seen.url);
      notify(entry);
      return answerWith(res, {
        status: replacement.status,
        headers: replacement.headers ?? {},
        body: Buffer.from(replacement.body ?? ""),
      });
    }
    notify(entry);
    await releaseGate;
    answerWith(res, answer);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const endpoint = await listenOnLoopback(server);
  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    arm(next) {
      rule = { ...next, left: next.count ?? Number.POSITIVE_INFINITY };
    },
    get caught() {
      return caught;
    },
    waitForCaught(n = 1) {
      if (caught.length >= n) return Promise.resolve([...caught]);
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    async release() {
      released = true;
      releaseAll();
      const statuses = await Promise.all(held.splice(0).map((go) => go()));
      return statuses.filter((status): status is number => status !== undefined);
    },
    async close() {
      released = true;
      releaseAll();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Sends a request with its whole body to `target` and reads the whole answer. */
function sendWhole(target: URL, req: IncomingMessage, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        answer
          .toArray()
          .then((chunks) =>
            resolve({
              status: answer.statusCode ?? 502,
              headers: answer.headers,
              body: Buffer.concat(chunks),
            }),
          )
          .catch(reject);
      },
    );
    upstream.once("error", reject);
    upstream.end(body);
  });
}

/** Gives `answer` to the client, when it is still there. */
function answerWith(res: ServerResponse, answer: Answer): void {
  if (res.destroyed || res.headersSent) return;
  const headers = { ...answer.headers };
  delete headers["transfer-encoding"];
  headers["content-length"] = String(answer.body.length);
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}

/** A 503 in the service's own error format: JSON for the GCS API, XML for S3 and Azure. */
function serviceUnavailable(url: string): { status: number; headers: Record<string, string>; body: string } {
  if (url.includes("/storage/v1/")) {
    const body = JSON.stringify({ error: { code: 503, message: "Backend Error (test proxy)", errors: [] } });
    return { status: 503, headers: { "content-type": "application/json; charset=UTF-8" }, body };
  }
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ServiceUnavailable</Code>' +
    "<Message>Please reduce your request rate. (test proxy)</Message></Error>";
  return {
    status: 503,
    headers: { "content-type": "application/xml", "x-ms-error-code": "ServerBusy" },
    body,
  };
}

function decode(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}

/**
 * Matches a write (PUT or POST) of the object whose key ends with `keySuffix`: the key is in the path
 * (S3, Azure), in the `name` query parameter or in the JSON metadata of a multipart body (GCS).
 */
export function writeOf(keySuffix: string): (request: SeenRequest) => boolean {
  const inBody = Buffer.from(`${keySuffix}"`);
  return ({ method, url, body }) => {
    if (method !== "PUT" && method !== "POST") return false;
    const path = url.split("?")[0] ?? "";
    if (path.endsWith(keySuffix)) return true;
    const name = new URLSearchParams(url.split("?")[1] ?? "").get("name");
    if (name?.endsWith(keySuffix)) return true;
    // GCS multipart: `{"name":"…/meta/versions/v0.json",…}` in the first part.
    return url.includes("uploadType=multipart") && body.subarray(0, 4096).includes(inBody);
  };
}
