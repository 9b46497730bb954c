/**
 * A plain-text table for terminal reports: columns padded to their widest cell, two spaces
 * apart, the last column left ragged.
 *
 * @module
 */

/** The table's lines: the header, then one per row. */
export function formatTable(header: readonly string[], rows: readonly string[][]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, column) =>
    Math.max(...all.map((row) => (row[column] ?? "").length))
  );
  return all.map((row) =>
    row.map((cell, column) => column === row.length - 1 ? cell : cell.padEnd(widths[column]!))
      .join("  ")
  );
}
