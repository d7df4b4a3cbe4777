// The speed targets of issue 12, judged from one run's figures: each one
// with what this run measured and ✓ or ✗. Most compare ours with the relay
// in the same scenario (the goal column of the main table says the same);
// one compares two of our own scenarios (PRIVATE against TEXT into rooms of
// two), which no single row can. The goal values live here, and the
// scenarios' rows take theirs from here, so the two tables cannot disagree.
// Pure: no I/O.

import { formatValue, type Grid, type Metrics } from './table.js';

export const GOALS = {
  /** fanout below 100 receivers (the issue's 10): delivered lines/s ≥ this × the relay's. */
  fanoutSmall: 0.8,
  /** fanout at 100 receivers and more: no regression from what is reached. */
  fanoutLarge: 1.5,
  /** private ÷ its TEXT twin (the same number of rooms of two), both ours. */
  privateVsText: 0.8,
  rooms: 0.9,
  trickleS: 15,
  trickleStretchS: 5,
  idleKiB: 6,
  /** The idle goal applies from this many connections on (fixed costs dominate below). */
  idleAt: 10_000,
  stormMs: 250,
  storm8Ms: 500,
  steadyP99: 2,
  /** ws-fanout: all-WebSocket ÷ all-line members' delivered lines/s, both ours, in a room of `wsAt`. */
  wsVsLine: 0.5,
  wsAt: 100,
} as const;

/** Logins in flight in the second storm. */
export const STORM_IN_FLIGHT = 8;

export function fanoutGoal(receivers: number): number {
  return receivers >= 100 ? GOALS.fanoutLarge : GOALS.fanoutSmall;
}

/** What a target needs of a scenario's result (main.ts's ScenarioResult has more). */
export interface ScenarioFigures {
  id: string;
  title: string;
  ours: Metrics | undefined;
  baseline: Metrics | undefined;
  errors: Partial<Record<'ours' | 'baseline', string>>;
}

export interface TargetVerdict {
  /** The issue's item number (none for a target of an issue of its own). */
  item?: number;
  /** What is asked, with the scenario as it ran. */
  target: string;
  measured: string;
  goal: string;
  /** null: not judged (not in this run, or no figure to judge by). */
  met: boolean | null;
}

const known = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);

function verdictMark(met: boolean | null): string {
  return met === null ? '–' : met ? '✓' : '✗';
}

/** The first line of an error, short enough for a table cell. */
function failure(text: string): string {
  const line = text.split('\n', 1)[0]!;
  return `failed: ${line.length > 60 ? `${line.slice(0, 59)}…` : line}`;
}

/**
 * `key` of ours ÷ `key` of the other side (the relay, or another of our
 * scenarios), against a minimum or maximum ratio.
 */
function ratioVerdict(
  item: number | undefined,
  target: string,
  ours: ScenarioFigures | undefined,
  other: { metrics: Metrics | undefined; error: string | undefined; name: string },
  key: string,
  unit: 'rate' | 'ms',
  goal: { min?: number; max?: number },
): TargetVerdict {
  const goalText = goal.min !== undefined ? `≥ ${goal.min.toFixed(2)}×` : `≤ ${goal.max!.toFixed(2)}×`;
  const base = { ...(item !== undefined ? { item } : {}), target, goal: goalText };
  if (ours === undefined) return { ...base, measured: 'not in this run', met: null };
  if (ours.errors.ours !== undefined) return { ...base, measured: failure(ours.errors.ours), met: false };
  const o = ours.ours?.[key];
  const b = other.metrics?.[key];
  if (!known(o)) return { ...base, measured: 'no figure', met: null };
  if (!known(b) || b === 0) {
    return { ...base, measured: `${formatValue(o, unit)}, ${other.error !== undefined ? `${other.name} ${failure(other.error)}` : `no ${other.name} figure`}`, met: null };
  }
  const ratio = o / b;
  return {
    ...base,
    measured: `${ratio.toFixed(2)}× (${formatValue(o, unit)} vs ${formatValue(b, unit)})`,
    met: goal.min !== undefined ? ratio >= goal.min : ratio <= goal.max!,
  };
}

function vsBaseline(item: number, r: ScenarioFigures | undefined, label: string, key: string, unit: 'rate' | 'ms', goal: { min?: number; max?: number }): TargetVerdict {
  return ratioVerdict(item, `${r?.title ?? label}: ${key === 'p99' ? 'latency p99' : 'delivered lines/s'} ÷ the relay's`, r, { metrics: r?.baseline, error: r?.errors.baseline, name: 'relay' }, key, unit, goal);
}

/** Our figure `key` against a maximum; `title` names the scenario when it did not run. */
function maxVerdict(item: number, r: ScenarioFigures | undefined, title: string, what: string, key: string, unit: 'ms' | 'kib', max: number): TargetVerdict {
  const base = { item, target: `${r?.title ?? title}: ${what}`, goal: `≤ ${formatValue(max, unit)}` };
  if (r === undefined) return { ...base, measured: 'not in this run', met: null };
  if (r.errors.ours !== undefined) return { ...base, measured: failure(r.errors.ours), met: false };
  const v = r.ours?.[key];
  if (!known(v)) return { ...base, measured: 'no figure', met: null };
  const b = r.baseline?.[key];
  // Cut off: the figure is the cut-off, a lower bound.
  const atLeast = (m: Metrics | undefined): string => (m?.cutOff === 1 ? '> ' : '');
  return {
    ...base,
    measured: `${atLeast(r.ours)}${formatValue(v, unit)}${known(b) ? ` (relay ${atLeast(r.baseline)}${formatValue(b, unit)})` : ''}`,
    met: v <= max ? (r.ours?.cutOff === 1 ? null : true) : false,
  };
}

function trickleVerdict(r: ScenarioFigures | undefined): TargetVerdict {
  const base = {
    item: 4,
    target: `${r?.title ?? 'trickle N=10000, 64 in flight'}: all in (SUCCESS, history, join)`,
    goal: `≤ ${GOALS.trickleS} s (stretch ${GOALS.trickleStretchS} s)`,
  };
  if (r === undefined) return { ...base, measured: 'not in this run', met: null };
  if (r.errors.ours !== undefined) return { ...base, measured: failure(r.errors.ours), met: false };
  const m = r.ours ?? {};
  if (m.cutOff === 1) {
    // Not all in by the cut-off: missed, if the cut-off is past the goal.
    const missed = known(m.cutOffS) && m.cutOffS > GOALS.trickleS ? false : null;
    return { ...base, measured: `${m.done ?? '?'} of ${m.logins ?? '?'} in at the ${m.cutOffS ?? '?'} s cut-off`, met: missed };
  }
  const s = m.allInS;
  if (!known(s)) return { ...base, measured: known(m.done) ? `${m.done} of ${m.logins ?? '?'} in (the others failed)` : 'no figure', met: known(m.done) ? false : null };
  return { ...base, measured: `${formatValue(s, 'seconds')}${s <= GOALS.trickleStretchS ? ', stretch met' : ''}`, met: s <= GOALS.trickleS };
}

function lossVerdict(results: readonly ScenarioFigures[]): TargetVerdict {
  const base = { item: 7, target: 'lost / duplicated / reordered (ours, every traffic scenario)', goal: '0' };
  const counted = results.filter((r) => known(r.ours?.anomalies));
  if (counted.length === 0) return { ...base, measured: 'not in this run', met: null };
  const sum = (key: string): number => counted.reduce((n, r) => n + (r.ours?.[key] ?? 0), 0);
  const bad = counted.filter((r) => r.ours!.anomalies! > 0).map((r) => r.title);
  const closed = sum('closed');
  return {
    ...base,
    measured: `${sum('lost')} / ${sum('duplicated')} / ${sum('reordered')}${closed > 0 ? ` (${closed} dropped)` : ''} in ${counted.length} scenario${counted.length === 1 ? '' : 's'}${bad.length > 0 ? `: ${bad.join(', ')}` : ''}`,
    met: bad.length === 0,
  };
}

/** Every target of issue 12, in the issue's order; one not run says so. */
export function judgeTargets(results: readonly ScenarioFigures[]): TargetVerdict[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  const privateRun = byId.get('private');
  const textTwin = byId.get('private-text');
  return [
    vsBaseline(1, byId.get('fanout-10'), 'fanout N=10', 'deliveries', 'rate', { min: fanoutGoal(10) }),
    ratioVerdict(
      2,
      `${privateRun?.title ?? 'private'} ÷ ${textTwin?.title ?? 'TEXT in as many rooms of 2'}: delivered lines/s, both ours`,
      privateRun,
      { metrics: textTwin?.ours, error: textTwin?.errors.ours, name: 'TEXT twin' },
      'deliveries',
      'rate',
      { min: GOALS.privateVsText },
    ),
    vsBaseline(3, byId.get('rooms'), 'rooms 100×10', 'deliveries', 'rate', { min: GOALS.rooms }),
    trickleVerdict(byId.get('trickle')),
    maxVerdict(5, byId.get(`idle-${GOALS.idleAt}`), `idle N=${GOALS.idleAt}`, 'server RSS per connection', 'rssPerConnKiB', 'kib', GOALS.idleKiB),
    maxVerdict(6, byId.get('storm'), 'storm N=1000', 'all logged in, all at once', 'allDoneMs', 'ms', GOALS.stormMs),
    maxVerdict(6, byId.get(`storm-${STORM_IN_FLIGHT}`), `storm N=1000, ${STORM_IN_FLIGHT} in flight`, 'all logged in', 'allDoneMs', 'ms', GOALS.storm8Ms),
    vsBaseline(7, byId.get('fanout-100'), 'fanout N=100', 'deliveries', 'rate', { min: fanoutGoal(100) }),
    vsBaseline(7, byId.get('fanout-1000'), 'fanout N=1000', 'deliveries', 'rate', { min: fanoutGoal(1000) }),
    vsBaseline(7, byId.get('steady'), 'steady N=100', 'p99', 'ms', { max: GOALS.steadyP99 }),
    lossVerdict(results),
  ];
}

/**
 * The WebSocket target, when ws-fanout ran with a room of 100: its
 * WebSocket members' delivered lines/s ÷ its line members', the two legs
 * measured side by side on our server.
 */
export function judgeWsTarget(results: readonly ScenarioFigures[]): TargetVerdict | undefined {
  const r = results.find((x) => x.id === `ws-fanout-${GOALS.wsAt}`);
  if (r === undefined) return undefined;
  const line = r.ours?.lineDeliveries;
  return ratioVerdict(
    undefined,
    `${r.title}: WebSocket ÷ line members, delivered lines/s, both ours`,
    r,
    { metrics: line === undefined ? undefined : { deliveries: line }, error: undefined, name: 'line members' },
    'deliveries',
    'rate',
    { min: GOALS.wsVsLine },
  );
}

/** True when at least one target was measured (a run of growth or cluster alone has none). */
export function anyMeasured(verdicts: readonly TargetVerdict[]): boolean {
  return verdicts.some((v) => v.measured !== 'not in this run');
}

export function targetsGrid(verdicts: readonly TargetVerdict[], title = 'issue 12 targets'): Grid {
  return {
    title,
    rowHeader: 'target',
    columns: ['this run', 'goal', 'met'],
    rows: verdicts.map((v) => ({ label: v.item === undefined ? v.target : `${v.item}. ${v.target}`, cells: [v.measured, v.goal, verdictMark(v.met)] })),
  };
}
