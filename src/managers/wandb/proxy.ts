/**
 * W&B traffic through a proxy, as the SDK's clients honour it: `HTTPS_PROXY` for https URLs,
 * `HTTP_PROXY` for http ones (lower-case names too), `NO_PROXY` for hosts that go direct. The request
 * is tunnelled with `CONNECT host:port` (TLS to the server then runs inside the tunnel, so the proxy
 * sees no plaintext); an `http://user:pass@proxy` gets `Proxy-Authorization: Basic`.
 */
import { type ClientRequestArgs, Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import { ArtifactError } from "../../errors.js";

/** The proxy for `target` from the environment, or undefined when it goes direct. */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const name = target.protocol === "https:" ? "HTTPS_PROXY" : "HTTP_PROXY";
  const raw = env[name] ?? env[name.toLowerCase()];
  if (raw === undefined || raw.trim() === "" || bypassed(target, env.NO_PROXY ?? env.no_proxy ?? "")) return;
  try {
    const proxy = new URL(raw.includes("://") ? raw : `http://${raw}`);
    if (proxy.protocol === "http:") return proxy;
  } catch {}
  throw new ArtifactError("INVALID_ARGUMENT", `${name}=${raw} is not an http:// proxy URL`);
}

/** `NO_PROXY`: `*`, or hosts (with an optional port) matching exactly or as a domain suffix. */
function bypassed(target: URL, list: string): boolean {
  const host = target.hostname.toLowerCase();
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  return list
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === "*") return true;
      const [name = "", entryPort] = entry
        .toLowerCase()
        .replace(/^\*?\./, ".")
        .split(":");
      if (entryPort !== undefined && entryPort !== port) return false;
      return name.startsWith(".") ? host.endsWith(name) || host === name.slice(1) : host === name;
    });
}

const agents = new Map<string, HttpAgent>();

/** A keep-alive agent that tunnels through `proxy` (one per proxy and scheme). */
export function tunnelAgent(proxy: URL, https: boolean): HttpAgent {
  const key = `${proxy.href}|${https}`;
  const existing = agents.get(key);
  if (existing !== undefined) return existing;
  const agent: HttpAgent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  // Node's agents call createConnection(options, callback) and wait for the callback when it returns nothing
  type Connect = (
    options: ClientRequestArgs & { servername?: string },
    callback: (error: Error | null, socket?: Socket) => void,
  ) => undefined;
  const createConnection: Connect = (options, callback) => {
    openTunnel(proxy, `${options.host}:${options.port}`)
      .then((socket) => {
        const servername = options.servername ?? String(options.host);
        callback(null, https ? tlsConnect({ socket, servername }) : socket);
      })
      .catch((error: Error) => callback(error));
    return undefined;
  };
  (agent as unknown as { createConnection: Connect }).createConnection = createConnection;
  agents.set(key, agent);
  return agent;
}

/** `CONNECT authority` through the proxy; the raw socket once it answers 200. */
function openTunnel(proxy: URL, authority: string): Promise<Socket> {
  const headers: Record<string, string> = { host: authority };
  if (proxy.username !== "") {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers["proxy-authorization"] = `Basic ${Buffer.from(credentials).toString("base64")}`;
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: proxy.hostname,
      port: proxy.port || 80,
      method: "CONNECT",
      path: authority,
      headers,
    });
    req.once("connect", (res, socket) => {
      if (res.statusCode === 200) return resolve(socket);
      socket.destroy();
      reject(
        new ArtifactError(
          "UNAVAILABLE",
          `the proxy ${proxy.host} refused CONNECT ${authority} (HTTP ${res.statusCode})`,
          {
            retryable: res.statusCode === 502 || res.statusCode === 503 || res.statusCode === 504,
            context: { backend: "wandb", operation: "proxy", key: authority },
          },
        ),
      );
    });
    req.once("error", reject);
    req.end();
  });
}

/** The agent for a request to `target`: a tunnel when a proxy applies, else Node's default. */
export function agentFor(target: URL): HttpAgent | undefined {
  const proxy = proxyFor(target);
  return proxy === undefined ? undefined : tunnelAgent(proxy, target.protocol === "https:");
}

/**
 * `fetch` for W&B's API: the global one when no proxy applies, else the request sent through the
 * tunnel and answered as a `Response` (Node 20's fetch takes no proxy).
 */
export async function wandbFetch(
  url: string,
  init: RequestInit & { signal?: AbortSignal },
): Promise<Response> {
  const target = new URL(url);
  const agent = agentFor(target);
  if (agent === undefined) return fetch(url, init);
  const request = target.protocol === "https:" ? httpsRequest : httpRequest;
  const headers = Object.fromEntries(new Headers(init.headers).entries());
  return await new Promise<Response>((resolve, reject) => {
    const req = request(
      target,
      { method: init.method ?? "GET", headers, agent, ...(init.signal ? { signal: init.signal } : {}) },
      (res) => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
            responseHeaders.append(name, v);
        }
        const status = res.statusCode ?? 0;
        const body =
          status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        resolve(
          new Response(body, { status, statusText: res.statusMessage ?? "", headers: responseHeaders }),
        );
      },
    );
    req.once("error", reject);
    req.end(typeof init.body === "string" ? init.body : undefined);
  });
}
