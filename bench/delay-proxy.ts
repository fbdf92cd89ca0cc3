/**
 * A TCP proxy that holds every chunk DELAY_MS before passing it on, in both directions (order kept):
 * a network round trip of 2 × DELAY_MS in front of a loopback server, for the benchmark's `--delay-ms`.
 * This VM's kernel has no `netem` qdisc, so the delay is added here, in its own process.
 *   node --import tsx bench/delay-proxy.ts LISTEN_PORT TARGET_PORT DELAY_MS
 */
import { connect, createServer, type Socket } from "node:net";

const [listenPort, targetPort, delayMs] = process.argv.slice(2).map(Number);
if (!listenPort || !targetPort || delayMs === undefined || Number.isNaN(delayMs)) {
  process.stderr.write("usage: delay-proxy.ts LISTEN_PORT TARGET_PORT DELAY_MS\n");
  process.exit(2);
}

/** Passes `from`'s bytes and end to `to`, each `delayMs` late (timers of one delay fire in order). */
function delayed(from: Socket, to: Socket): void {
  from.on("data", (chunk) => setTimeout(() => to.write(chunk), delayMs));
  from.on("end", () => setTimeout(() => to.end(), delayMs));
  from.on("error", () => to.destroy());
  from.on("close", () => setTimeout(() => to.destroy(), delayMs));
}

createServer((client) => {
  const server = connect(targetPort, "127.0.0.1");
  client.setNoDelay(true);
  server.setNoDelay(true);
  delayed(client, server);
  delayed(server, client);
}).listen(listenPort, "127.0.0.1", () => process.stdout.write(`listening on ${listenPort}\n`));
