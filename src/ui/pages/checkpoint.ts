/**
 * `/…/checkpoint/<path>`: a checkpoint's tensors (dtype, shape, size) and values, grouped into model,
 * optimizer, scheduler and extras; statistics of a tensor (or of the page's tensors) on demand.
 */
import { DTYPES } from "../../checkpoint/dtype.js";
import { NdArray } from "../../checkpoint/numpy-arrays.js";
import { Tensor } from "../../checkpoint/tensor.js";
import { GlobalRef, PickledObject, PyFloat } from "../../checkpoint/values.js";
import { isTensorSlot, openCheckpoint, type TensorSlot, walkTree } from "../checkpoint/open-checkpoint.js";
import { hasStats, type TensorStats, tensorStats } from "../checkpoint/tensor-stats.js";
import { type PageContext, type PageResult, pageParam } from "../context.js";
import { formatNumber, formatSize } from "../format.js";
import { type Html, html } from "../html.js";
import { href } from "../paths.js";
import { pageOf } from "../store-access.js";
import { artifactCrumbs, facts, pager, scrollTable } from "./common.js";

const ROWS_PER_PAGE = 400;

/** A leaf of the checkpoint: a tensor, or a value shown as text. */
type Leaf =
  | { key: string; section: string; tensor: TensorSlot }
  | { key: string; section: string; value: string };

/** The section a key belongs to, from its first component. */
export function sectionOf(key: string, flat: boolean): string {
  if (flat) return "Tensors";
  const top = (/^[^.[]*/.exec(key)?.[0] ?? "").toLowerCase();
  if (["model", "state_dict", "model_state_dict", "module", "ema", "model_ema"].includes(top)) return "Model";
  if (top.includes("optim")) return "Optimizer";
  if (top.includes("scheduler") || top.includes("lr_sched")) return "Scheduler";
  return "Extras";
}

/** A short text for a non-tensor value. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value instanceof PyFloat) return formatNumber(value.value);
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string")
    return value.length > 200 ? `${JSON.stringify(value.slice(0, 200))}…` : JSON.stringify(value);
  if (typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (value instanceof GlobalRef) return value.fullName;
  if (value instanceof Uint8Array) return `bytes (${value.byteLength})`;
  if (value instanceof NdArray) return `numpy ${value.dtype} [${value.shape.join(", ")}]`;
  if (value instanceof PickledObject) return `${value.className} object`;
  if (value instanceof Set) return `set of ${value.size}`;
  if (Array.isArray(value)) return "[] (empty)";
  if (typeof value === "object")
    return Object.keys(value).length === 0 ? "{} (empty)" : (value.constructor?.name ?? "object");
  return String(value);
}

/** Every leaf of an opened checkpoint, in tree order. */
function leavesOf(tree: unknown, tensors: Map<string, TensorSlot>): Leaf[] {
  const raw: { key: string; tensor?: TensorSlot; value?: unknown }[] = [];
  walkTree(tree, "", (key, value) => {
    const slot = value instanceof Tensor ? tensors.get(key) : isTensorSlot(value) ? value : undefined;
    raw.push(slot ? { key, tensor: slot } : { key, value });
  });
  const flat = raw.every((leaf) => leaf.tensor !== undefined);
  return raw.map((leaf) => {
    const section = sectionOf(leaf.key, flat);
    return leaf.tensor
      ? { key: leaf.key, section, tensor: leaf.tensor }
      : { key: leaf.key, section, value: describeValue(leaf.value) };
  });
}

function statCells(stats: TensorStats | undefined | "n/a"): Html {
  if (stats === undefined) return html`<td colspan="5"></td>`;
  if (stats === "n/a") return html`<td colspan="5" class="muted">no statistics for this dtype</td>`;
  const n = (v: number | undefined) => (v === undefined ? "—" : formatNumber(v));
  return html`<td class="num">${n(stats.min)}</td><td class="num">${n(stats.max)}</td><td class="num">${n(stats.mean)}</td><td class="num">${stats.nan}</td><td class="num">${stats.inf}</td>`;
}

/** The checkpoint page. */
export async function checkpointPage(
  ctx: PageContext,
  target: { collection: string; name: string; version: string; path: string },
): Promise<PageResult> {
  const { collection, name, version, path } = target;
  const record = await ctx.store.manager.getVersion(name, { collection, version, signal: ctx.signal });
  if (record.version !== version)
    return { kind: "redirect", location: href.checkpoint(collection, name, record.version, path) };
  await using file = await ctx.store.openFile(record, path);
  const src = await file.source();
  try {
    const opened = await openCheckpoint(src, path);
    const leaves = pageOf(leavesOf(opened.tree, opened.tensors), pageParam(ctx.query), ROWS_PER_PAGE);
    const want = ctx.query.get("stats");
    const stats = new Map<string, TensorStats | "n/a">();
    for (const leaf of leaves.items) {
      if (!("tensor" in leaf) || (want !== "all" && want !== leaf.key)) continue;
      stats.set(leaf.key, hasStats(leaf.tensor.dtype) ? await tensorStats(leaf.tensor, ctx.signal) : "n/a");
    }
    const self = href.checkpoint(collection, name, version, path);
    const pageQuery = leaves.page > 1 ? `page=${leaves.page}&` : "";
    const sections = new Map<string, Leaf[]>();
    for (const leaf of leaves.items)
      sections.set(leaf.section, [...(sections.get(leaf.section) ?? []), leaf]);
    const order = ["Tensors", "Model", "Optimizer", "Scheduler", "Extras"];
    const rendered = [...sections.entries()]
      .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
      .map(([section, items]) =>
        renderSection(section, items, stats, (key) => `${self}?${pageQuery}stats=${encodeURIComponent(key)}`),
      );
    const totalBytes = [...opened.tensors.values()].reduce((sum, t) => sum + t.nbytes, 0);
    const body = html`<h1 class="mono">${path}</h1>
${facts([
  [
    "Format",
    { "torch-zip": "torch.save (zip)", "torch-legacy": "torch.save (legacy)", safetensors: "safetensors" }[
      opened.format
    ],
  ],
  ["Tensors", String(opened.tensors.size)],
  ["Tensor bytes", formatSize(totalBytes)],
  ["File", html`<a href="${href.file(collection, name, version, path)}">${formatSize(file.entry.size)}</a>`],
])}
${opened.metadata && Object.keys(opened.metadata).length > 0 ? html`<h2>Metadata</h2>${scrollTable("safetensors metadata", html`<table><tbody>${Object.entries(opened.metadata).map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</tbody></table>`)}` : ""}
<form class="inline" method="get" action="${self}">
${leaves.page > 1 ? html`<input type="hidden" name="page" value="${leaves.page}">` : ""}
<input type="hidden" name="stats" value="all">
<button type="submit" class="secondary">Compute statistics for the tensors on this page</button>
</form>
${rendered}
${pager(leaves, (n) => `${self}?page=${n}`, "Checkpoint")}`;
    const crumbs = artifactCrumbs(collection, name, version).concat(
      { label: path, href: href.file(collection, name, version, path) },
      { label: "checkpoint" },
    );
    return { kind: "page", title: `${path} tensors`, crumbs, body };
  } finally {
    await src.close();
  }
}

function renderSection(
  section: string,
  items: Leaf[],
  stats: Map<string, TensorStats | "n/a">,
  statsLink: (key: string) => string,
): Html {
  const tensors = items.filter((l): l is Extract<Leaf, { tensor: TensorSlot }> => "tensor" in l);
  const values = items.filter((l): l is Extract<Leaf, { value: string }> => "value" in l);
  const id = `s-${section.toLowerCase()}`;
  const tensorTable =
    tensors.length === 0
      ? ""
      : scrollTable(
          `${section} tensors`,
          html`<table><thead><tr><th scope="col">Key</th><th scope="col">dtype</th><th scope="col">Shape</th><th scope="col" class="num">Elements</th><th scope="col" class="num">Size</th><th scope="col" class="num">Min</th><th scope="col" class="num">Max</th><th scope="col" class="num">Mean</th><th scope="col" class="num">NaN</th><th scope="col" class="num">Inf</th></tr></thead>
<tbody>${tensors.map(
            ({ key, tensor }) => html`<tr>
<th scope="row" class="mono">${key}</th><td>${tensor.dtype}</td><td class="mono">[${tensor.shape.join(", ")}]</td>
<td class="num">${tensor.numel}</td><td class="num">${formatSize(tensor.numel * DTYPES[tensor.dtype].size)}</td>
${stats.has(key) ? statCells(stats.get(key)) : html`<td colspan="5"><a href="${statsLink(key)}" aria-label="Statistics of ${key}">statistics</a></td>`}
</tr>`,
          )}</tbody></table>`,
        );
  const valueTable =
    values.length === 0
      ? ""
      : scrollTable(
          `${section} values`,
          html`<table><thead><tr><th scope="col">Key</th><th scope="col">Value</th></tr></thead>
<tbody>${values.map(({ key, value }) => html`<tr><th scope="row" class="mono">${key}</th><td class="mono">${value}</td></tr>`)}</tbody></table>`,
        );
  return html`<section aria-labelledby="${id}"><h2 id="${id}">${section} <span class="muted">(${tensors.length} tensor${tensors.length === 1 ? "" : "s"}${values.length > 0 ? `, ${values.length} value${values.length === 1 ? "" : "s"}` : ""})</span></h2>
${tensorTable}${values.length > 0 && tensors.length > 0 ? html`<p></p>` : ""}${valueTable}</section>`;
}
