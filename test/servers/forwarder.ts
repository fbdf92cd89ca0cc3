/**
 * A loopback HTTP forwarder in front of a test server, for tests that watch (or change) what goes
 * between a client and the server. The Host header goes on as the client sent it, which is what a
 * client signs.
 */
import { once } from "node:events";
import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** What to change on the way. */
export interface ForwardOptions {
  /** The request's headers as sent on (default: as received). */
  headers?: IncomingHttpHeaders;
  /** The whole request body, already read (default: the request is streamed on). */
  body?: Buffer;
  /** The answer's headers as given back (default: as received). */
  answerHeaders?: (headers: IncomingHttpHeaders) => IncomingHttpHeaders;
}

/** Sends `req` on to `target` and its answer back through `res`. */
export function forward(
  target: URL,
  req: IncomingMessage,
  res: ServerResponse,
  options: ForwardOptions = {},
): void {
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: options.headers ?? req.headers,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, options.answerHeaders?.(answer.headers) ?? answer.headers);
      answer.pipe(res);
    },
  );
  upstream.once("error", () => res.destroy());
  if (options.body === undefined) req.pipe(upstream);
  else upstream.end(options.body);
}

/** Starts `server` on a free loopback port; resolves with its `http://127.0.0.1:PORT`. */
export async function listenOnLoopback(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
