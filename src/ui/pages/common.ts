/** Pieces several pages share: alias tags, pagers, fact lists, JSON blocks, crumbs. */

import { type Html, html } from "../html.js";
import type { Crumb } from "../layout.js";
import { href } from "../paths.js";
import type { Page } from "../store-access.js";

/** Aliases pointing at `version`, as tags. */
export function aliasTags(aliases: Record<string, string>, version: string, latest?: boolean): Html {
  const names = Object.entries(aliases)
    .filter(([, v]) => v === version)
    .map(([alias]) => alias)
    .sort();
  return html`${latest ? html`<span class="tag latest">latest</span>` : ""}${names.map((n) => html`<span class="tag">${n}</span>`)}`;
}

/** Previous / next links of a paged listing. */
export function pager(page: Page<unknown>, link: (page: number) => string, label: string): Html {
  if (page.pages <= 1) return html``;
  return html`<nav class="pager" aria-label="${label} pages">
${page.page > 1 ? html`<a href="${link(page.page - 1)}" rel="prev">← Previous</a>` : ""}
<span>Page ${page.page} of ${page.pages} (${page.total} in all)</span>
${page.page < page.pages ? html`<a href="${link(page.page + 1)}" rel="next">Next →</a>` : ""}
</nav>`;
}

/** A definition list of facts; empty values are left out. */
export function facts(rows: [string, Html | string | number | undefined][]): Html {
  const shown = rows.filter(([, v]) => v !== undefined && v !== "");
  return html`<dl class="facts">${shown.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

/** Pretty JSON in a scrollable, keyboard-focusable block. */
export function jsonBlock(value: unknown, label: string): Html {
  return html`<pre class="wrap" tabindex="0" aria-label="${label}">${JSON.stringify(value, null, 2)}</pre>`;
}

/** A table in a horizontally scrollable region that the keyboard can reach. */
export function scrollTable(label: string, table: Html): Html {
  return html`<div class="scroll" role="region" aria-label="${label}" tabindex="0">${table}</div>`;
}

/** Breadcrumbs down to an artifact (and a version). */
export function artifactCrumbs(collection: string, name: string, version?: string): Crumb[] {
  const crumbs: Crumb[] = [
    { label: "Store", href: href.start() },
    { label: collection, href: href.collection(collection) },
    { label: name, href: href.artifact(collection, name) },
  ];
  if (version !== undefined) crumbs.push({ label: version, href: href.version(collection, name, version) });
  return crumbs;
}

/** One line of user metadata: compact JSON, cut at `max` characters. */
export function compactJson(value: unknown, max = 160): string {
  if (value === undefined) return "";
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
