/**
 * Turns the measurements into bench/RESULTS.md and a console summary, judging each target.
 */
import type { Environment } from "./environment.js";
import type { LoopDelay } from "./hashing.js";
import { formatNumber, formatRatio, markdownTable, median, type Summary, verdict } from "./stats.js";

/** A measured row: a contender and its per-round summary in the table's unit. */
export interface Row {
  name: string;
  summary: Summary;
}

/** A row judged against a baseline row of the same table. */
export interface Judged extends Row {
  /** Human-readable target, for example `<= 1.20x`. */
  target: string;
  /** Whether the ratio (median of the per-round ratios to the baseline) meets it. */
  pass: (ratio: number) => boolean;
  /** The row the ratio is taken against, when not the comparison's baseline (one of its `peers`). */
  against?: Row;
}

/** One comparison table: a baseline and the rows judged against it. */
export interface Comparison {
  title: string;
  /** The unit of the median column, for example `ns/op`. */
  unit: string;
  /** What the ratio means, for example `runner / direct`. */
  ratioLabel: string;
  baseline: Row;
  judged: readonly Judged[];
  /** Rows with a ratio against a named reference (one of `peers`) but no target. */
  compared?: readonly (Row & { against: Row })[];
  /** Rows shown for context, with a ratio but no target. */
  context?: readonly Row[];
  /** Further reference rows measured in the same rounds, that judged rows name in `against`. */
  peers?: readonly Row[];
  note?: string;
}

/** The event-loop table: the hash under test, with the baseline and peers for context. */
export interface LoopDelayTable {
  rows: ReadonlyMap<string, LoopDelay>;
  /** Which row is judged against `limitMs`. */
  judged: string;
  limitMs: number;
}

/** Everything one run measured. */
export interface BenchResults {
  environment: Environment;
  comparisons: readonly Comparison[];
  loopDelay: LoopDelayTable;
  elapsedSeconds: number;
}

/** A target's outcome, for the table of targets and the console summary. */
interface Verdict {
  check: string;
  value: string;
  target: string;
  pass: boolean;
}

// The ratio taken within each round (rows of a table are measured in the same rounds): common-mode
// noise (a neighbour, a frequency change) cancels, so its median is the headline and the judged value.
function pairedRatios(row: Row, baseline: Row): number[] {
  return row.summary.values.map((value, i) => value / baseline.summary.values[i]!);
}

/** Median of the per-round ratios of `row` to `baseline`. */
function ratioOf(row: Row, baseline: Row): number {
  return median(pairedRatios(row, baseline));
}

/** Whether a table has several reference rows, so each ratio says what it is taken against. */
function namesReferences(c: Comparison): boolean {
  return (
    (c.peers?.length ?? 0) > 0 ||
    (c.compared?.length ?? 0) > 0 ||
    c.judged.some((row) => row.against !== undefined)
  );
}

/** A judged row's ratio: against the row it names, or the comparison's baseline. */
function judgedRatio(row: Judged, c: Comparison): number {
  return ratioOf(row, row.against ?? c.baseline);
}

function comparisonSection(c: Comparison): string {
  // A column naming what each ratio is taken against, only in tables where that varies.
  const named = namesReferences(c);
  const header = [
    "contender",
    ...(named ? ["ratio against"] : []),
    `median ${c.unit}`,
    "min",
    "max",
    `ratio (${c.ratioLabel}), median of rounds`,
    "per-round range",
    "ratio of medians",
    "target",
    "result",
  ];
  const measured = (row: Row, against: Row = c.baseline) => {
    const ratios = pairedRatios(row, against);
    return [
      row.name,
      ...(named ? [against.name] : []),
      ...[row.summary.median, row.summary.min, row.summary.max].map(formatNumber),
      formatRatio(median(ratios)),
      `${formatRatio(Math.min(...ratios))}–${formatRatio(Math.max(...ratios))}`,
      formatRatio(row.summary.median / against.summary.median),
    ];
  };
  // A reference row: its own figures, no ratio.
  const baselineRow = (row: Row) => [
    row.name,
    ...(named ? [""] : []),
    ...measured(row).slice(named ? 2 : 1, named ? 5 : 4),
    row === c.baseline ? "1.00x (baseline)" : "(reference)",
    "",
    "",
    "",
    "",
  ];
  const rows = [
    ...c.judged.map((row) => [
      ...measured(row, row.against),
      row.target,
      verdict(row.pass(judgedRatio(row, c))),
    ]),
    ...(c.compared ?? []).map((row) => [...measured(row, row.against), "", ""]),
    ...(c.context ?? []).map((row) => [...measured(row), "", ""]),
    ...(c.peers ?? []).map(baselineRow),
    baselineRow(c.baseline),
  ];
  const note = c.note === undefined ? "" : `\n\n${c.note}`;
  return `## ${c.title}\n\n${markdownTable(header, rows)}${note}`;
}

function loopDelaySection(t: LoopDelayTable): string {
  const header = [
    "task",
    "max loop delay ms (median)",
    "min",
    "max",
    "p99 delay ms (median)",
    "wall time ms (median)",
    "target",
    "result",
  ];
  const rows = [...t.rows].map(([name, d]) => {
    const judged = name === t.judged;
    return [
      name,
      ...[d.max.median, d.max.min, d.max.max, d.p99.median, d.wall.median].map(formatNumber),
      judged ? `< ${t.limitMs} ms` : "",
      judged ? verdict(d.max.median < t.limitMs) : "",
    ];
  });
  const repeats = [...t.rows.values()][0]?.max.values.length ?? 0;
  return [
    "## 3b. Event-loop delay while one hash runs",
    "",
    `\`perf_hooks.monitorEventLoopDelay({ resolution: 1 })\` enabled around each call alone; ${repeats} interleaved`,
    "repeats. The histogram records whole timer intervals, so an idle loop already shows 1–3 ms (and",
    "occasional spikes from neighbours): a hash that keeps the loop free reads like the idle baseline.",
    "",
    markdownTable(header, rows),
  ].join("\n");
}

/** The targets and whether each was met. */
function verdicts(results: BenchResults): Verdict[] {
  const out: Verdict[] = [];
  for (const c of results.comparisons) {
    for (const row of c.judged) {
      const ratio = judgedRatio(row, c);
      out.push({
        check: `${c.title}: ${row.name}${namesReferences(c) ? ` vs ${(row.against ?? c.baseline).name}` : ""}`,
        value: formatRatio(ratio),
        target: row.target,
        pass: row.pass(ratio),
      });
    }
  }
  const { rows, judged, limitMs } = results.loopDelay;
  const measured = rows.get(judged);
  if (measured === undefined) return out; // `--only` without the hashing section
  const delay = measured.max.median;
  out.push({
    check: `3b. max event-loop delay: ${judged}`,
    value: `${formatNumber(delay)} ms`,
    target: `< ${limitMs} ms`,
    pass: delay < limitMs,
  });
  return out;
}

/** The full RESULTS.md. */
export function renderMarkdown(results: BenchResults): string {
  const e = results.environment;
  const packages = Object.entries(e.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  return [
    "# portcullis benchmarks",
    "",
    "Run with `npm run bench` (`tsx bench/run.ts`); it overwrites this file. The machine is shared and noisy:",
    "read the medians and the ratios, not single figures. Every table comes from interleaved rounds (each",
    "contender measured once per round, the order rotating between rounds); min and max are the extreme",
    "rounds. The ratio is taken within each round and its median is what a target is judged on; the",
    "ratio of the two medians is shown beside it. Each row of the fast tables is one batch of awaited calls",
    "(about 20 ms) per round, timed by the bench's own loop (bench/interleave.ts says why not mitata's).",
    "",
    `- Date: ${e.date}`,
    `- Machine: ${e.cpu}, ${e.cores} cores, ${formatNumber(e.memoryGiB)} GiB RAM, ${e.platform}`,
    `- Runtime: Node ${e.node}, OpenSSL ${e.openssl}`,
    `- Packages: ${packages}`,
    `- Source: ${e.source}`,
    `- Total bench time: ${formatNumber(results.elapsedSeconds)} s`,
    "",
    // The event-loop table belongs with the hashing comparison (3a), wherever that runs.
    ...results.comparisons.flatMap((c) => [
      `${comparisonSection(c)}\n`,
      ...(c.title.startsWith("3a.") ? [`${loopDelaySection(results.loopDelay)}\n`] : []),
    ]),
    ...(results.comparisons.some((c) => c.title.startsWith("3a."))
      ? []
      : [`${loopDelaySection(results.loopDelay)}\n`]),
    "## Targets",
    "",
    markdownTable(
      ["check", "measured", "target", "result"],
      verdicts(results).map((v) => [v.check, v.value, v.target, verdict(v.pass)]),
    ),
    "",
  ].join("\n");
}

/** The console summary: one line per target, then the medians behind them. */
export function renderSummary(results: BenchResults): string {
  const lines = verdicts(results).map(
    (v) => `${verdict(v.pass)}  ${v.check}: ${v.value} (target ${v.target})`,
  );
  for (const c of results.comparisons) {
    // A row judged against several references is listed once.
    const rows = new Set(
      [...c.judged, ...(c.context ?? []), ...(c.peers ?? []), c.baseline].map((r) => r.name),
    );
    for (const row of [...c.judged, ...(c.context ?? []), ...(c.peers ?? []), c.baseline]) {
      if (!rows.delete(row.name)) continue;
      lines.push(`      ${row.name}: median ${formatNumber(row.summary.median)} ${c.unit}`);
    }
  }
  for (const [name, delay] of results.loopDelay.rows) {
    lines.push(`      ${name}: max loop delay median ${formatNumber(delay.max.median)} ms`);
  }
  return lines.join("\n");
}
