import { describe, expect, it } from "vitest";
import { diffCommand } from "../../src/cli/commands/diff.js";
import { showCommand } from "../../src/cli/commands/show.js";
import { escapeControls, formatBytes, formatDate, formatDuration } from "../../src/cli/output/format.js";
import { createProgressReporter } from "../../src/cli/output/progress.js";
import { formatTable } from "../../src/cli/output/table.js";
import type { ProgressEvent } from "../../src/index.js";

function capture(columns?: number) {
  const chunks: string[] = [];
  return { chunks, stream: { write: (text: string) => chunks.push(text), ...(columns ? { columns } : {}) } };
}

/** A clock the test advances by hand. */
function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const upload: ProgressEvent[] = [
  { type: "start", operation: "upload", files: 2, totalBytes: 3_000_000 },
  { type: "file", path: "a.bin", bytes: 1_000_000, totalBytes: 2_000_000 },
  { type: "file", path: "a.bin", bytes: 2_000_000, totalBytes: 2_000_000 },
  { type: "file-done", path: "a.bin", size: 2_000_000 },
  { type: "file", path: "b.bin", bytes: 1_000_000, totalBytes: 1_000_000 },
  { type: "file-done", path: "b.bin", size: 1_000_000 },
  { type: "done", operation: "upload", files: 2, bytes: 3_000_000 },
];

describe("format", () => {
  it("formats sizes, durations and dates", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1_234_567)).toBe("1.2 MB");
    expect(formatBytes(512_000_000)).toBe("512 MB");
    expect(formatDuration(42)).toBe("42s");
    expect(formatDuration(185)).toBe("3m05s");
    expect(formatDate("2026-11-26T19:30:12.000Z")).toBe("2026-11-26 19:30 UTC");
    expect(formatDate(undefined)).toBe("-");
  });

  it("aligns table columns and right-aligns numbers", () => {
    const text = formatTable(
      [
        { n: "a", s: 1 },
        { n: "long-name", s: 1000 },
      ],
      [
        { header: "NAME", value: (r) => r.n },
        { header: "SIZE", value: (r) => String(r.s), right: true },
      ],
      "none",
    );
    expect(text.split("\n")).toEqual(["NAME       SIZE", "a             1", "long-name  1000"]);
    expect(formatTable([], [], "none")).toBe("none");
  });
});

describe("progress reporter", () => {
  it("draws a bar with bytes, files, rate and ETA on a terminal, then a summary", () => {
    const { chunks, stream } = capture(100);
    const time = clock();
    const reporter = createProgressReporter({ mode: "tty", stream, now: time.now });
    reporter.onProgress(upload[0] as ProgressEvent);
    time.advance(1000);
    reporter.onProgress(upload[1] as ProgressEvent);
    const bar = chunks.at(-1) ?? "";
    expect(bar.startsWith("\r")).toBe(true);
    expect(bar).toContain(" 33%");
    expect(bar).toContain("1.0 MB/3.0 MB");
    expect(bar).toContain("0/2 files");
    expect(bar).toContain("1.0 MB/s");
    expect(bar).toContain("ETA 2s");
    const visible = bar.slice(1, bar.lastIndexOf("\u001b"));
    expect(visible.length).toBeLessThan(100);
    for (const event of upload.slice(2)) reporter.onProgress(event);
    expect(chunks.at(-1)).toMatch(/^uploaded 2 files \(3\.0 MB\) in 1\.0s, 3\.0 MB\/s\n$/);
  });

  it("throttles redraws", () => {
    const { chunks, stream } = capture(80);
    const reporter = createProgressReporter({ mode: "tty", stream, now: () => 0 });
    reporter.onProgress(upload[0] as ProgressEvent);
    const drawn = chunks.length;
    for (let i = 0; i < 50; i += 1) {
      reporter.onProgress({ type: "file", path: "a.bin", bytes: i, totalBytes: 2_000_000 });
    }
    expect(chunks.length).toBe(drawn);
  });

  it("prints plain lines when not a terminal: the start, then the summary", () => {
    const { chunks, stream } = capture();
    const reporter = createProgressReporter({ mode: "lines", stream, now: () => 0 });
    for (const event of upload) reporter.onProgress(event);
    expect(chunks.join("")).not.toContain("\r");
    expect(chunks).toEqual(["upload: 2 files, 3.0 MB\n", expect.stringMatching(/^uploaded 2 files/)]);
  });

  it("when not a terminal, 500 files make a handful of periodic summary lines, not one per file", () => {
    const { chunks, stream } = capture();
    const time = clock();
    const reporter = createProgressReporter({ mode: "lines", stream, now: time.now });
    reporter.onProgress({ type: "start", operation: "download", files: 500, totalBytes: 500_000 });
    for (let i = 0; i < 500; i++) {
      time.advance(50); // 25 s in all: a line every 5 s
      const path = `data/part-${i}.bin`;
      reporter.onProgress({ type: "file", path, bytes: 1000, totalBytes: 1000 });
      reporter.onProgress({ type: "file-done", path, size: 1000 });
    }
    reporter.onProgress({ type: "done", operation: "download", files: 500, bytes: 500_000 });
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    expect(chunks.length).toBeLessThanOrEqual(8);
    expect(chunks[0]).toBe("download: 500 files, 500 kB\n");
    expect(chunks[1]).toMatch(/^ {2}\s*\d+% .* \d+\/500 files/);
    expect(chunks.join("")).not.toContain("part-");
    expect(chunks.at(-1)).toMatch(/^downloaded 500 files \(500 kB\) in 25s/);
  });

  it("prints NDJSON events, each a JSON object on its own line", () => {
    const { chunks, stream } = capture();
    const reporter = createProgressReporter({ mode: "ndjson", stream, now: () => 0 });
    for (const event of upload) reporter.onProgress(event);
    const events = chunks.map((line) => JSON.parse(line));
    expect(events[0]).toEqual(upload[0]);
    expect(events.at(-1)).toEqual(upload.at(-1));
    expect(events.map((e) => e.type)).toContain("file-done");
  });

  it("prints nothing in none mode", () => {
    const { chunks, stream } = capture();
    const reporter = createProgressReporter({ mode: "none", stream });
    for (const event of upload) reporter.onProgress(event);
    expect(chunks).toEqual([]);
  });
});

describe("escapeControls", () => {
  it("shows control characters from a store as \\xNN, keeps newlines, tabs and other text", () => {
    expect(escapeControls("a\u001b[2Jb\u0007c\u009bd")).toBe("a\\x1b[2Jb\\x07c\\x9bd");
    expect(escapeControls("line 1\n\tline 2 — ünïcode ✓")).toBe("line 1\n\tline 2 — ünïcode ✓");
  });
});

describe("big versions (issue 18.17)", () => {
  it("show and diff render 200,000 files without overflowing the stack", () => {
    const files = Array.from({ length: 200_000 }, (_, i) => ({
      path: `shard/${String(i).padStart(6, "0")}.bin`,
      size: i,
      sha256: "ab".repeat(32),
    }));
    const record = { format: 1, name: "big", collection: "default", version: "v0", files } as const;
    const shown = showCommand.render(record);
    const lines = shown.split("\n");
    expect(lines).toContainEqual(expect.stringMatching(/^shard\/199999.bin +200 kB {2}abababababababab$/));
    expect(lines.length).toBeGreaterThan(200_000);
    const diffed = diffCommand.render({
      from: { name: "big", collection: "default", version: "v0" },
      to: { name: "big", collection: "default", version: "v1" },
      added: files.map(({ path, size }) => ({ path, size })),
      removed: [],
      changed: [],
      unchanged: 0,
    });
    expect(diffed.split("\n")).toHaveLength(200_002);
  });
});
