import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BENCH_OPTION_TABLE, benchFlagTableMarkdown, parseBenchValue, parseTarget } from '../../src/bench/options.js';
import { buildRows, formatRatio, formatTable, formatValue, judgeGoal, type RowSpec } from '../../src/bench/table.js';

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
    expect(formatValue(null, 'ms')).toBe('–');
    expect(formatValue(NaN, 'rate')).toBe('–');
  });

  it('gives ratios only when both figures exist', () => {
    expect(formatRatio(2, 4)).toBe('0.50×');
    expect(formatRatio(2, 0)).toBe('–');
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

describe('bench options', () => {
  const spec = (key: string) => BENCH_OPTION_TABLE.find((s) => s.key === key)!;

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
