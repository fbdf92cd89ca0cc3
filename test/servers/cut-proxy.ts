/**
 * A loopback TCP proxy for failure tests: forwards to a server and, on request, cuts connections
 * mid-transfer (after N bytes in one direction) or stops accepting altogether (a server going away).
 */
import { connect, createServer, type Server, type Socket } from "node:net";

/** Cut the next `count` connections once more than `afterBytes` went `direction`. */
export interface CutRule {
  direction: "upload" | "download";
  afterBytes: number;
  count: number;
}

/** A running proxy. */
export interface CutProxy {
  port: number;
  /** Connections cut so far. */
  readonly cuts: number;
  /** Arms a cut rule (replaces the previous one). */
  cut(rule: CutRule): void;
  /** Closes every connection and stops listening (like a server that died). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

/** Starts a proxy on a free 127.0.0.1 port forwarding to 127.0.0.1:`targetPort`. */
export async function startCutProxy(targetPort: number): Promise<CutProxy> {
  const sockets = new Set<Socket>();
  let rule: CutRule | undefined;
  let cuts = 0;
  const onConnection = (client: Socket) => {
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(client).add(upstream);
    const sent = { upload: 0, download: 0 };
    const kill = () => {
      client.resetAndDestroy();
      upstream.destroy();
    };
    const forward = (from: Socket, to: Socket, direction: "upload" | "download") => {
      from.on("data", (chunk: Buffer) => {
        sent[direction] += chunk.length;
        if (rule && rule.count > 0 && rule.direction === direction && sent[direction] > rule.afterBytes) {
          rule.count--;
          cuts++;
          return kill();
        }
        if (!to.write(chunk)) from.pause();
      });
      to.on("drain", () => from.resume());
    };
    forward(client, upstream, "upload");
    forward(upstream, client, "download");
    for (const s of [client, upstream]) {
      s.on("error", kill);
      s.on("close", () => {
        sockets.delete(s);
        kill();
      });
    }
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
  };
  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
  await listen(0);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    get cuts() {
      return cuts;
    },
    cut(next) {
      rule = { ...next };
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
    async restart() {
      server = createServer(onConnection);
      await listen(port);
    },
  };
}
