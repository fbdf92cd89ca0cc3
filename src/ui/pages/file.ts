/** One file of a version: facts, a download link that streams from the store, a preview; and the download itself. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { isCheckpointPath } from "../checkpoint/open-checkpoint.js";
import type { PageContext, PageResult } from "../context.js";
import { formatSize, redactUrl } from "../format.js";
import { html } from "../html.js";
import { href } from "../paths.js";
import { extensionOf, IMAGE_TYPES, JSON_PREVIEW_BYTES, PREVIEW_BYTES, renderPreview } from "../preview.js";
import { readHead } from "../store-access.js";
import { artifactCrumbs, facts } from "./common.js";

/** The file page. */
export async function filePage(
  ctx: PageContext,
  collection: string,
  name: string,
  version: string,
  path: string,
): Promise<PageResult> {
  const record = await ctx.store.manager.getVersion(name, { collection, version, signal: ctx.signal });
  if (record.version !== version)
    return { kind: "redirect", location: href.file(collection, name, record.version, path) };
  await using file = await ctx.store.openFile(record, path);
  const { entry } = file;
  const ext = extensionOf(path);
  let preview = html`<p class="muted">This file is a reference; its bytes are not in this store.</p>`;
  if (entry.ref === undefined) {
    if (IMAGE_TYPES[ext] !== undefined) {
      preview = html`<img class="preview" src="${href.raw(collection, name, version, path, true)}" alt="Preview of ${path}">`;
    } else if (isCheckpointPath(path)) {
      preview = html`<p><a href="${href.checkpoint(collection, name, version, path)}">Open the checkpoint view</a> (tensors, dtypes, shapes, statistics).</p>`;
    } else {
      const limit = ext === "json" ? JSON_PREVIEW_BYTES : PREVIEW_BYTES;
      preview = renderPreview(path, entry.size, await readHead(file, limit, ctx.signal));
    }
  }
  const body = html`<h1 class="mono">${path}</h1>
${facts([
  ["Version", html`<a href="${href.version(collection, name, version)}">${name}:${version}</a>`],
  ["Size", `${formatSize(entry.size)} (${entry.size} bytes)`],
  ["sha256", entry.sha256 ? html`<span class="mono">${entry.sha256}</span>` : undefined],
  ["md5", entry.md5 ? html`<span class="mono">${entry.md5}</span>` : undefined],
  ["Reference", entry.ref ? redactUrl(entry.ref) : undefined],
])}
${entry.ref === undefined ? html`<p><a href="${href.raw(collection, name, version, path)}" download>Download ${path.split("/").at(-1)}</a></p>` : ""}
<h2>Preview</h2>
${preview}`;
  const crumbs = artifactCrumbs(collection, name, version).concat({ label: path });
  return { kind: "page", title: `${path} · ${name}:${version}`, crumbs, body };
}

/** Streams a file from the store: an attachment, or inline for the image types the preview shows. */
export async function sendRaw(
  ctx: PageContext,
  request: IncomingMessage,
  response: ServerResponse,
  target: { collection: string; name: string; version: string; path: string },
): Promise<PageResult> {
  const { collection, name, version, path } = target;
  const record = await ctx.store.manager.getVersion(name, { collection, version, signal: ctx.signal });
  await using file = await ctx.store.openFile(record, path);
  const image = IMAGE_TYPES[extensionOf(path)];
  const inline = ctx.query.get("inline") === "1" && image !== undefined;
  const stream = await file.stream(undefined, ctx.signal);
  const base = path.split("/").at(-1) ?? "download";
  response.writeHead(200, {
    "content-type": inline ? image : "application/octet-stream",
    "content-length": String(file.entry.size),
    "content-disposition": `${inline ? "inline" : "attachment"}; filename*=UTF-8''${encodeURIComponent(base)}`,
    "content-security-policy": "default-src 'none'; sandbox",
    "cache-control": "private, max-age=3600",
  });
  if (request.method === "HEAD") {
    stream.destroy();
    response.end();
    return { kind: "done" };
  }
  await pipeline(stream, response, { signal: ctx.signal }).catch((error: unknown) => {
    if (!ctx.signal.aborted) throw error;
  });
  return { kind: "done" };
}
