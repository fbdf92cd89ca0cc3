/** The start page (collections with their first artifacts) and one collection's paged artifacts. */
import { type PageContext, type PageResult, pageParam } from "../context.js";
import { formatDate, formatSize } from "../format.js";
import { type Html, html } from "../html.js";
import { href } from "../paths.js";
import type { ArtifactSummary, Page } from "../store-access.js";
import { aliasTags, pager, scrollTable } from "./common.js";

function artifactTable(collection: string, page: Page<ArtifactSummary>): Html {
  if (page.total === 0) return html`<p class="muted">No artifacts in this collection.</p>`;
  const rows = page.items.map((a) => {
    const latest = a.latest;
    const size = latest?.files.reduce((sum, f) => sum + f.size, 0);
    return html`<tr>
<td><a href="${href.artifact(collection, a.name)}">${a.name}</a></td>
<td class="num">${a.versions}</td>
<td>${latest ? html`<a href="${href.version(collection, a.name, latest.version)}">${latest.version}</a>` : html`<span class="muted">none</span>`}</td>
<td class="wide-only date">${formatDate(latest?.createdAt)}</td>
<td class="num">${size === undefined ? "" : formatSize(size)}</td>
<td>${latest ? aliasTags(a.aliases, latest.version) : ""}${Object.entries(a.aliases)
      .filter(([, v]) => v !== latest?.version)
      .map(([alias, v]) => html`<span class="tag">${alias} → ${v}</span>`)}</td>
</tr>`;
  });
  return scrollTable(
    `Artifacts of ${collection}`,
    html`<table>
<thead><tr><th scope="col">Artifact</th><th scope="col" class="num">Versions</th><th scope="col">Latest</th><th scope="col" class="wide-only">Logged</th><th scope="col" class="num">Size</th><th scope="col">Aliases</th></tr></thead>
<tbody>${rows}</tbody></table>`,
  );
}

/** `/`: every collection with the first page of its artifacts. */
export async function startPage(ctx: PageContext): Promise<PageResult> {
  const collections = await ctx.store.manager.listCollectionNames({ signal: ctx.signal });
  const sections: Html[] = [];
  for (const collection of collections) {
    const page = await ctx.store.artifactPage(collection, 1, ctx.pageSize, ctx.signal);
    sections.push(html`<section aria-labelledby="c-${collection}">
<h2 id="c-${collection}"><a href="${href.collection(collection)}">${collection}</a> <span class="muted">(${page.total} artifact${page.total === 1 ? "" : "s"})</span></h2>
${artifactTable(collection, page)}
${page.pages > 1 ? html`<p><a href="${href.collection(collection, 2)}">More artifacts of ${collection} →</a></p>` : ""}
</section>`);
  }
  const body = html`<h1>Collections</h1>
${collections.length === 0 ? html`<p class="notice">This store holds no artifacts yet. Log one with <code>artifacts log PATH NAME</code>.</p>` : sections}`;
  return { kind: "page", title: "Collections", crumbs: [{ label: "Store" }], body };
}

/** `/c/<collection>?page=N`: one collection's artifacts, paged. */
export async function collectionPage(ctx: PageContext, collection: string): Promise<PageResult> {
  const page = await ctx.store.artifactPage(collection, pageParam(ctx.query), ctx.pageSize, ctx.signal);
  const body = html`<h1>${collection}</h1>
${artifactTable(collection, page)}
${pager(page, (n) => href.collection(collection, n), "Artifact")}`;
  return {
    kind: "page",
    title: collection,
    crumbs: [{ label: "Store", href: href.start() }, { label: collection }],
    body,
  };
}
