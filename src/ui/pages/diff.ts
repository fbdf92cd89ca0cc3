/**
 * `/c/<collection>/a/<name>/diff?a=vA&b=vB[&file=PATH]`: files added, removed and changed between two
 * versions; for one changed file, a line diff (text) or a tensor-level diff (two checkpoints).
 */
import { diffRecords } from "../../core/diff.js";
import type { VersionRecord } from "../../core/types.js";
import { ArtifactError } from "../../errors.js";
import { isCheckpointPath, openCheckpoint, type TensorSlot } from "../checkpoint/open-checkpoint.js";
import { differingElements, hasStats, tensorDifference } from "../checkpoint/tensor-stats.js";
import type { PageContext, PageResult } from "../context.js";
import { formatNumber, formatSize, shortDigest } from "../format.js";
import { type Html, html } from "../html.js";
import { diffLines, hunks, splitLines } from "../line-diff.js";
import { href } from "../paths.js";
import { looksLikeText } from "../preview.js";
import { readHead } from "../store-access.js";
import { artifactCrumbs, scrollTable } from "./common.js";

/** Text files up to this size get a line diff. */
export const LINE_DIFF_BYTES = 1 << 20;

interface DiffTarget {
  collection: string;
  name: string;
  a: VersionRecord;
  b: VersionRecord;
}

/** The diff page. */
export async function diffPage(ctx: PageContext, collection: string, name: string): Promise<PageResult> {
  const va = ctx.query.get("a");
  const vb = ctx.query.get("b");
  if (!va || !vb) throw new ArtifactError("INVALID_ARGUMENT", "a diff needs two versions: ?a=v0&b=v1");
  const options = { collection, signal: ctx.signal };
  const [a, b] = await Promise.all([
    ctx.store.manager.getVersion(name, { ...options, version: va }),
    ctx.store.manager.getVersion(name, { ...options, version: vb }),
  ]);
  const target = { collection, name, a, b };
  const file = ctx.query.get("file");
  const title = `${name}: ${a.version} → ${b.version}`;
  const crumbs = artifactCrumbs(collection, name).concat({ label: `diff ${a.version}…${b.version}` });
  if (file !== null) {
    const body = html`<h1>${title}</h1><p><a href="${href.diff(collection, name, a.version, b.version)}">← all files</a></p>
<h2 class="mono">${file}</h2>${await fileDiff(ctx, target, file)}`;
    return { kind: "page", title: `${file} · ${title}`, crumbs, body };
  }
  return { kind: "page", title, crumbs, body: html`<h1>${title}</h1>${recordDiff(target)}` };
}

function recordDiff({ collection, name, a, b }: DiffTarget): Html {
  const d = diffRecords(a, b);
  const link = (version: string, path: string) => href.file(collection, name, version, path);
  const added = d.added.map(
    (f) =>
      html`<tr class="add"><td>added</td><td class="mono"><a href="${link(b.version, f.path)}">${f.path}</a></td><td class="num"></td><td class="num">${formatSize(f.size)}</td><td></td></tr>`,
  );
  const removed = d.removed.map(
    (f) =>
      html`<tr class="del"><td>removed</td><td class="mono"><a href="${link(a.version, f.path)}">${f.path}</a></td><td class="num">${formatSize(f.size)}</td><td class="num"></td><td></td></tr>`,
  );
  const changed = d.changed.map((c) => {
    const kind = isCheckpointPath(c.path) ? "tensor diff" : "line diff";
    return html`<tr><td>changed</td><td class="mono"><a href="${link(b.version, c.path)}">${c.path}</a></td><td class="num">${formatSize(c.before.size)}</td><td class="num">${formatSize(c.after.size)}</td>
<td><a href="${href.diff(collection, name, a.version, b.version, c.path)}" aria-label="${kind} of ${c.path}">${kind}</a></td></tr>`;
  });
  const summary = `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`;
  if (d.added.length + d.removed.length + d.changed.length === 0) {
    return html`<p class="notice" role="status">No file differs (${d.unchanged} unchanged${d.sameDigest ? ", same artifact digest" : ""}).</p>`;
  }
  return html`<p role="status">${summary}.</p>
${scrollTable(
  "Changed files",
  html`<table class="diff"><thead><tr><th scope="col">Change</th><th scope="col">Path</th><th scope="col" class="num">Size in ${a.version}</th><th scope="col" class="num">Size in ${b.version}</th><th scope="col">Details</th></tr></thead>
<tbody>${removed}${added}${changed}</tbody></table>`,
)}
<p class="muted">Digests: ${a.version} ${shortDigest(a.digest) || "—"}, ${b.version} ${shortDigest(b.digest) || "—"}</p>`;
}

async function fileDiff(ctx: PageContext, target: DiffTarget, path: string): Promise<Html> {
  const { a, b } = target;
  await using fa = await ctx.store.openFile(a, path);
  await using fb = await ctx.store.openFile(b, path);
  if (isCheckpointPath(path)) return tensorDiff(ctx, fa, fb, path);
  if (fa.entry.size > LINE_DIFF_BYTES || fb.entry.size > LINE_DIFF_BYTES) {
    return html`<p class="notice">Files larger than ${formatSize(LINE_DIFF_BYTES)} get no line diff (${formatSize(fa.entry.size)} → ${formatSize(fb.entry.size)}).</p>`;
  }
  const [ha, hb] = await Promise.all([
    readHead(fa, LINE_DIFF_BYTES, ctx.signal),
    readHead(fb, LINE_DIFF_BYTES, ctx.signal),
  ]);
  if (!looksLikeText(ha) || !looksLikeText(hb)) return html`<p class="notice">Binary files differ.</p>`;
  const lines = diffLines(splitLines(ha.toString("utf8")), splitLines(hb.toString("utf8")));
  if (lines === undefined) return html`<p class="notice">Too many lines differ to show a line diff.</p>`;
  const rows = hunks(lines).map((line) =>
    line === null
      ? html`<tr><td class="ln">…</td><td class="ln"></td><td class="code muted">⋯</td></tr>`
      : html`<tr class="${line.op === "+" ? "add" : line.op === "-" ? "del" : ""}"><td class="ln">${line.a ?? ""}</td><td class="ln">${line.b ?? ""}</td><td class="code"><span class="sr-op" aria-label="${line.op === "+" ? "added" : line.op === "-" ? "removed" : "unchanged"}">${line.op}</span> ${line.text}</td></tr>`,
  );
  return scrollTable(
    `Line diff of ${path}`,
    html`<table class="diff"><thead><tr><th scope="col" class="num">${a.version}</th><th scope="col" class="num">${b.version}</th><th scope="col">Line</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

async function tensorDiff(
  ctx: PageContext,
  fa: Awaited<ReturnType<PageContext["store"]["openFile"]>>,
  fb: Awaited<ReturnType<PageContext["store"]["openFile"]>>,
  path: string,
): Promise<Html> {
  const [sa, sb] = await Promise.all([fa.source(), fb.source()]);
  try {
    const [ca, cb] = await Promise.all([openCheckpoint(sa, path), openCheckpoint(sb, path)]);
    const added = [...cb.tensors.keys()].filter((k) => !ca.tensors.has(k));
    const removed = [...ca.tensors.keys()].filter((k) => !cb.tensors.has(k));
    const rows: Html[] = [];
    let same = 0;
    for (const [key, ta] of ca.tensors) {
      const tb = cb.tensors.get(key);
      if (tb === undefined) continue;
      const row = await compareTensors(key, ta, tb, ctx.signal);
      if (row === undefined) same += 1;
      else rows.push(row);
    }
    const list = (keys: string[], cls: string, label: string) =>
      keys.map(
        (k) =>
          html`<tr class="${cls}"><th scope="row" class="mono">${k}</th><td>${label}</td><td colspan="3"></td></tr>`,
      );
    return html`<p role="status">${added.length} tensor${added.length === 1 ? "" : "s"} added, ${removed.length} removed, ${rows.length} changed, ${same} equal.</p>
${scrollTable(
  `Tensor diff of ${path}`,
  html`<table class="diff"><thead><tr><th scope="col">Key</th><th scope="col">Change</th><th scope="col">Before → after</th><th scope="col" class="num">Max abs difference</th><th scope="col" class="num">Elements differing</th></tr></thead>
<tbody>${list(removed, "del", "removed")}${list(added, "add", "added")}${rows}</tbody></table>`,
)}`;
  } finally {
    await Promise.all([sa.close(), sb.close()]);
  }
}

/** A row for a changed tensor, or undefined when equal. Reads both tensors chunk by chunk. */
async function compareTensors(
  key: string,
  a: TensorSlot,
  b: TensorSlot,
  signal: AbortSignal,
): Promise<Html | undefined> {
  const shape = (t: TensorSlot) => `${t.dtype} [${t.shape.join(", ")}]`;
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) {
    const what =
      a.dtype !== b.dtype ? (a.shape.join() !== b.shape.join() ? "dtype and shape" : "dtype") : "shape";
    return html`<tr><th scope="row" class="mono">${key}</th><td>${what} changed</td><td class="mono">${shape(a)} → ${shape(b)}</td><td></td><td></td></tr>`;
  }
  if (!hasStats(a.dtype)) {
    const differing = await differingElements(a, b, signal);
    if (differing === 0) return undefined;
    return html`<tr><th scope="row" class="mono">${key}</th><td>values changed</td><td class="mono">${shape(a)}</td><td class="num">n/a for ${a.dtype}</td><td class="num">${differing} of ${a.numel}</td></tr>`;
  }
  const d = await tensorDifference(a, b, signal);
  if (d.differing === 0) return undefined;
  return html`<tr><th scope="row" class="mono">${key}</th><td>values changed</td><td class="mono">${shape(a)}</td><td class="num">${formatNumber(d.maxAbs)}${d.nanMismatch > 0 ? ` (${d.nanMismatch} NaN mismatches)` : ""}</td><td class="num">${d.differing} of ${a.numel}</td></tr>`;
}
