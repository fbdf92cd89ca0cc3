import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UndiciGetter, type UndiciGetterOptions } from "../../bench/undici-getter.js";
import { isWholeBody } from "../../src/storage/body.js";
import { POOL_BUFFER_BYTES, takeOver } from "../../src/storage/buffer-pool.js";
import { bodyOf, closeServers, collect, serve, sha, TLS_DIR } from "../fixtures/get-test-server.js";

const getters: UndiciGetter[] = [];

afterEach(async () => {
  for (const getter of getters.splice(0)) getter.close();
  await closeServers();
});

function getter(origin: string, options: UndiciGetterOptions = {}): UndiciGetter {
  const made = new UndiciGetter(origin, options);
  getters.push(made);
  return made;
}

describe("UndiciGetter (the direct GET on undici, same answers as ZeroCopyGetter)", () => {
  it("reads a big body as a stream and sends the request's path, query and headers", async () => {
    const payload = randomBytes(5 * POOL_BUFFER_BYTES + 123);
    let seen: IncomingMessage | undefined;
    const { origin } = await serve((req, res) => {
      seen = req;
      res.setHeader("content-length", payload.length);
      res.end(payload);
    });
    const answer = await getter(origin).get(`${origin}/c/a%20b.bin?x=1`, { "x-ms-range": "bytes=0-" });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-length"]).toBe(String(payload.length));
    expect(isWholeBody(bodyOf(answer))).toBe(false);
    const { data } = await collect(bodyOf(answer));
    expect(sha(data)).toBe(sha(payload));
    expect(seen?.url).toBe("/c/a%20b.bin?x=1");
    expect(seen?.headers["x-ms-range"]).toBe("bytes=0-");
    expect(seen?.headers.host).toBe(new URL(origin).host);
  });

  it("pooled: gathers a big body into whole pool buffers a sink may take over", async () => {
    const payload = randomBytes(3 * POOL_BUFFER_BYTES + 77);
    const { origin } = await serve((_req, res) => {
      res.setHeader("content-length", payload.length);
      res.end(payload);
    });
    const answer = await getter(origin, { pooled: true }).get(`${origin}/p`, {});
    // Read as the download sink reads (flowing 'data' events): chunks as pushed, none concatenated.
    const chunks: Buffer[] = [];
    const body = bodyOf(answer);
    body.on("data", (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve, reject) => body.on("end", resolve).on("error", reject));
    const data = Buffer.concat(chunks);
    expect(sha(data)).toBe(sha(payload));
    expect(chunks.map((c) => c.length)).toEqual([...Array(3).fill(POOL_BUFFER_BYTES), 77]);
    expect(chunks.map((c) => takeOver(c))).toEqual([true, true, true, false]);
  });

  it("sends the Host of the headers when given (a signature covers it)", async () => {
    let host: string | undefined;
    const { origin } = await serve((req, res) => {
      host = req.headers.host;
      res.setHeader("content-length", 2);
      res.end("ok");
    });
    await collect(bodyOf(await getter(origin).get(`${origin}/h`, { host: "bucket.example:9000" })));
    expect(host).toBe("bucket.example:9000");
  });

  it("reads small and empty bodies whole, reusing one keep-alive connection", async () => {
    const bodies: Record<string, Buffer> = { "/small": randomBytes(100), "/empty": Buffer.alloc(0) };
    const server = await serve((req, res) => {
      const body = bodies[req.url ?? ""] ?? Buffer.alloc(0);
      res.setHeader("content-length", body.length);
      res.end(body);
    });
    const get = getter(server.origin);
    for (const path of ["/small", "/empty", "/small"]) {
      const body = bodyOf(await get.get(`${server.origin}${path}`, {}));
      expect(isWholeBody(body)).toBe(true);
      const { data } = await collect(body);
      expect(data.equals(bodies[path] as Buffer)).toBe(true);
    }
    // undici's pool marks a connection free a moment after its answer ended, so the GET right after
    // the first one may open a second connection; the third reuses one.
    expect(server.connections).toBeLessThanOrEqual(2);
  });

  it("asks on a new connection when the server closed the kept one", async () => {
    const server = await serve((_req, res) => {
      res.setHeader("content-length", 2);
      res.end("ok");
    });
    const get = getter(server.origin);
    await collect(bodyOf(await get.get(`${server.origin}/a`, {})));
    for (const socket of server.sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { data } = await collect(bodyOf(await get.get(`${server.origin}/b`, {})));
    expect(data.toString()).toBe("ok");
    expect(server.connections).toBe(2);
  });

  it("returns error answers with their text, framed by length, chunks or the connection's end", async () => {
    const { origin } = await serve((req, res) => {
      res.statusCode = 404;
      res.setHeader("x-ms-error-code", "BlobNotFound");
      if (req.url === "/length") {
        res.setHeader("content-length", 9);
        res.end("not found");
      } else if (req.url === "/chunked") {
        res.write("not ");
        setTimeout(() => res.end("found"), 20);
      } else {
        res.shouldKeepAlive = false;
        res.write("gone ");
        setTimeout(() => res.end("away"), 20);
      }
    });
    const get = getter(origin);
    for (const [path, text] of [
      ["/length", "not found"],
      ["/chunked", "not found"],
      ["/close", "gone away"],
    ]) {
      const answer = await get.get(`${origin}${path}`, {});
      expect(answer).toMatchObject({ kind: "error", status: 404, text });
      expect(answer.headers["x-ms-error-code"]).toBe("BlobNotFound");
    }
  });

  it("reads a chunked 2xx body, and hands back a compressed one unread", async () => {
    const { origin } = await serve((req, res) => {
      if (req.url === "/gzip") {
        res.setHeader("content-encoding", "gzip");
        res.setHeader("content-length", 4);
        res.end("abcd");
      } else {
        res.write("chu");
        res.end("nk");
      }
    });
    const get = getter(origin);
    expect((await collect(bodyOf(await get.get(`${origin}/chunked`, {})))).data.toString()).toBe("chunk");
    expect(await get.get(`${origin}/gzip`, {})).toMatchObject({ kind: "unsupported", status: 200 });
  });

  it("fails the body with a network error when the connection is cut mid-way", async () => {
    const { origin } = await serve((_req, res) => {
      res.setHeader("content-length", 4 * POOL_BUFFER_BYTES);
      res.write(randomBytes(POOL_BUFFER_BYTES + 10), () => setTimeout(() => res.socket?.destroy(), 20));
    });
    const body = bodyOf(await getter(origin).get(`${origin}/cut`, {}));
    await expect(collect(body)).rejects.toMatchObject({ code: "UND_ERR_SOCKET" });
  });

  it("gives a small body's answer only once the body is whole: a cut, a stall or an abort fails the answer", async () => {
    const { origin } = await serve((req, res) => {
      res.setHeader("content-length", 4096);
      res.flushHeaders();
      if (req.url === "/cut") setTimeout(() => res.socket?.destroy(), 20);
      else if (req.url === "/late") setTimeout(() => res.end(Buffer.alloc(4096, 7)), 50);
    });
    const get = getter(origin, { headTimeoutMs: 150 });
    await expect(get.get(`${origin}/cut`, {})).rejects.toMatchObject({ code: "UND_ERR_SOCKET" });
    await expect(get.get(`${origin}/stall`, {})).rejects.toMatchObject({ code: "ETIMEDOUT" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stop now")), 30);
    await expect(get.get(`${origin}/abort`, {}, controller.signal)).rejects.toThrow("stop now");
    const late = bodyOf(await get.get(`${origin}/late`, {}));
    expect(isWholeBody(late)).toBe(true);
    expect((await collect(late)).data.equals(Buffer.alloc(4096, 7))).toBe(true);
  });

  it("stays correct while a slow reader pauses the socket", async () => {
    const payload = randomBytes(8 * POOL_BUFFER_BYTES + 7);
    const { origin } = await serve((_req, res) => {
      res.setHeader("content-length", payload.length);
      res.end(payload);
    });
    const body = bodyOf(await getter(origin).get(`${origin}/slow`, {}));
    const hash = createHash("sha256");
    for await (const chunk of body) {
      hash.update(chunk as Buffer);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    expect(hash.digest("hex")).toBe(sha(payload));
  });

  it("rejects with the signal's reason, before the answer and during the body", async () => {
    const { origin } = await serve((req, res) => {
      if (req.url === "/hang") return;
      res.setHeader("content-length", 4 * POOL_BUFFER_BYTES);
      res.write(randomBytes(1000));
    });
    const get = getter(origin);
    const before = new AbortController();
    const pending = get.get(`${origin}/hang`, {}, before.signal);
    setTimeout(() => before.abort(new Error("stop now")), 30);
    await expect(pending).rejects.toThrow("stop now");
    const during = new AbortController();
    const body = bodyOf(await get.get(`${origin}/partial`, {}, during.signal));
    setTimeout(() => during.abort(new Error("stop the body")), 30);
    await expect(collect(body)).rejects.toThrow("stop the body");
  });

  it("times out a server that never answers, and reports refused connections", async () => {
    const { origin } = await serve(() => undefined);
    await expect(getter(origin, { headTimeoutMs: 100 }).get(`${origin}/`, {})).rejects.toMatchObject({
      code: "UND_ERR_HEADERS_TIMEOUT",
    });
    const closed = await serve(() => undefined);
    const closedOrigin = closed.origin;
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    await expect(getter(closedOrigin).get(`${closedOrigin}/`, {})).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
  });

  it("speaks TLS", async () => {
    const payload = randomBytes(3 * POOL_BUFFER_BYTES + 5);
    const { origin } = await serve((_req, res) => {
      res.setHeader("content-length", payload.length);
      res.end(payload);
    }, true);
    const ca = readFileSync(join(TLS_DIR, "localhost.crt"));
    const { data } = await collect(bodyOf(await getter(origin, { ca }).get(`${origin}/tls`, {})));
    expect(sha(data)).toBe(sha(payload));
    await expect(getter(origin).get(`${origin}/tls`, {})).rejects.toMatchObject({
      code: "DEPTH_ZERO_SELF_SIGNED_CERT",
    });
  });

  it("refuses header values with line breaks and URLs of another origin", async () => {
    const { origin } = await serve(() => undefined);
    const get = getter(origin);
    await expect(get.get(`${origin}/`, { "x-a": "1\r\nx-b: 2" })).rejects.toThrow(/x-a/);
    await expect(get.get("http://127.0.0.1:1/", {})).rejects.toThrow(/origin|getter/);
  });
});
