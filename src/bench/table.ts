// The results table: one row per figure, ours beside the baseline's, their
// ratio and the issue's target for that figure. Plain text for a terminal,
// Markdown for docs/BENCHMARKS.md. Pure: no I/O.

export type Unit = 'rate' | 'ms' | 'us' | 'ns' | 'kib' | 'mib' | 'pct' | 'count' | 'float' | 'seconds';

export type Goal =
  | { kind: 'ratio-min'; value: number }
  | { kind: 'ratio-max'; value: number }
  | { kind: 'max'; value: number; unit: Unit }
  | { kind: 'min'; value: number; unit: Unit }
  | { kind: 'zero' };

export type Metrics = Record<string, number | null | undefined>;

export interface RowSpec {
  key: string;
  label: string;
  unit: Unit;
  goal?: Goal;
  /** Text shown instead of the number (e.g. `0 / 0 / 0` for loss, dup, reorder). */
  show?: (m: Metrics) => string;
  /** No ratio for this row (counts, composite figures). */
  noRatio?: boolean;
  /**
   * The figure is a lower bound (a cut-off came first): shown as `> x`, and
   * so is the ratio when it is ours that is bounded.
   */
  lowerBound?: (m: Metrics) => boolean;
}

export interface TableRow {
  scenario: string;
  label: string;
  ours: string;
  baseline: string;
  ratio: string;
  goal: string;
}

export function formatValue(value: number | null | undefined, unit: Unit): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  switch (unit) {
    case 'rate':
      if (Math.abs(value) >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
      if (Math.abs(value) >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
      return value.toFixed(0);
    case 'ms':
      return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ms`;
    case 'us':
      return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} µs`;
    case 'ns':
      if (Math.abs(value) >= 1e4) return formatValue(value / 1000, 'us');
      return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ns`;
    case 'float':
      return value.toFixed(2);
    case 'seconds':
      return `${value.toFixed(value < 10 ? 2 : 1)} s`;
    case 'kib':
      return `${value.toFixed(value < 100 ? 2 : 0)} KiB`;
    case 'mib':
      return `${value.toFixed(1)} MiB`;
    case 'pct':
      return `${value.toFixed(0)} %`;
    case 'count':
      return value.toFixed(0);
  }
}

export function formatRatio(ours: number | null | undefined, baseline: number | null | undefined): string {
  if (ours === null || ours === undefined || baseline === null || baseline === undefined) return '–';
  if (!Number.isFinite(ours) || !Number.isFinite(baseline) || baseline === 0) return '–';
  const ratio = ours / baseline;
  // Two significant digits below 0.1 (growth's per-line cost over 1,000× the members), else two decimals.
  return `${ratio !== 0 && Math.abs(ratio) < 0.1 ? ratio.toPrecision(2) : ratio.toFixed(2)}×`;
}

/**
 * The goal as text with ✓ or ✗ for our figure; '' when the row has none.
 * When ours is only a lower bound (`oursAtLeast`), a verdict is given only
 * where the bound settles it (above a maximum: ✗; at or above a minimum: ✓).
 */
export function judgeGoal(goal: Goal | undefined, ours: number | null | undefined, baseline: number | null | undefined, oursAtLeast = false): string {
  if (goal === undefined) return '';
  const known = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);
  const mark = (met: boolean, settled = true): string => (settled ? ` ${met ? '✓' : '✗'}` : '');
  switch (goal.kind) {
    case 'zero':
      return known(ours) ? `0${mark(ours === 0, !oursAtLeast || ours > 0)}` : '0';
    case 'max':
      return `≤ ${formatValue(goal.value, goal.unit)}${known(ours) ? mark(ours <= goal.value, !oursAtLeast || ours > goal.value) : ''}`;
    case 'min':
      return `≥ ${formatValue(goal.value, goal.unit)}${known(ours) ? mark(ours >= goal.value, !oursAtLeast || ours >= goal.value) : ''}`;
    case 'ratio-min':
    case 'ratio-max': {
      const sign = goal.kind === 'ratio-min' ? '≥' : '≤';
      const text = `${sign} ${goal.value.toFixed(2)}×`;
      if (!known(ours) || !known(baseline) || baseline === 0) return text;
      const ratio = ours / baseline;
      const met = goal.kind === 'ratio-min' ? ratio >= goal.value : ratio <= goal.value;
      // A lower bound of a ratio settles a minimum it reaches and a maximum it passes.
      return `${text}${mark(met, !oursAtLeast || (goal.kind === 'ratio-min' ? met : !met))}`;
    }
  }
}

export function buildRows(scenario: string, specs: readonly RowSpec[], ours: Metrics | undefined, baseline: Metrics | undefined): TableRow[] {
  return specs.map((spec, i) => {
    const o = ours?.[spec.key];
    const b = baseline?.[spec.key];
    const bounded = (m: Metrics | undefined): boolean => m !== undefined && spec.lowerBound?.(m) === true;
    const show = (m: Metrics | undefined, v: number | null | undefined): string =>
      m === undefined ? '–' : spec.show !== undefined ? spec.show(m) : `${bounded(m) ? '> ' : ''}${formatValue(v, spec.unit)}`;
    const ratio = spec.noRatio || spec.show !== undefined ? '' : bounded(baseline) ? '–' : formatRatio(o, b);
    return {
      scenario: i === 0 ? scenario : '',
      label: spec.label,
      ours: show(ours, o),
      baseline: show(baseline, b),
      ratio: bounded(ours) && ratio !== '–' && ratio !== '' ? `> ${ratio}` : ratio,
      // A bounded baseline bounds the ratio the wrong way to judge by.
      goal: judgeGoal(spec.goal, o, bounded(baseline) ? undefined : b, bounded(ours)),
    };
  });
}

const HEADERS: TableRow = { scenario: 'scenario', label: 'figure', ours: 'ours', baseline: 'baseline', ratio: 'ours/base', goal: 'target' };
const COLUMNS: Array<keyof TableRow> = ['scenario', 'label', 'ours', 'baseline', 'ratio', 'goal'];
const RIGHT = new Set<keyof TableRow>(['ours', 'baseline', 'ratio']);

/** Display width: one column per code point (the table holds no wide characters). */
function width(text: string): number {
  return [...text].length;
}

function pad(text: string, size: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, size - width(text)));
  return right ? fill + text : text + fill;
}

export function formatTable(rows: readonly TableRow[], style: 'text' | 'markdown' = 'text'): string {
  const all = [HEADERS, ...rows];
  const widths = COLUMNS.map((c) => Math.max(...all.map((r) => width(r[c]))));
  if (style === 'markdown') {
    const line = (r: TableRow): string => `| ${COLUMNS.map((c, i) => pad(r[c], widths[i]!, RIGHT.has(c))).join(' | ')} |`;
    const rule = `|${COLUMNS.map((c, i) => (RIGHT.has(c) ? `${'-'.repeat(widths[i]! + 1)}:` : `${'-'.repeat(widths[i]! + 2)}`)).join('|')}|`;
    return [line(HEADERS), rule, ...rows.map(line)].join('\n') + '\n';
  }
  const line = (r: TableRow): string => COLUMNS.map((c, i) => pad(r[c], widths[i]!, RIGHT.has(c))).join('  ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const out: string[] = [line(HEADERS), rule];
  rows.forEach((r, i) => {
    if (i > 0 && r.scenario !== '') out.push('');
    out.push(line(r));
  });
  return out.join('\n') + '\n';
}

// ------------------------------------------------------------------ grids

/**
 * A table with one column per setup (the cluster scenario: SQLite node,
 * Redis node, two nodes, …) instead of ours beside the baseline.
 */
export interface Grid {
  title: string;
  /** Header of the first column, the rows' labels ('figure' by default). */
  rowHeader?: string;
  columns: string[];
  /** Header of the ratio column (last column ÷ first by default), or none. */
  ratioLabel?: string;
  rows: Array<{ label: string; cells: string[] }>;
}

export interface GridColumn {
  label: string;
  metrics: Metrics | undefined;
}

/**
 * One row per spec, one cell per column; `ratio` picks the two columns whose
 * quotient fills the last column (rows with `show` or `noRatio` get none).
 */
export function buildGrid(
  title: string,
  specs: readonly RowSpec[],
  columns: readonly GridColumn[],
  ratio?: { label: string; numerator: number; denominator: number },
): Grid {
  const rows = specs.map((spec) => {
    const cells = columns.map(({ metrics }) =>
      metrics === undefined ? '–' : spec.show !== undefined ? spec.show(metrics) : formatValue(metrics[spec.key], spec.unit),
    );
    if (ratio !== undefined) {
      const n = columns[ratio.numerator]?.metrics?.[spec.key];
      const d = columns[ratio.denominator]?.metrics?.[spec.key];
      cells.push(spec.noRatio || spec.show !== undefined ? '' : formatRatio(n, d));
    }
    return { label: spec.label, cells };
  });
  return { title, columns: columns.map((c) => c.label), ...(ratio !== undefined ? { ratioLabel: ratio.label } : {}), rows };
}

export function formatGrid(grid: Grid, style: 'text' | 'markdown' = 'text'): string {
  const header = [grid.rowHeader ?? 'figure', ...grid.columns, ...(grid.ratioLabel !== undefined ? [grid.ratioLabel] : [])];
  const body = grid.rows.map((r) => [r.label, ...r.cells]);
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ''))));
  const cell = (r: string[], i: number): string => pad(r[i] ?? '', widths[i]!, i > 0);
  if (style === 'markdown') {
    const line = (r: string[]): string => `| ${header.map((_, i) => cell(r, i)).join(' | ')} |`;
    const rule = `|${widths.map((w, i) => (i > 0 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
    return [`**${grid.title}**`, '', line(header), rule, ...body.map(line)].join('\n') + '\n';
  }
  const line = (r: string[]): string => header.map((_, i) => cell(r, i)).join('  ').trimEnd();
  return [grid.title, line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}
