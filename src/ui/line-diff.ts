/** A line diff (Myers' O(ND) algorithm) grouped into hunks with context lines. */

/** One line of a diff: kept, removed (from a) or added (in b), with its line numbers (1-based). */
export interface DiffLine {
  op: " " | "-" | "+";
  text: string;
  a?: number;
  b?: number;
}

/** The edit script from `a` to `b`, or undefined when more than `maxEdits` lines differ. */
export function diffLines(
  a: readonly string[],
  b: readonly string[],
  maxEdits = 2000,
): DiffLine[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number))
          ? (v[offset + k + 1] as number)
          : (v[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x += 1;
        y += 1;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  if (!found) return undefined;
  // Walk the trace back from (n, m) to build the script.
  const out: DiffLine[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d] as Int32Array;
    const k = x - y;
    const prevK =
      k === -d || (k !== d && (vd[offset + k - 1] as number) < (vd[offset + k + 1] as number))
        ? k + 1
        : k - 1;
    const prevX = d === 0 ? 0 : (vd[offset + prevK] as number);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ op: " ", text: a[x - 1] as string, a: x, b: y });
      x -= 1;
      y -= 1;
    }
    if (d > 0) {
      if (x === prevX) out.push({ op: "+", text: b[y - 1] as string, b: y });
      else out.push({ op: "-", text: a[x - 1] as string, a: x });
    }
    x = prevX;
    y = prevY;
  }
  return out.reverse();
}

/** Hunks of changed lines with `context` unchanged lines around each; `null` marks a skipped run. */
export function hunks(lines: DiffLine[], context = 3): (DiffLine | null)[] {
  const keep = new Uint8Array(lines.length);
  lines.forEach((line, i) => {
    if (line.op === " ") return;
    for (let j = Math.max(0, i - context); j <= Math.min(lines.length - 1, i + context); j++) keep[j] = 1;
  });
  const out: (DiffLine | null)[] = [];
  lines.forEach((line, i) => {
    if (keep[i]) out.push(line);
    else if (out.at(-1) !== null) out.push(null);
  });
  return out;
}

/** Splits text into lines (no trailing empty line for a final newline). */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}
