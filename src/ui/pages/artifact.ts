/** `/c/<collection>/a/<name>`: the versions of an artifact as a timeline, newest first, paged. */

import { ArtifactError } from "../../errors.js";
import { DEFAULT_LISTING_CONCURRENCY, mapConcurrent } from "../../util/map-concurrent.js";
import { type PageContext, type PageResult, pageParam } from "../context.js";
import { formatDate, formatSize } from "../format.js";
import { html } from "../html.js";
import { href } from "../paths.js";
import { pageOf } from "../store-access.js";
import { aliasTags, artifactCrumbs, compactJson, pager, scrollTable } from "./common.js";

/** The timeline page. */
export async function artifactPage(ctx: PageContext, collection: string, name: string): Promise<PageResult> {
  const { manager } = ctx.store;
  const options = { collection, signal: ctx.signal };
  const [versions, aliases] = await Promise.all([
    manager.listVersions(name, options),
    manager.listAliases(name, options),
  ]);
  if (versions.length === 0) {
    throw new ArtifactError("NOT_FOUND", `collection '${collection}' has no artifact '${name}'`);
  }
  const newestFirst = [...versions].reverse();
  const page = pageOf(newestFirst, pageParam(ctx.query), ctx.pageSize);
  const records = await mapConcurrent(
    page.items,
    (version) => manager.getVersion(name, { ...options, version }),
    {
      concurrency: DEFAULT_LISTING_CONCURRENCY,
      signal: ctx.signal,
    },
  );
  const latest = versions.at(-1);
  const rows = records.map((r) => {
    const index = versions.indexOf(r.version);
    const previous = index > 0 ? versions[index - 1] : undefined;
    const size = r.files.reduce((sum, f) => sum + f.size, 0);
    return html`<tr>
<th scope="row"><a href="${href.version(collection, name, r.version)}">${r.version}</a></th>
<td class="date">${formatDate(r.createdAt)}</td>
<td class="num">${formatSize(size)}</td>
<td class="num">${r.files.length}</td>
<td>${aliasTags(aliases, r.version, r.version === latest)}</td>
<td>${r.description ?? ""}</td>
<td class="mono">${compactJson(r.metadata)}</td>
<td>${r.producer ? `${r.producer.name} ${r.producer.version}` : r.legacy ? "legacy (no record)" : ""}</td>
<td>${previous ? html`<a href="${href.diff(collection, name, previous, r.version)}" aria-label="Compare ${previous} with ${r.version}">diff ${previous}</a>` : ""}</td>
</tr>`;
  });
  const options2 = newestFirst.map((v) => html`<option>${v}</option>`);
  const body = html`<h1>${name}</h1>
<p class="muted">${versions.length} version${versions.length === 1 ? "" : "s"} in collection ${collection}</p>
${scrollTable(
  `Versions of ${name}`,
  html`<table>
<thead><tr><th scope="col">Version</th><th scope="col">Logged</th><th scope="col" class="num">Size</th><th scope="col" class="num">Files</th><th scope="col">Aliases</th><th scope="col">Description</th><th scope="col">Metadata</th><th scope="col">Producer</th><th scope="col">Compare</th></tr></thead>
<tbody>${rows}</tbody></table>`,
)}
${pager(page, (n) => href.artifact(collection, name, n), "Version")}
${
  versions.length > 1
    ? html`<h2 id="compare">Compare two versions</h2>
<form class="inline" method="get" action="${href.diff(collection, name, "", "").split("?")[0]}" aria-labelledby="compare">
<label>From <select name="a">${newestFirst.map((v, i) => html`<option${i === 1 ? html` selected` : ""}>${v}</option>`)}</select></label>
<label>To <select name="b">${options2}</select></label>
<button type="submit">Compare</button>
</form>`
    : ""
}`;
  return {
    kind: "page",
    title: name,
    crumbs: artifactCrumbs(collection, name).slice(0, 2).concat({ label: name }),
    body,
  };
}
