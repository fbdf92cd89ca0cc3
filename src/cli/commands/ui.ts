/** `artifacts ui`: serves the web UI over the store until Ctrl-C. */
import { spawn } from "node:child_process";
import { ArtifactError, startUiServer } from "../../index.js";
import {
  type CommandContext,
  type CommandInput,
  defineCommand,
  flagOption,
  stringOption,
} from "../command.js";

/** What `ui` returns once stopped. */
export interface UiResult {
  url: string;
}

/** The default port (a fixed one, so a bookmark keeps working; `--port 0` picks a free one). */
export const DEFAULT_UI_PORT = 8765;

function portOption(value: string | undefined): number {
  if (value === undefined) return DEFAULT_UI_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new ArtifactError("INVALID_ARGUMENT", `--port must be an integer from 0 to 65535, got '${value}'`);
  }
  return port;
}

/** Opens `url` in the desktop's browser; a failure only leaves the URL printed. */
function openBrowser(url: string): void {
  const command =
    process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
  const child = spawn(command, [url], { stdio: "ignore", detached: true });
  child.on("error", () => {});
  child.unref();
}

/** Starts the server, prints its URL, and waits for Ctrl-C (the context's signal) to stop it. */
export async function runUi(context: CommandContext, input: CommandInput): Promise<UiResult> {
  const host = stringOption(input.values, "host") ?? "127.0.0.1";
  const port = portOption(stringOption(input.values, "port"));
  const server = await startUiServer({ manager: context.manager, storeLabel: context.store, host, port });
  try {
    // The one line a long-running command prints before its result: where to point the browser.
    process.stdout.write(`artifacts ui: serving ${context.store} at ${server.url} (Ctrl-C to stop)\n`);
    if (flagOption(input.values, "open")) openBrowser(server.url);
    await new Promise<void>((resolve) => {
      if (context.signal.aborted) resolve();
      context.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    await server.close();
  }
  return { url: server.url };
}

/** The `ui` command. */
export const uiCommand = defineCommand<UiResult>({
  name: "ui",
  summary: "Browse the store in a web browser (versions, files, diffs, checkpoints)",
  usage: ["ui [--port N] [--host H] [--open]"],
  description:
    "Serves a local web UI over the store (any store URL, wandb:// too) until Ctrl-C: collections and\n" +
    "artifacts, version timelines, file trees and previews, diffs of two versions (line diffs, tensor\n" +
    "diffs of checkpoints), checkpoint tensor tables. Moving an alias is its only write. It listens on\n" +
    "127.0.0.1 unless --host says otherwise (another host exposes the store to that network).",
  options: {
    port: { type: "string" },
    host: { type: "string" },
    open: { type: "boolean" },
  },
  optionHelp: [
    ["--port N", `TCP port (default ${DEFAULT_UI_PORT}; 0 picks a free one)`],
    ["--host H", "address to listen on (default 127.0.0.1)"],
    ["--open", "open the UI in the desktop's browser"],
  ],
  examples: [
    "ui",
    "ui --store s3://bucket/artifacts --port 0 --open",
    "ui --store wandb://my-team/my-project",
  ],
  positionals: { min: 0, max: 0 },
  run: runUi,
  render: (r) => `artifacts ui: stopped (${r.url})`,
  interruptedNote: (_result, by) => ({ code: "UI_STOPPED", message: `${by}: the UI server stopped` }),
});
