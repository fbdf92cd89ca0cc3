/**
 * Plain HTTP(S) requests on a keep-alive agent of their own: the transport of the drivers' direct
 * object requests (gcs-media.ts, s3-direct-client.ts), which skip an SDK's per-request stack where it
 * costs more client CPU than the transfer of a small object itself. Retries, timeouts and the idle
 * watchdog come from the driver's layers as for every other call.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/**
 * Connections kept per driver and origin: more than the manager's files in flight (64 small and 16
 * large at once by default), fewer than a server would refuse. The direct GETs keep as many idle ones,
 * so that a transfer reuses its connections instead of opening (and handshaking) new ones.
 */
export const CONNECTIONS_PER_ORIGIN = 96;

/** Most bytes of an error answer kept for its message. */
const ERROR_BODY_LIMIT = 65_536;

/** True when the environment names an HTTP proxy. */
export function proxyConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"].some((name) => (env[name] ?? "") !== "");
}

/** Requests to one endpoint (`http:` or `https:`), resolving with the response once its head arrived. */
export class HttpRequester {
  readonly #agent: HttpAgent;
  readonly #send: typeof httpRequest;

  constructor(secure: boolean) {
    const options = { keepAlive: true, maxSockets: CONNECTIONS_PER_ORIGIN };
    this.#agent = secure ? new HttpsAgent(options) : new HttpAgent(options);
    this.#send = secure ? httpsRequest : httpRequest;
  }

  get(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<IncomingMessage> {
    return this.request("GET", url, headers, undefined, signal);
  }

  /** Sends `body` (whole, or as buffers written one after another) or nothing. */
  request(
    method: string,
    url: string,
    headers: Record<string, string>,
    body?: Buffer | readonly Buffer[],
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const options = { method, headers, agent: this.#agent, ...(signal ? { signal } : {}) };
      const request = this.#send(url, options, resolve);
      request.once("error", reject);
      if (body === undefined || Buffer.isBuffer(body)) request.end(body);
      else {
        for (const buffer of body) request.write(buffer);
        request.end();
      }
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The body of an error answer as text: a short document, of which no more than 64 KiB is kept. */
export async function readErrorBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    if (size < ERROR_BODY_LIMIT) chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return Buffer.concat(chunks).subarray(0, ERROR_BODY_LIMIT).toString("utf8");
}
