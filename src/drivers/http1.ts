/**
 * The few HTTP/1.1 message pieces the zero-copy GET (zero-copy-get.ts) speaks: the request head, the
 * response head's status and headers, `Content-Length`, a chunked error body, and its errors.
 */

/**
 * The request head. `Host` is the one in `headers` when given (a signature may cover it), else the
 * URL's. Header values with line breaks are refused.
 */
export function requestHead(url: URL, headers: Record<string, string>): string {
  let host = url.host;
  let lines = "";
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) {
      throw new TypeError(`header ${JSON.stringify(name)} has a line break in its name or value`);
    }
    const lower = name.toLowerCase();
    if (lower === "host") host = value;
    else if (lower !== "connection" && lower !== "content-length") lines += `${name}: ${value}\r\n`;
  }
  return `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${host}\r\n${lines}\r\n`;
}

/** Status, headers and version of a response head, or null when it is not HTTP/1.x. */
export function parseHead(
  text: string,
): { status: number; headers: Record<string, string>; http10: boolean } | null {
  const lines = text.split("\r\n");
  const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? "");
  if (statusLine === null) return null;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(statusLine[2]), headers, http10: statusLine[1] === "0" };
}

/** The `Content-Length`, or undefined when absent or not one plain number. */
export function contentLength(headers: Record<string, string>): number | undefined {
  const value = headers["content-length"];
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** The payload of a complete chunked body, or null while it is incomplete. */
export function decodeChunked(raw: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf("\r\n", at, "latin1");
    if (lineEnd === -1) return null;
    const size = Number.parseInt(raw.toString("latin1", at, lineEnd).split(";")[0] ?? "", 16);
    if (!Number.isFinite(size)) return Buffer.concat(parts);
    if (size === 0) return Buffer.concat(parts);
    if (raw.length < lineEnd + 2 + size + 2) return null;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

export function protocolError(what: string): Error {
  return Object.assign(new Error(`the server sent ${what}`), { code: "EPROTO" });
}

export function connectionClosed(state: string): Error {
  const where = state === "body" ? "before the end of the body" : "before the answer";
  return Object.assign(new Error(`socket hang up: the server closed the connection ${where}`), {
    code: "ECONNRESET",
  });
}
