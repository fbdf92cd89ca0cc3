/**
 * The filters of `ls COLLECTION` and `versions NAME`: `--alias ALIAS`, `--since DATE|AGE` and
 * `--meta KEY=VALUE` (repeatable, all must hold), as W&B's and MLflow's search filters are used.
 */

import { parseDurationText } from "../index.js";
import type { OptionSpecs, OptionValues } from "./command.js";
import { stringListOption, stringOption } from "./command.js";
import { parseMetadata } from "./commands/log.js";
import { UsageError } from "./usage-error.js";

/** What versions must be to be listed. */
export interface VersionFilter {
  /** Only the version this alias points at (`latest`: the latest). */
  alias?: string;
  /** Only versions created at or after this time (ms since the epoch); legacy versions have no date. */
  since?: number;
  /** Metadata entries that must be equal, as `--meta` gave them. */
  meta: { key: string; value: unknown }[];
}

/** The options, for a command's `options`. */
export const FILTER_OPTIONS = {
  alias: { type: "string" },
  since: { type: "string" },
  meta: { type: "string", multiple: true },
} satisfies OptionSpecs;

/** The help lines of the options. */
export const FILTER_HELP: [string, string][] = [
  ["--alias ALIAS", "Only the version ALIAS points at (latest: the latest version)"],
  ["--since DATE|AGE", "Only versions created since 2026-11-01 (or an ISO time) or in the last 7d, 12h, 30m"],
  ["--meta KEY=VALUE", "Only versions whose metadata KEY equals VALUE (repeatable: all must match;"],
  ["", "VALUE is read as JSON when it is JSON: lr=0.001, done=true, tag=best)"],
];

/** The filter of a command line; undefined when no filter option was given. */
export function parseVersionFilter(
  values: OptionValues,
  command: string,
  now = Date.now(),
): VersionFilter | undefined {
  const alias = stringOption(values, "alias");
  const since = stringOption(values, "since");
  const meta = stringListOption(values, "meta");
  if (alias === undefined && since === undefined && meta.length === 0) return undefined;
  const filter: VersionFilter = {
    meta: Object.entries(parseMetadata(meta)).map(([key, value]) => ({ key, value })),
  };
  if (alias !== undefined) filter.alias = alias;
  if (since !== undefined) filter.since = parseSince(since, command, now);
  return filter;
}

function parseSince(text: string, command: string, now: number): number {
  const age = parseDurationText(text);
  if (age !== undefined) return now - age;
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new UsageError(
      `option '--since' of '${command}' needs a date (2026-11-01, 2026-11-01T12:00Z) or an age (7d, 12h, 30m, 2w), got '${text}'`,
      command,
    );
  }
  return time;
}

/** Whether a version's record passes the date and metadata parts of the filter (the alias is checked by the caller). */
export function matchesRecord(
  filter: VersionFilter,
  record: { createdAt?: string | undefined; metadata?: Record<string, unknown> | undefined },
): boolean {
  if (filter.since !== undefined) {
    const created = record.createdAt === undefined ? Number.NaN : Date.parse(record.createdAt);
    if (!(created >= filter.since)) return false;
  }
  return filter.meta.every(({ key, value }) => sameValue(record.metadata?.[key], value));
}

/** `--meta epochs=10` matches 10 and "10"; JSON values compare by content. */
function sameValue(stored: unknown, wanted: unknown): boolean {
  if (stored === undefined) return false;
  if (JSON.stringify(stored) === JSON.stringify(wanted)) return true;
  return typeof stored !== "object" && String(stored) === String(wanted);
}
