/** `/c/<collection>/a/<name>/v/<version>`: one version — facts, metadata, aliases, provenance, file tree. */
import type { FileEntry, VersionRecord } from "../../core/types.js";
import { isCheckpointPath } from "../checkpoint/open-checkpoint.js";
import { type PageContext, type PageResult, pageParam } from "../context.js";
import { formatDate, formatSize, redactUrl, shortDigest } from "../format.js";
import { type Html, html } from "../html.js";
import { href } from "../paths.js";
import { pageOf } from "../store-access.js";
import { aliasTags, artifactCrumbs, facts, jsonBlock, pager, scrollTable } from "./common.js";

const FILES_PER_PAGE = 500;

/** Rows of a file tree: a folder row whenever the folder changes, then the file, indented. */
function treeRows(ctx: { collection: string; name: string; version: string }, files: FileEntry[]): Html[] {
  const rows: Html[] = [];
  let folder: string[] = [];
  for (const file of files) {
    const parts = file.path.split("/");
    const dirs = parts.slice(0, -1);
    let same = 0;
    while (same < dirs.length && same < folder.length && dirs[same] === folder[same]) same += 1;
    for (let d = same; d < dirs.length; d++) {
      rows.push(
        html`<tr class="dir"><td class="path indent-${Math.min(d, 5)}">${dirs[d]}/</td><td></td><td></td><td></td></tr>`,
      );
    }
    folder = dirs;
    const base = parts.at(-1) ?? file.path;
    const { collection, name, version } = ctx;
    const extra = isCheckpointPath(file.path)
      ? html` · <a href="${href.checkpoint(collection, name, version, file.path)}" aria-label="Checkpoint view of ${file.path}">tensors</a>`
      : "";
    rows.push(html`<tr>
<td class="path indent-${Math.min(dirs.length, 5)}"><a href="${href.file(collection, name, version, file.path)}" aria-label="${file.path}">${base}</a>${extra}</td>
<td class="num">${formatSize(file.size)}</td>
<td class="mono" title="${file.sha256 ?? file.md5 ?? ""}">${file.sha256 ? `sha256:${shortDigest(file.sha256)}` : file.md5 ? `md5:${file.md5}` : ""}</td>
<td class="wide-only">${file.ref ? redactUrl(file.ref) : ""}</td>
</tr>`);
  }
  return rows;
}

/** The provenance a record carries, if any: a `provenance` key (newer records) or metadata's. */
function provenanceOf(record: VersionRecord): unknown {
  const own = (record as unknown as { provenance?: unknown }).provenance;
  return own ?? (record.metadata as { provenance?: unknown } | undefined)?.provenance;
}

/** The version page. */
export async function versionPage(
  ctx: PageContext,
  collection: string,
  name: string,
  version: string,
): Promise<PageResult> {
  const { manager } = ctx.store;
  const options = { collection, signal: ctx.signal };
  const [record, aliases, versions] = await Promise.all([
    manager.getVersion(name, { ...options, version }),
    manager.listAliases(name, options),
    manager.listVersions(name, options),
  ]);
  if (record.version !== version) {
    return { kind: "redirect", location: href.version(collection, name, record.version) };
  }
  const index = versions.indexOf(version);
  const previous = index > 0 ? versions[index - 1] : undefined;
  const total = record.files.reduce((sum, f) => sum + f.size, 0);
  const files = pageOf(record.files, pageParam(ctx.query), FILES_PER_PAGE);
  const provenance = provenanceOf(record);
  const moved = ctx.query.get("moved");
  const body = html`<h1>${name}:${version} ${aliasTags(aliases, version, version === versions.at(-1))}</h1>
${moved ? html`<p class="notice" role="status">Alias <strong>${moved}</strong> now points at ${version}.</p>` : ""}
${facts([
  ["Logged", formatDate(record.createdAt)],
  ["Files", String(record.files.length)],
  ["Size", formatSize(total)],
  [
    "Digest",
    record.digest
      ? html`<span class="mono">${record.digest}</span>`
      : record.legacy
        ? "none (legacy version without a record)"
        : undefined,
  ],
  ["Description", record.description],
  ["Producer", record.producer ? `${record.producer.name} ${record.producer.version}` : undefined],
  [
    "Compare",
    previous
      ? html`<a href="${href.diff(collection, name, previous, version)}">diff with ${previous}</a>`
      : undefined,
  ],
])}
${record.metadata && Object.keys(record.metadata).length > 0 ? html`<h2>Metadata</h2>${jsonBlock(record.metadata, "Metadata")}` : ""}
${provenance === undefined ? "" : html`<h2>Provenance</h2>${jsonBlock(provenance, "Provenance")}`}
<h2 id="files">Files</h2>
${scrollTable(
  "Files",
  html`<table class="tree"><thead><tr><th scope="col">Path</th><th scope="col" class="num">Size</th><th scope="col">Digest</th><th scope="col" class="wide-only">Reference</th></tr></thead>
<tbody>${treeRows({ collection, name, version }, files.items)}</tbody></table>`,
)}
${pager(files, (n) => `${href.version(collection, name, version)}?page=${n}#files`, "File")}
<h2 id="alias-form">Point an alias at ${version}</h2>
<form class="inline" method="get" action="${href.aliasConfirm(collection, name)}" aria-labelledby="alias-form">
<input type="hidden" name="version" value="${version}">
<label>Alias <input name="alias" required list="aliases" autocomplete="off" placeholder="production"></label>
<datalist id="aliases">${Object.keys(aliases).map((a) => html`<option value="${a}">`)}</datalist>
<button type="submit">Review the move…</button>
</form>`;
  return {
    kind: "page",
    title: `${name}:${version}`,
    crumbs: artifactCrumbs(collection, name, version),
    body,
  };
}
