/**
 * Medians, ranges and the markdown table writer the report is built from.
 */

/** The median and range of one contender's per-round results. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** The per-round values, in the order they were measured. */
  values: readonly number[];
}

/** The median of `values` (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Median, min and max of per-round values. */
export function summarize(values: readonly number[]): Summary {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), values };
}

/** Maps every per-round value (ns/op → ops/s, for instance), keeping the round order, and re-summarises. */
export function mapSummary(summary: Summary, map: (value: number) => number): Summary {
  return summarize(summary.values.map(map));
}

/** A number for a table: thousands separators, and more decimals the smaller it is. */
export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A ratio such as `1.07x`. */
export function formatRatio(value: number): string {
  return `${value.toFixed(2)}x`;
}

/** `PASS` or `MISS`. */
export function verdict(pass: boolean): "PASS" | "MISS" {
  return pass ? "PASS" : "MISS";
}

/** Alignment of a table column. */
export type Align = "left" | "right";

/**
 * A GitHub-flavoured markdown table. Cells are written as given; `|` in a cell is escaped.
 *
 * @param header - the column titles
 * @param rows - the cells, one array per row, as many as there are titles
 * @param align - per column; default left for the first column, right for the others
 */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = header.map((_, i) => (i === 0 ? "left" : "right")),
): string {
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell) => cell.replace(/\|/g, "\\|")).join(" | ")} |`;
  const rule = `|${align.map((a) => (a === "right" ? "---:" : "---")).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}
