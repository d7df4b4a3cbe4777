import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { growthSizes, GROWTH_SENDERS } from '../../src/bench/growth.js';
import { BENCH_OPTION_TABLE, DEFAULT_SCENARIOS, QUICK, benchFlagTableMarkdown, defaultBenchOptions, parseBenchValue, parseTarget } from '../../src/bench/options.js';
import { buildGrid, buildRows, formatGrid, formatRatio, formatTable, formatValue, judgeGoal, type RowSpec } from '../../src/bench/table.js';

describe('bench table', () => {
  it('formats figures by unit', () => {
    expect(formatValue(3_140_000, 'rate')).toBe('3.14 M');
    expect(formatValue(51_200, 'rate')).toBe('51.2 k');
    expect(formatValue(512, 'rate')).toBe('512');
    expect(formatValue(1.234, 'ms')).toBe('1.23 ms');
    expect(formatValue(33.33, 'ms')).toBe('33.3 ms');
    expect(formatValue(1234.5, 'ms')).toBe('1235 ms');
    expect(formatValue(4.25, 'kib')).toBe('4.25 KiB');
    expect(formatValue(97.4, 'pct')).toBe('97 %');
    expect(formatValue(35.4, 'ns')).toBe('35 ns');
    expect(formatValue(2.25, 'ns')).toBe('2.3 ns');
    expect(formatValue(18_345, 'ns')).toBe('18.3 µs');
    expect(formatValue(12.34, 'seconds')).toBe('12.3 s');
    expect(formatValue(null, 'ms')).toBe('–');
    expect(formatValue(NaN, 'rate')).toBe('–');
  });

  it('gives ratios only when both figures exist', () => {
    expect(formatRatio(2, 4)).toBe('0.50×');
    expect(formatRatio(2, 0)).toBe('–');
    expect(formatRatio(230, 48_300)).toBe('0.0048×');
    expect(formatRatio(0, 4)).toBe('0.00×');
    expect(formatRatio(undefined, 4)).toBe('–');
  });

  it('judges each goal', () => {
    expect(judgeGoal({ kind: 'ratio-min', value: 0.8 }, 9, 10)).toBe('≥ 0.80× ✓');
    expect(judgeGoal({ kind: 'ratio-min', value: 0.8 }, 7, 10)).toBe('≥ 0.80× ✗');
    expect(judgeGoal({ kind: 'ratio-max', value: 2 }, 30, 10)).toBe('≤ 2.00× ✗');
    expect(judgeGoal({ kind: 'ratio-max', value: 2 }, 30, undefined)).toBe('≤ 2.00×');
    expect(judgeGoal({ kind: 'max', value: 8, unit: 'kib' }, 4.1, 3)).toBe('≤ 8.00 KiB ✓');
    expect(judgeGoal({ kind: 'zero' }, 0, 0)).toBe('0 ✓');
    expect(judgeGoal({ kind: 'zero' }, 2, 0)).toBe('0 ✗');
    expect(judgeGoal(undefined, 1, 1)).toBe('');
  });

  it('judges a lower bound only where it settles the goal', () => {
    // Cut off at 120 s: above a 15 s maximum whatever the real time.
    expect(judgeGoal({ kind: 'max', value: 15, unit: 'seconds' }, 120, 2, true)).toBe('≤ 15.0 s ✗');
    // Cut off at 3 s: it might still have made 15 s.
    expect(judgeGoal({ kind: 'max', value: 15, unit: 'seconds' }, 3, 2, true)).toBe('≤ 15.0 s');
    expect(judgeGoal({ kind: 'ratio-min', value: 0.8 }, 9, 10, true)).toBe('≥ 0.80× ✓');
    expect(judgeGoal({ kind: 'ratio-min', value: 0.8 }, 7, 10, true)).toBe('≥ 0.80×');
    expect(judgeGoal({ kind: 'ratio-max', value: 2 }, 30, 10, true)).toBe('≤ 2.00× ✗');
    expect(judgeGoal({ kind: 'ratio-max', value: 2 }, 10, 10, true)).toBe('≤ 2.00×');
  });

  it('shows a cut-off figure as a lower bound, its ratio too', () => {
    const row: RowSpec = { key: 'allInS', label: 'all in', unit: 'seconds', goal: { kind: 'max', value: 15, unit: 'seconds' }, lowerBound: (m) => m.cutOff === 1 };
    const [cut] = buildRows('trickle', [row], { allInS: 120, cutOff: 1 }, { allInS: 2, cutOff: 0 });
    expect(cut).toMatchObject({ ours: '> 120.0 s', baseline: '2.00 s', ratio: '> 60.00×', goal: '≤ 15.0 s ✗' });
    const [done] = buildRows('trickle', [row], { allInS: 12, cutOff: 0 }, { allInS: 2, cutOff: 0 });
    expect(done).toMatchObject({ ours: '12.0 s', ratio: '6.00×', goal: '≤ 15.0 s ✓' });
    const [relayCut] = buildRows('trickle', [row], { allInS: 12, cutOff: 0 }, { allInS: 120, cutOff: 1 });
    expect(relayCut).toMatchObject({ baseline: '> 120.0 s', ratio: '–', goal: '≤ 15.0 s ✓' });
  });

  const specs: RowSpec[] = [
    { key: 'deliveries', label: 'delivered lines/s', unit: 'rate', goal: { kind: 'ratio-min', value: 0.8 } },
    { key: 'anomalies', label: 'lost / dup / reordered', unit: 'count', goal: { kind: 'zero' }, show: (m) => `${m.lost} / ${m.duplicated} / ${m.reordered}` },
  ];

  it('lays out aligned text with the scenario named once', () => {
    const rows = buildRows('fanout N=100', specs, { deliveries: 2_400_000, anomalies: 0, lost: 0, duplicated: 0, reordered: 0 }, { deliveries: 3_000_000, anomalies: 0, lost: 0, duplicated: 0, reordered: 0 });
    expect(rows.map((r) => r.scenario)).toEqual(['fanout N=100', '']);
    expect(rows[0]).toMatchObject({ ours: '2.40 M', baseline: '3.00 M', ratio: '0.80×', goal: '≥ 0.80× ✓' });
    expect(rows[1]).toMatchObject({ ours: '0 / 0 / 0', ratio: '', goal: '0 ✓' });
    const lines = formatTable(rows).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^scenario\s+figure\s+ours\s+baseline\s+ours\/base\s+target$/);
    // Right-aligned figure columns end at the same place on every line.
    const end = (line: string, text: string): number => line.indexOf(text) + text.length;
    expect(end(lines[2]!, '2.40 M')).toBe(end(lines[3]!, '0 / 0 / 0'));
  });

  it('writes Markdown with one row per figure', () => {
    const rows = buildRows('storm', specs, undefined, { deliveries: 5, anomalies: 0, lost: 0, duplicated: 0, reordered: 0 });
    const md = formatTable(rows, 'markdown').trimEnd().split('\n');
    expect(md).toHaveLength(4);
    expect(md[1]).toMatch(/^\|-+\|-+\|-+:\|-+:\|-+:\|-+\|$/);
    expect(md[2]).toMatch(/^\| storm +\| delivered lines\/s +\| +– \| +5 \| +– \| ≥ 0\.80× +\|$/);
  });
});

describe('bench grids', () => {
  it('names the first column and divides the last column by the first', () => {
    const specs: RowSpec[] = [{ key: 'cpuPerMessageUs', label: 'server CPU per message', unit: 'us' }];
    const grid = buildGrid('growth', specs, [
      { label: 'N=10', metrics: { cpuPerMessageUs: 20 } },
      { label: 'N=10000', metrics: { cpuPerMessageUs: 2000 } },
    ], { label: 'N=10000 ÷ N=10', numerator: 1, denominator: 0 });
    expect(grid.rows[0]!.cells).toEqual(['20.0 µs', '2000 µs', '100.00×']);
    expect(formatGrid({ ...grid, rowHeader: 'at' }).split('\n')[1]).toMatch(/^at\s+N=10\s+N=10000\s+N=10000 ÷ N=10$/);
    expect(formatGrid(grid).split('\n')[1]).toMatch(/^figure\s/);
  });
});

describe('growth sizes', () => {
  it('caps each room so it and its extra logins fit the open-files limit', () => {
    expect(growthSizes([10, 100, 1000, 10_000], 200, 19_800)).toEqual([10, 100, 1000, 10_000]);
    expect(growthSizes([10, 100, 1000, 10_000], 200, 5000)).toEqual([10, 100, 1000, 4800]);
    // Two sizes capped to the same room run once.
    expect(growthSizes([8000, 10_000], 200, 5000)).toEqual([4800]);
    // Every room holds its senders and at least one receiver.
    expect(growthSizes([2], 200, 5000)).toEqual([GROWTH_SENDERS + 1]);
  });
});

describe('bench options', () => {
  const spec = (key: string) => BENCH_OPTION_TABLE.find((s) => s.key === key)!;

  it('runs trickle by default, cluster and growth only when named', () => {
    expect(DEFAULT_SCENARIOS).toEqual(['fanout', 'steady', 'idle', 'storm', 'trickle', 'private', 'rooms']);
    expect(parseBenchValue(spec('scenario'), 'growth')).toEqual(['growth']);
    expect(parseBenchValue(spec('scenario'), 'trickle,storm')).toEqual(['trickle', 'storm']);
    const d = defaultBenchOptions();
    expect(d).toMatchObject({ fanout: [10, 100, 1000], trickle: 10_000, trickleInFlight: 64, growth: [10, 100, 1000, 10_000], growthLogins: 200 });
    // --quick keeps the new scenarios small.
    expect(QUICK).toMatchObject({ trickle: 500, growth: [10, 100] });
  });

  it('parses the trickle and growth flags', () => {
    expect(parseBenchValue(spec('trickle'), '10000')).toBe(10_000);
    expect(parseBenchValue(spec('trickleInFlight'), '8')).toBe(8);
    expect(() => parseBenchValue(spec('trickleInFlight'), '0')).toThrow(/--trickle-in-flight must be at least 1/);
    expect(() => parseBenchValue(spec('trickle'), '1e4')).toThrow(/whole number/);
    expect(parseBenchValue(spec('growth'), '10, 100,1000')).toEqual([10, 100, 1000]);
    expect(() => parseBenchValue(spec('growth'), '1')).toThrow(/--growth must be at least 2/);
    expect(parseBenchValue(spec('growthRate'), '500')).toBe(500);
  });

  it('parses lists, scenarios and targets', () => {
    expect(parseBenchValue(spec('fanout'), '100,1000')).toEqual([100, 1000]);
    expect(parseBenchValue(spec('scenario'), 'fanout,storm')).toEqual(['fanout', 'storm']);
    expect(() => parseBenchValue(spec('scenario'), 'fanout,nope')).toThrow(/unknown scenario 'nope'/);
    expect(() => parseBenchValue(spec('workers'), '-1')).toThrow(/whole number/);
    expect(parseBenchValue(spec('serverArg'), '--history-replay', ['--x'])).toEqual(['--x', '--history-replay']);
    expect(parseTarget('127.0.0.1:65432')).toEqual({ host: '127.0.0.1', port: 65432 });
    expect(parseTarget('[::1]:7000')).toEqual({ host: '::1', port: 7000 });
    expect(() => parseTarget('localhost')).toThrow(/host:port/);
  });
});

describe('docs/BENCHMARKS.md flag table', () => {
  it('matches the option table that drives the CLI', () => {
    const doc = readFileSync(new URL('../../docs/BENCHMARKS.md', import.meta.url), 'utf8');
    const section = doc.split('<!-- bench-flags:start -->')[1]?.split('<!-- bench-flags:end -->')[0]?.trim();
    expect(section).toBe(benchFlagTableMarkdown());
  });
});
