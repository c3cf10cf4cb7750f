/**
 * Plain-text table rendering for the benchmark runner.
 *
 * @module
 */

/**
 * Renders rows as left-aligned columns separated by two spaces, with a rule
 * under the header. Numbers (cells starting with a digit) are right-aligned.
 *
 * @param header Column titles.
 * @param rows Cells, one array per row (missing cells are blank).
 * @returns The table, lines joined with `\n`.
 *
 * @example Usage
 * ```ts ignore
 * import { renderTable } from "./_table.ts";
 *
 * console.log(renderTable(["case", "ours"], [["download", "950 MB/s"]]));
 * ```
 */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length))
  );
  const line = (cells: string[]) =>
    widths.map((width, column) => {
      const cell = cells[column] ?? "";
      return /^[\d-]/.test(cell) && column > 0
        ? cell.padStart(width)
        : cell.padEnd(width);
    }).join("  ").trimEnd();
  return [
    line(header),
    widths.map((width) => "-".repeat(width)).join("  "),
    ...rows.map(line),
  ].join("\n");
}
