import { describe, expect, it } from 'vitest';
import { GOALS, anyMeasured, fanoutGoal, judgeTargets, targetsGrid, type ScenarioFigures } from '../../src/bench/targets.js';
import { formatGrid } from '../../src/bench/table.js';

const clean = { lost: 0, duplicated: 0, reordered: 0, closed: 0, anomalies: 0 };

function traffic(id: string, title: string, ours: number, baseline: number, extra: Partial<ScenarioFigures> = {}): ScenarioFigures {
  return { id, title, ours: { deliveries: ours, ...clean }, baseline: { deliveries: baseline, ...clean }, errors: {}, ...extra };
}

/** A full default run in which every target is met. */
function fullRun(): ScenarioFigures[] {
  return [
    traffic('fanout-10', 'fanout N=10', 9e5, 1e6),
    traffic('fanout-100', 'fanout N=100', 3e7, 1.9e7),
    traffic('fanout-1000', 'fanout N=1000', 2.4e7, 1.5e7),
    { id: 'steady', title: 'steady N=100', ours: { p99: 5, ...clean }, baseline: { p99: 4, ...clean }, errors: {} },
    { id: 'idle-10000', title: 'idle N=10000', ours: { rssPerConnKiB: 5.5 }, baseline: { rssPerConnKiB: 4.6 }, errors: {} },
    { id: 'storm', title: 'storm N=1000', ours: { allDoneMs: 200 }, baseline: { allDoneMs: 80 }, errors: {} },
    { id: 'storm-8', title: 'storm N=1000, 8 in flight', ours: { allDoneMs: 450, cutOff: 0 }, baseline: { allDoneMs: 120, cutOff: 0 }, errors: {} },
    { id: 'trickle', title: 'trickle N=10000, 64 in flight', ours: { allInS: 4.2, cutOff: 0, done: 10_000, logins: 10_000, cutOffS: 120 }, baseline: { allInS: 1.9 }, errors: {} },
    traffic('private', 'private 500 pairs', 2.1e5, 6e5),
    traffic('private-text', 'text 500 rooms of 2', 2.4e5, 6.2e5),
    traffic('rooms', 'rooms 100×10', 1.4e6, 1.5e6),
  ];
}

describe('issue 12 targets', () => {
  it('gives the fanout goal by room size', () => {
    expect(fanoutGoal(10)).toBe(GOALS.fanoutSmall);
    expect(fanoutGoal(50)).toBe(0.8);
    expect(fanoutGoal(100)).toBe(1.5);
    expect(fanoutGoal(1000)).toBe(1.5);
  });

  it('judges every target of a full run, in the issue order', () => {
    const verdicts = judgeTargets(fullRun());
    expect(verdicts.map((v) => v.item)).toEqual([1, 2, 3, 4, 5, 6, 6, 7, 7, 7, 7]);
    expect(verdicts.every((v) => v.met === true)).toBe(true);
    expect(verdicts[0]).toMatchObject({ target: "fanout N=10: delivered lines/s ÷ the relay's", measured: '0.90× (900.0 k vs 1.00 M)', goal: '≥ 0.80×' });
    expect(verdicts[3]!.measured).toBe('4.20 s, stretch met');
    expect(verdicts[4]!.measured).toBe('5.50 KiB (relay 4.60 KiB)');
    expect(verdicts[10]!.measured).toBe('0 / 0 / 0 in 7 scenarios');
  });

  it('compares private with its TEXT twin, both ours, not with the relay', () => {
    const run = fullRun().map((r) => (r.id === 'private' ? traffic('private', 'private 500 pairs', 1.5e5, 1) : r));
    const v = judgeTargets(run).find((t) => t.item === 2)!;
    expect(v.target).toBe('private 500 pairs ÷ text 500 rooms of 2: delivered lines/s, both ours');
    expect(v.measured).toBe('0.63× (150.0 k vs 240.0 k)');
    expect(v.met).toBe(false);
  });

  it('misses a ratio just under its goal and a maximum just over it', () => {
    const run = fullRun().map((r) =>
      r.id === 'rooms' ? traffic('rooms', 'rooms 100×10', 0.89e6, 1e6) : r.id === 'storm' ? { ...r, ours: { allDoneMs: 251 } } : r,
    );
    const verdicts = judgeTargets(run);
    expect(verdicts[2]).toMatchObject({ measured: '0.89× (890.0 k vs 1.00 M)', met: false });
    expect(verdicts[5]).toMatchObject({ measured: '251 ms (relay 80.0 ms)', met: false });
  });

  it('reports a trickle cut off by its timeout with the count done', () => {
    const run = fullRun().map((r) =>
      r.id === 'trickle' ? { ...r, ours: { allInS: 120, cutOff: 1, done: 8046, logins: 10_000, cutOffS: 120 } } : r,
    );
    expect(judgeTargets(run)[3]).toMatchObject({ measured: '8046 of 10000 in at the 120 s cut-off', met: false });
  });

  it('leaves a cut-off shorter than the goal unjudged', () => {
    const run = fullRun().map((r) => (r.id === 'trickle' ? { ...r, ours: { allInS: 3, cutOff: 1, done: 1600, logins: 10_000, cutOffS: 3 } } : r));
    expect(judgeTargets(run)[3]!.met).toBeNull();
  });

  it('marks a storm cut off as a lower bound', () => {
    const run = fullRun().map((r) => (r.id === 'storm-8' ? { ...r, ours: { allDoneMs: 30_000, cutOff: 1 } } : r));
    expect(judgeTargets(run)[6]).toMatchObject({ measured: '> 30000 ms (relay 120 ms)', met: false });
  });

  it('names what was not run, what failed and where messages went missing', () => {
    const run = fullRun()
      .filter((r) => r.id !== 'fanout-1000' && r.id !== 'idle-10000')
      .map((r) =>
        r.id === 'storm'
          ? { ...r, ours: undefined, errors: { ours: '3 of 1000 logins failed (socket:ECONNRESET×3)\nmore' } }
          : r.id === 'rooms'
            ? { ...r, ours: { deliveries: 1.4e6, ...clean, lost: 2, anomalies: 2 } }
            : r,
      );
    const verdicts = judgeTargets(run);
    expect(verdicts[4]).toMatchObject({ target: 'idle N=10000: server RSS per connection', measured: 'not in this run', met: null });
    expect(verdicts[5]).toMatchObject({ measured: 'failed: 3 of 1000 logins failed (socket:ECONNRESET×3)', met: false });
    expect(verdicts[8]).toMatchObject({ measured: 'not in this run', met: null });
    expect(verdicts[10]).toMatchObject({ measured: '2 / 0 / 0 in 6 scenarios: rooms 100×10', met: false });
  });

  it('says when the other side of a ratio has no figure', () => {
    const run = fullRun().map((r) => (r.id === 'fanout-10' ? { ...r, baseline: undefined, errors: { baseline: 'relay died' } } : r));
    expect(judgeTargets(run)[0]).toMatchObject({ measured: '900.0 k, relay failed: relay died', met: null });
  });

  it('has nothing to show for a run of growth alone', () => {
    expect(anyMeasured(judgeTargets([]))).toBe(false);
    expect(anyMeasured(judgeTargets(fullRun()))).toBe(true);
  });

  it('renders as a table of its own with ✓, ✗ and –', () => {
    const run = fullRun()
      .filter((r) => r.id !== 'steady')
      .map((r) => (r.id === 'rooms' ? traffic('rooms', 'rooms 100×10', 0.5e6, 1e6) : r));
    const text = formatGrid(targetsGrid(judgeTargets(run)));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('issue 12 targets');
    expect(lines[1]).toMatch(/^target\s+this run\s+goal\s+met$/);
    expect(lines.find((l) => l.startsWith('3. rooms'))).toMatch(/0\.50× \(500\.0 k vs 1\.00 M\)\s+≥ 0\.90×\s+✗$/);
    expect(lines.find((l) => l.startsWith('1. fanout'))).toMatch(/✓$/);
    expect(lines.find((l) => l.startsWith('7. steady'))).toMatch(/not in this run\s+≤ 2\.00×\s+–$/);
    const md = formatGrid(targetsGrid(judgeTargets(run)), 'markdown').split('\n');
    expect(md[0]).toBe('**issue 12 targets**');
    expect(md[2]).toMatch(/^\| target +\| +this run \| +goal \| met \|$/);
  });
});
