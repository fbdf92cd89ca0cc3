/** Previews of a file's first bytes: text, pretty JSON, the first rows of a CSV, images, a hex dump. */
import { formatSize } from "./format.js";
import { type Html, html } from "./html.js";

/** Bytes read for a preview. */
export const PREVIEW_BYTES = 256 << 10;
/** JSON up to this size is parsed and pretty-printed. */
export const JSON_PREVIEW_BYTES = 2 << 20;
/** Rows of a CSV preview. */
export const CSV_ROWS = 50;

/** Image types shown inline (never SVG, which can carry scripts). */
export const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  bmp: "image/bmp",
  avif: "image/avif",
};

/** The extension of a path, lower case. */
export function extensionOf(path: string): string {
  const base = path.split("/").at(-1) ?? "";
  const dot = base.lastIndexOf(".");
  return dot <= 0 ? "" : base.slice(dot + 1).toLowerCase();
}

/** Whether bytes look like text: no NUL in the first 8 KiB, and valid UTF-8 (a cut last character allowed). */
export function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 8192);
  if (head.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, Math.max(0, bytes.byteLength - 4)));
    return true;
  } catch {
    return false;
  }
}

/** Parses CSV (RFC 4180 quotes) into at most `maxRows` rows. */
export function parseCsv(text: string, maxRows: number, separator = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < maxRows; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === separator) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if ((field !== "" || row.length > 0) && rows.length < maxRows) rows.push([...row, field]);
  return rows;
}

function csvTable(rows: string[][], truncated: boolean): Html {
  const [header = [], ...body] = rows;
  return html`<div class="scroll" role="region" aria-label="CSV preview" tabindex="0"><table>
<thead><tr>${header.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${body.map((r) => html`<tr>${r.map((v) => html`<td>${v}</td>`)}</tr>`)}</tbody></table></div>
<p class="muted">${truncated ? `First ${body.length} rows.` : `${body.length} rows.`}</p>`;
}

function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.byteLength; at += 16) {
    const row = bytes.subarray(at, at + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, "0")).join(" ");
    const text = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${at.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${text}`);
  }
  return lines.join("\n");
}

/** The preview of a file from its first bytes (`head`) and its full size. */
export function renderPreview(path: string, size: number, head: Uint8Array): Html {
  const ext = extensionOf(path);
  const truncated = head.byteLength < size;
  if (size === 0) return html`<p class="muted">Empty file.</p>`;
  if (!looksLikeText(head)) {
    return html`<p class="muted">Binary file (${formatSize(size)}). First bytes:</p>
<pre tabindex="0" aria-label="Hex dump">${hexDump(head.subarray(0, 256))}</pre>`;
  }
  const text = new TextDecoder().decode(head);
  if (ext === "json" && !truncated) {
    try {
      return html`<pre class="wrap" tabindex="0" aria-label="JSON preview">${JSON.stringify(JSON.parse(text), null, 2)}</pre>`;
    } catch {
      // Not valid JSON: shown as text below.
    }
  }
  if (ext === "csv" || ext === "tsv")
    return csvTable(parseCsv(text, CSV_ROWS + 1, ext === "tsv" ? "\t" : ","), truncated);
  return html`<pre class="wrap" tabindex="0" aria-label="Text preview">${text}</pre>
${truncated ? html`<p class="muted">First ${formatSize(head.byteLength)} of ${formatSize(size)}.</p>` : ""}`;
}
