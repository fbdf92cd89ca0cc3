/**
 * Serves the W&B emulator by hand: `npm run wandb-emulator -- --port 8080 --api-key KEY [--verbose]`, then use
 * `WANDB_BASE_URL=http://127.0.0.1:8080 WANDB_API_KEY=KEY` with `WandbArtifactManager` or `wandb://` URLs.
 */
import { parseArgs } from "node:util";
import { startWandbEmulator } from "../test/wandb-emulator/server.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8080" },
    "api-key": { type: "string" },
    entity: { type: "string", default: "emulator-user" },
    verbose: { type: "boolean", default: false },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`--port must be a port number, got ${values.port}\n`);
  process.exit(2);
}
const emulator = await startWandbEmulator({
  port,
  entity: values.entity,
  ...(values.verbose ? { log: (line: string) => process.stderr.write(`${line}\n`) } : {}),
  ...(values["api-key"] === undefined ? {} : { apiKey: values["api-key"] }),
});
process.stdout.write(
  `W&B emulator on ${emulator.url} (entity ${emulator.entity}; in memory, lost on exit)\n` +
    `  export WANDB_BASE_URL=${emulator.url}\n  export WANDB_API_KEY=${emulator.apiKey}\n`,
);
const stop = () => void emulator.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
