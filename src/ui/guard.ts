/**
 * Request checks: which Host names the UI answers to (DNS rebinding), and what a write must carry —
 * the page's token and an Origin that is the UI's own (cross-site requests).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/** A fresh write token (256 random bits, URL-safe). */
export function createToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Whether two tokens are equal, in constant time. */
export function sameToken(given: string | null | undefined, token: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether the request's Host header names this server: a loopback name or address, the address the
 * request came in on, or one of `extraHosts`, with the server's port. A page served under another
 * name (a DNS-rebinding attacker's) gets nothing.
 */
export function hostAllowed(request: IncomingMessage, extraHosts: readonly string[]): boolean {
  const host = request.headers.host;
  const port = request.socket.localPort;
  if (host === undefined || port === undefined) return false;
  const local = request.socket.localAddress ?? "";
  const bare = local.startsWith("::ffff:") ? local.slice(7) : local;
  const names = ["localhost", "127.0.0.1", "[::1]", isIP(bare) === 6 ? `[${bare}]` : bare, ...extraHosts];
  return names.some((name) => host.toLowerCase() === `${name.toLowerCase()}:${port}`);
}

/** Why a write is refused, or undefined when it may go ahead. */
export function writeRefusal(
  request: IncomingMessage,
  form: URLSearchParams,
  token: string,
): string | undefined {
  const origin = request.headers.origin;
  const host = request.headers.host;
  if (origin === undefined)
    return "the request has no Origin header; writes come only from the UI's own pages";
  if (origin !== `http://${host}`)
    return `requests from origin ${origin} are refused; writes come only from the UI's own pages`;
  const site = request.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return `cross-site request (${site}) refused`;
  if (!sameToken(form.get("token"), token))
    return "the form's token is missing or wrong (reload the page and try again)";
  return undefined;
}
