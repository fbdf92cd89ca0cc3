/** Plain-text tables for human output: left-aligned columns, right-aligned numbers, no borders. */

/** A column of a {@link formatTable} table. */
export interface Column<Row> {
  /** Header text. */
  header: string;
  /** The cell text of a row. */
  value: (row: Row) => string;
  /** Right-align the column (sizes, counts). @default false */
  right?: boolean;
  /** Cut cells longer than this many characters with an ellipsis. @default no limit */
  maxWidth?: number;
}

/** Renders rows as an aligned table with a header line; `empty` is printed when there are no rows. */
export function formatTable<Row>(
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  empty: string,
): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((row) => columns.map((column) => clip(column.value(row), column.maxWidth)));
  // A loop, not Math.max(...cells): a spread of 200,000 arguments overflows the stack (issue 18.17).
  const widths = columns.map((column) => column.header.length);
  for (const line of cells) {
    for (let i = 0; i < line.length; i++) widths[i] = Math.max(widths[i] ?? 0, (line[i] as string).length);
  }
  const renderLine = (line: readonly string[]) =>
    line
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        return columns[i]?.right ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [renderLine(columns.map((column) => column.header)), ...cells.map(renderLine)].join("\n");
}

function clip(text: string, maxWidth: number | undefined): string {
  const oneLine = text.includes("\n") ? text.replace(/\s*\n\s*/g, " ") : text;
  if (maxWidth === undefined || oneLine.length <= maxWidth) return oneLine;
  return `${oneLine.slice(0, Math.max(0, maxWidth - 1))}…`;
}
