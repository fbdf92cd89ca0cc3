import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ZeroCopyGetter } from "../../src/drivers/zero-copy-get.js";
import { isWholeBody } from "../../src/storage/body.js";
import { POOL_BUFFER_BYTES, takeOver } from "../../src/storage/buffer-pool.js";
import { bodyOf, closeServers, collect, serve, sha, TLS_DIR } from "../fixtures/get-test-server.js";

const getters: ZeroCopyGetter[] = [];

afterEach(async () => {
  for (const getter of getters.splice(0)) getter.close();
  await closeServers();
});

function getter(
  origin: string,
  options: ConstructorParameters<typeof ZeroCopyGetter>[1] = {},
): ZeroCopyGetter {
  const made = new ZeroCopyGetter(origin, options);
  getters.push(made);
  return made;
}

describe("ZeroCopyGetter", () => {
  it("reads a big body into whole pool buffers that a sink may take over, and sends the request's headers", async () => {
    const payload = randomBytes(5 * POOL_BUFFER_BYTES + 123);
    let seen: IncomingMessage | undefined;
    const { origin } = await serve((req, res) => {
      seen = req;
      res.setHeader("content-length", payload.length);
      res.end(payload);
    });
    const answer = await getter(origin).get(`${origin}/c/a%20b.bin?x=1`, { "x-ms-range": "bytes=0-" });
    expect(answer.status).toBe(200);
    expect(isWholeBody(bodyOf(answer))).toBe(false);
    const { data, chunks } = await collect(bodyOf(answer));
    expect(sha(data)).toBe(sha(payload));
    expect(seen?.url).toBe("/c/a%20b.bin?x=1");
    expect(seen?.headers["x-ms-range"]).toBe("bytes=0-");
    expect(seen?.headers.host).toBe(new URL(origin).host);
    // Five whole 1 MiB buffers, handed over; the 123-byte tail is a view that must be copied.
    expect(chunks.map((c) => c.length)).toEqual([...Array(5).fill(POOL_BUFFER_BYTES), 123]);
    expect(chunks.map((c) => takeOver(c))).toEqual([true, true, true, true, true, false]);
  });

  it("reads small and empty bodies, reusing one keep-alive connection", async () => {
    const bodies: Record<string, Buffer> = { "/small": randomBytes(100), "/empty": Buffer.alloc(0) };
    const server = await serve((req, res) => {
      const body = bodies[req.url ?? ""] ?? Buffer.alloc(0);
      res.setHeader("content-length", body.length);
      res.end(body);
    });
    const get = getter(server.origin);
    for (const path of ["/small", "/empty", "/small"]) {
      const body = bodyOf(await get.get(`${server.origin}${path}`, {}));
      // Arrived whole with its head: the retry layer hands it over without a resumable stream.
      expect(isWholeBody(body)).toBe(true);
      const { data } = await collect(body);
      expect(data.equals(bodies[path] as Buffer)).toBe(true);
    }
    expect(server.connections).toBe(1);
  });

  it("asks again on a new connection when the server closed the kept one", async () => {
    const server = await serve((_req, res) => {
      res.setHeader("content-length", 2);
      res.end("ok");
    });
    const get = getter(server.origin);
    await collect(bodyOf(await get.get(`${server.origin}/a`, {})));
    // The server drops its idle connection (as servers do after their keep-alive timeout).
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

  it("hands back 2xx answers it cannot frame (chunked, compressed) without reading them", async () => {
    const { origin } = await serve((req, res) => {
      if (req.url === "/gzip") {
        res.setHeader("content-encoding", "gzip");
        res.setHeader("content-length", 4);
        res.end("abcd");
      } else {
        res.write("chunk");
        res.end();
      }
    });
    const get = getter(origin);
    expect(await get.get(`${origin}/chunked`, {})).toMatchObject({ kind: "unsupported", status: 200 });
    expect(await get.get(`${origin}/gzip`, {})).toMatchObject({ kind: "unsupported", status: 200 });
  });

  it("fails the body with a network error when the connection is cut mid-way", async () => {
    const { origin } = await serve((_req, res) => {
      res.setHeader("content-length", 4 * POOL_BUFFER_BYTES);
      res.write(randomBytes(POOL_BUFFER_BYTES + 10), () => setTimeout(() => res.socket?.destroy(), 20));
    });
    const body = bodyOf(await getter(origin).get(`${origin}/cut`, {}));
    await expect(collect(body)).rejects.toMatchObject({ code: "ECONNRESET" });
  });

  it("gives a small body's answer only once the body is whole: a cut, a stall or an abort fails the answer", async () => {
    const { origin } = await serve((req, res) => {
      res.setHeader("content-length", 4096);
      res.flushHeaders(); // the head on its own, as radosgw sends it
      if (req.url === "/cut") setTimeout(() => res.socket?.destroy(), 20);
      else if (req.url === "/late") setTimeout(() => res.end(Buffer.alloc(4096, 7)), 50);
      // "/stall" and "/abort": the body never comes
    });
    const get = getter(origin, { headTimeoutMs: 150 });
    await expect(get.get(`${origin}/cut`, {})).rejects.toMatchObject({ code: "ECONNRESET" });
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
      if (req.url === "/hang") return; // never answers
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
      code: "ETIMEDOUT",
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
    // Without the CA, the self-signed certificate is refused.
    await expect(getter(origin).get(`${origin}/tls`, {})).rejects.toMatchObject({
      code: "DEPTH_ZERO_SELF_SIGNED_CERT",
    });
  });

  it("refuses header values with line breaks and URLs of another origin", async () => {
    const { origin } = await serve(() => undefined);
    const get = getter(origin);
    await expect(get.get(`${origin}/`, { "x-a": "1\r\nx-b: 2" })).rejects.toThrow(/line break/);
    await expect(get.get("http://127.0.0.1:1/", {})).rejects.toThrow(/origin|getter/);
  });
});
