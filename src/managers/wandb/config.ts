/**
 * W&B configuration as W&B users already have it: explicit options, then `WANDB_API_KEY`,
 * `WANDB_BASE_URL`, `WANDB_ENTITY`, `WANDB_PROJECT`, then W&B's settings file
 * (`$WANDB_CONFIG_DIR/settings`, else `~/.config/wandb/settings`: `base_url`, `entity`, `project`, as
 * `wandb login --host` writes it), then `~/.netrc` (or `$NETRC`) for the API key.
 * See ../shared/wandb/PROTOCOL.md section 1.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ArtifactError } from "../../errors.js";

/** The public W&B cloud API. */
export const DEFAULT_WANDB_BASE_URL = "https://api.wandb.ai";
/** The project the W&B SDK falls back to. */
export const DEFAULT_WANDB_PROJECT = "uncategorized";

/** Where to find credentials and the target project; every field falls back to the W&B environment. */
export interface WandbConfigOptions {
  /** API key. @default `WANDB_API_KEY`, else the netrc password for the base URL's host */
  apiKey?: string;
  /** API base URL, e.g. a self-hosted server. @default `WANDB_BASE_URL`, else `https://api.wandb.ai` */
  baseUrl?: string;
  /** Entity (user or team). @default `WANDB_ENTITY`, else the viewer's default entity from the server */
  entity?: string;
  /** Project. @default `WANDB_PROJECT`, else `"uncategorized"` */
  project?: string;
  /** Environment to read instead of `process.env` (tests). @default process.env */
  env?: Record<string, string | undefined>;
  /** netrc file to read. @default `$NETRC`, else `~/.netrc` */
  netrcPath?: string;
  /**
   * W&B's settings file (INI, section `[default]`: `base_url`, `entity`, `project`), read below the
   * environment as the SDK does. @default `$WANDB_CONFIG_DIR/settings`, else `~/.config/wandb/settings`
   */
  settingsPath?: string;
}

/** Resolved configuration. `entity` may still be unknown (asked from the server on first use). */
export interface WandbConfig {
  apiKey: string;
  baseUrl: string;
  entity?: string;
  project: string;
}

/** Resolves options + environment + netrc. Throws `UNAUTHENTICATED` when no API key is found. */
export function resolveWandbConfig(options: WandbConfigOptions = {}): WandbConfig {
  const env = options.env ?? process.env;
  const settingsPath =
    options.settingsPath ??
    join(nonEmpty(env.WANDB_CONFIG_DIR) ?? join(homedir(), ".config", "wandb"), "settings");
  const file = readWandbSettings(settingsPath);
  const baseUrl = normaliseBaseUrl(
    options.baseUrl ?? nonEmpty(env.WANDB_BASE_URL) ?? nonEmpty(file.base_url) ?? DEFAULT_WANDB_BASE_URL,
  );
  const netrcPath = options.netrcPath ?? nonEmpty(env.NETRC) ?? join(homedir(), ".netrc");
  const apiKey =
    nonEmpty(options.apiKey) ??
    nonEmpty(env.WANDB_API_KEY) ??
    readNetrcPassword(netrcPath, new URL(baseUrl).host);
  if (apiKey === undefined) {
    throw new ArtifactError(
      "UNAUTHENTICATED",
      `no W&B API key for ${baseUrl}: pass \`apiKey\`, set WANDB_API_KEY, or add it to ${netrcPath} (run \`wandb login\`)`,
      { context: { backend: "wandb", operation: "config" } },
    );
  }
  const entity = nonEmpty(options.entity) ?? nonEmpty(env.WANDB_ENTITY) ?? nonEmpty(file.entity);
  const project =
    nonEmpty(options.project) ??
    nonEmpty(env.WANDB_PROJECT) ??
    nonEmpty(file.project) ??
    DEFAULT_WANDB_PROJECT;
  return { apiKey, baseUrl, project, ...(entity === undefined ? {} : { entity }) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function normaliseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `invalid W&B base URL ${JSON.stringify(raw)}: use an http(s) URL such as https://api.wandb.ai`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ArtifactError("INVALID_ARGUMENT", `W&B base URL ${JSON.stringify(raw)} must use http or https`);
  }
  // the SDK's check (Settings.validate_base_url): wandb.ai and app.wandb.ai are the web UI, not the API
  if (/wandb\.ai[^.]*$/.test(raw) && !raw.includes("api.")) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `${raw} is not a valid W&B server address, did you mean https://api.wandb.ai?`,
    );
  }
  if (/wandb\.ai[^.]*$/.test(raw) && !raw.startsWith("https")) {
    throw new ArtifactError(
      "INVALID_ARGUMENT",
      `${raw}: http is not secure, please use https://api.wandb.ai`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

/**
 * The `[default]` section of W&B's settings file (Python configparser syntax: `key = value` or
 * `key: value`, keys case-insensitive, `#`/`;` comment lines); empty when the file is missing or
 * unreadable, as the SDK treats it.
 */
export function readWandbSettings(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return {};
  }
  return parseWandbSettings(text);
}

/** Parses settings-file text into the `[default]` section's keys (lower-cased) and values. */
export function parseWandbSettings(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  let section: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    const header = /^\[(.*)\]$/.exec(trimmed);
    if (header) {
      section = header[1];
      continue;
    }
    const pair = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (section === "default" && pair?.[1] !== undefined && /^\S/.test(line)) {
      result[pair[1].toLowerCase()] = pair[2] ?? "";
    }
  }
  return result;
}

/** The `password` of the netrc entry for `host` (or the `default` entry); undefined when absent. */
export function readNetrcPassword(path: string, host: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  return parseNetrc(text).get(host) ?? parseNetrc(text).get("") ?? undefined;
}

/** Parses netrc text into host → password (`""` is the `default` entry). */
export function parseNetrc(text: string): Map<string, string> {
  const tokens = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join(" ")
    .split(/\s+/)
    .filter(Boolean);
  const result = new Map<string, string>();
  let machine: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === "machine") machine = tokens[++i];
    else if (token === "default") machine = "";
    else if (token === "password" && machine !== undefined) {
      const password = tokens[++i];
      if (password !== undefined && !result.has(machine)) result.set(machine, password);
    } else if (token === "login" || token === "account") i++;
  }
  return result;
}
