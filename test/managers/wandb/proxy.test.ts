/**
 * W&B traffic through a proxy (issue 22 gap 10): with HTTP_PROXY / HTTPS_PROXY set, GraphQL and storage
 * requests go through a CONNECT tunnel of the proxy (a small one here, counting what it tunnels);
 * NO_PROXY sends a host direct; a proxy that refuses the tunnel is a typed error.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { proxyFor } from "../../../src/managers/wandb/proxy.js";
import { type EmulatorFixture, startFixture } from "./fixtures.js";

let fx: EmulatorFixture;
let proxy: Server;
let proxyUrl = "";
const tunnels: string[] = [];
/** `METHOD /first-segment` of the requests that went through a tunnel. */
const seen = new Set<string>();
let refuse = false;
const saved = { ...process.env };

beforeAll(async () => {
  fx = await startFixture();
  proxy = createServer((_req, res) => void res.writeHead(405).end("CONNECT only"));
  proxy.on("connect", (req, client, head) => {
    tunnels.push(req.url ?? "");
    if (refuse) return void client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host ?? "", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.on("data", (chunk: Buffer) => {
        // plain http inside the tunnel (the emulator): note each request line that passes
        for (const match of chunk.toString("latin1").matchAll(/^(GET|PUT|POST) (\/[a-z]+)/gm)) {
          seen.add(`${match[1]} ${match[2]}`);
        }
        upstream.write(chunk);
      });
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterEach(() => {
  for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"]) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  refuse = false;
  tunnels.length = 0;
  seen.clear();
});
afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  await fx.close();
});

async function source(name: string): Promise<string> {
  const dir = join(fx.dir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "p.txt"), `through ${name}`);
  return dir;
}

describe("W&B through a proxy", () => {
  it("logs and downloads with every GraphQL and storage request tunnelled through HTTP_PROXY", async () => {
    delete process.env.NO_PROXY;
    delete process.env.no_proxy;
    process.env.HTTP_PROXY = proxyUrl;
    const m = fx.manager({ project: "proxied" });
    expect((await m.logFiles("via-proxy", await source("proxied"))).version).toBe("v0");
    const to = join(fx.dir, "proxied-out");
    await m.downloadArtifact("via-proxy", { to, cache: false });
    expect(await readFile(join(to, "p.txt"), "utf8")).toBe("through proxied");
    const emulatorHost = new URL(fx.emulator.url).host;
    expect(tunnels.length).toBeGreaterThan(0);
    expect(new Set(tunnels)).toEqual(new Set([emulatorHost]));
    // GraphQL (fetch) and storage (node:http) both went through it
    expect([...seen].sort()).toEqual(["GET /storage", "POST /graphql", "PUT /storage"]);
  });

  it("NO_PROXY sends a host direct; a proxy refusing the tunnel is UNAVAILABLE naming it", async () => {
    process.env.HTTP_PROXY = proxyUrl;
    process.env.NO_PROXY = "localhost,127.0.0.1";
    const m = fx.manager({ project: "direct", retry: { retries: 0 } });
    expect((await m.logFiles("direct", await source("direct"))).version).toBe("v0");
    expect(tunnels).toEqual([]);
    delete process.env.NO_PROXY;
    refuse = true;
    // another proxy URL (with credentials): a new agent, so no tunnel kept alive from before is reused
    process.env.HTTP_PROXY = proxyUrl.replace("http://", "http://user:secret@");
    const error = await fx
      .manager({ project: "refused", retry: { retries: 0 } })
      .listArtifacts()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "UNAVAILABLE" });
    expect(String((error as Error).message)).toContain("refused CONNECT");
  });

  it("picks HTTPS_PROXY for https and HTTP_PROXY for http URLs; NO_PROXY entries match hosts and domains", () => {
    const env = {
      HTTPS_PROXY: "http://secure:3128",
      http_proxy: "plain:8080",
      NO_PROXY: ".internal,wandb.local:8443",
    };
    expect(proxyFor(new URL("https://api.wandb.ai/graphql"), env)?.host).toBe("secure:3128");
    expect(proxyFor(new URL("http://wandb.example.com/graphql"), env)?.host).toBe("plain:8080");
    expect(proxyFor(new URL("https://storage.internal/x"), env)).toBeUndefined();
    expect(proxyFor(new URL("https://internal/x"), env)).toBeUndefined();
    expect(proxyFor(new URL("https://wandb.local:8443/x"), env)).toBeUndefined();
    expect(proxyFor(new URL("https://wandb.local/x"), env)?.host).toBe("secure:3128");
    expect(proxyFor(new URL("https://api.wandb.ai/"), {})).toBeUndefined();
    expect(() => proxyFor(new URL("https://api.wandb.ai/"), { HTTPS_PROXY: "socks5://p:1080" })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});
