// The IRC scenarios: what an IRC member costs next to a line-protocol one,
// on the same server in the same run.
//
//   irc-fanout N   one room of N receivers and --senders senders, four
//                  ways at once: on the relay (line members, the baseline),
//                  and on our server with all line members, all IRC
//                  members, and half of each (receivers and senders alike).
//                  Measured segments alternate between the four, so a
//                  shared machine's noise hits them alike; figures are
//                  medians over each one's segments.
//   irc-idle N     server RSS per idle connection, registered and in a
//                  channel of 100, IRC beside line: each on a fresh
//                  process, alternating over the rounds, medians.
//
// Deliveries are counted alike for both protocols: receivers count the
// group's lines, senders count nothing. Our server echoes TEXT to a line
// sender and not PRIVMSG to an IRC one (no echo-message), neither counted.

import type { Plan } from './generator.js';
import { IRC_MESSAGE_BYTES_MAX } from './irc-wire.js';
import type { ConnSpec } from './messages.js';
import type { BenchOptions } from './options.js';
import {
  IDLE_ROOM_SIZE,
  compareLegs,
  cpuRows,
  idlePlan,
  lossRow,
  measureIdle,
  median,
  message,
  type BenchTarget,
  type RunContext,
  type Scenario,
  type ScenarioOutcome,
  type TrafficLeg,
} from './scenarios.js';
import { buildGrid, type Metrics, type RowSpec } from './table.js';
import { GOALS } from './targets.js';

/** Generator CPU (% of its core) above which a figure may be the generator's limit. */
const GENERATOR_BUSY_PCT = 90;
/** Other processes' CPU (% of a core) above which a figure is called disturbed. */
const NOISE_PCT = 25;

/** Who the members of a room are: all line, all IRC, or the first half line and the second IRC. */
export type Membership = 'line' | 'irc' | 'mixed';

const MEMBERSHIPS: ReadonlyArray<{ key: Membership; label: string }> = [
  { key: 'line', label: 'line members' },
  { key: 'irc', label: 'IRC members' },
  { key: 'mixed', label: 'half IRC' },
];

/**
 * One room of `receivers` and `senders`, every member joining `${tag}room`
 * (a room of its own: the legs on our server run side by side). In a mixed
 * room the second half of the receivers and of the senders are IRC, so the
 * tracked receivers (spread evenly) are of both kinds.
 */
export function ircFanoutPlan(
  tag: string,
  receivers: number,
  senders: number,
  window: number,
  workers: number,
  track: number,
  members: Membership,
  ircPort: number | undefined,
): Plan {
  const room = `${tag}room`;
  const every = Math.max(1, Math.ceil(receivers / track));
  const via = (i: number, n: number): Pick<ConnSpec, 'protocol' | 'port'> => {
    if (members === 'line' || (members === 'mixed' && i < n / 2)) return {};
    if (ircPort === undefined) throw new Error('IRC members need the server\'s IRC port');
    return { protocol: 'irc', port: ircPort };
  };
  const conns: Plan['conns'] = [];
  for (let i = 0; i < receivers; i++) conns.push({ name: `${tag}r${i}`, room, recvGroup: 0, tracked: i % every === 0, worker: i % workers, ...via(i, receivers) });
  for (let i = 0; i < senders; i++) conns.push({ name: `${tag}s${i}`, room, senderId: i, sendGroup: 0, sends: { type: 'TEXT' }, worker: 0, ...via(i, senders) });
  return { conns, groups: [{ id: 0, kind: 'TEXT', senderBase: 0, senderCount: senders, window }] };
}

/** Our server's IRC port, or why there is none. */
function ircPortOf(target: BenchTarget): number {
  if (target.ircPort === undefined) throw new Error('no IRC port: the bench opens one (--irc-port) only on a server it starts, not on --target');
  return target.ircPort;
}

const FANOUT_ROWS: RowSpec[] = [
  { key: 'deliveries', label: 'delivered lines/s, all IRC members', unit: 'rate' },
  { key: 'lineDeliveries', label: 'delivered lines/s, all line members', unit: 'rate' },
  { key: 'mixedDeliveries', label: 'delivered lines/s, half IRC', unit: 'rate' },
  { key: 'ircVsLine', label: 'IRC ÷ line members, delivered lines/s', unit: 'float', noRatio: true },
  { key: 'messages', label: 'messages in/s, all IRC', unit: 'rate' },
  { key: 'p50', label: 'latency p50, all IRC', unit: 'ms' },
  { key: 'p99', label: 'latency p99, all IRC', unit: 'ms' },
  lossRow,
  ...cpuRows,
];

const FANOUT_GRID_ROWS: RowSpec[] = [
  { key: 'deliveries', label: 'delivered lines/s', unit: 'rate' },
  { key: 'vsRelay', label: "delivered lines/s ÷ the relay's", unit: 'float', noRatio: true },
  { key: 'messages', label: 'messages in/s', unit: 'rate' },
  { key: 'p50', label: 'latency p50', unit: 'ms' },
  { key: 'p99', label: 'latency p99', unit: 'ms' },
  { key: 'cpuPerLineNs', label: 'server CPU per delivered line', unit: 'ns' },
  { key: 'serverCpu', label: 'server CPU (one core = 100 %)', unit: 'pct', noRatio: true },
  lossRow,
  { key: 'generatorCpu', label: 'generator CPU', unit: 'pct', noRatio: true },
  { key: 'otherCpu', label: 'other processes CPU (noise)', unit: 'pct', noRatio: true },
];

async function runIrcFanout(ctx: RunContext, title: string, receivers: number, messageBytes: number): Promise<ScenarioOutcome> {
  const { options } = ctx;
  const ours = ctx.targets.find((t) => t.kind === 'ours')!;
  const relay = ctx.targets.find((t) => t.kind === 'baseline');
  const ircPort = ircPortOf(ours);
  const plan = (members: Membership) => (tag: string) =>
    ircFanoutPlan(tag, receivers, options.senders, options.window * options.senders, options.workers, options.track, members, ircPort);
  const legs: TrafficLeg[] = [
    ...(relay !== undefined ? [{ key: 'relay', target: relay, makePlan: plan('line') }] : []),
    ...MEMBERSHIPS.map(({ key, label }) => ({ key, target: { ...ours, label: `ours, ${label}` }, makePlan: plan(key) })),
  ];
  const result = await compareLegs(ctx, title, legs, { kind: 'window' }, options.rounds, messageBytes);

  const relayMetrics = result.metrics.relay;
  const byKey = (key: string): Metrics | undefined => {
    const m = result.metrics[key];
    if (m === undefined) return undefined;
    const base = relayMetrics?.deliveries;
    return { ...m, vsRelay: base !== undefined && base !== null && base > 0 && typeof m.deliveries === 'number' ? m.deliveries / base : null };
  };
  const line = byKey('line');
  const irc = byKey('irc');
  const mixed = byKey('mixed');
  const ratio = (a: Metrics | undefined, b: Metrics | undefined): number | null =>
    typeof a?.deliveries === 'number' && typeof b?.deliveries === 'number' && b.deliveries > 0 ? a.deliveries / b.deliveries : null;

  const notes: string[] = [];
  for (const { key, label } of MEMBERSHIPS) {
    const m = result.metrics[key];
    if (m === undefined || key === 'irc') continue; // the IRC leg is "ours" in the main table: main.ts notes it
    if (typeof m.anomalies === 'number' && m.anomalies > 0) {
      notes.push(`${title}, ${label}: ${m.lost} lost, ${m.duplicated} duplicated, ${m.reordered} reordered, ${m.closed} dropped`);
    }
    if (typeof m.generatorCpu === 'number' && m.generatorCpu >= GENERATOR_BUSY_PCT) {
      notes.push(`${title}, ${label}: the generator used ${m.generatorCpu.toFixed(0)} % of its core, so this figure may be the generator's limit`);
    }
    if (typeof m.otherCpu === 'number' && m.otherCpu >= NOISE_PCT) {
      notes.push(`${title}, ${label}: other processes used ${m.otherCpu.toFixed(0)} % of a core meanwhile (shared machine): the figure is disturbed`);
    }
  }
  if (messageBytes !== options.messageBytes) notes.push(`${title}: messages of ${messageBytes} bytes (not ${options.messageBytes}), the most one IRC line takes whole`);

  const oursErrors = MEMBERSHIPS.filter(({ key }) => result.errors[key] !== undefined).map(({ key, label }) => `${label}: ${result.errors[key]}`);
  return {
    metrics: {
      ...(irc !== undefined ? { ours: { ...irc, lineDeliveries: line?.deliveries ?? null, mixedDeliveries: mixed?.deliveries ?? null, ircVsLine: ratio(irc, line), mixedVsLine: ratio(mixed, line) } } : {}),
      ...(relayMetrics !== undefined ? { baseline: { ...relayMetrics, lineDeliveries: relayMetrics.deliveries, mixedDeliveries: relayMetrics.deliveries } } : {}),
    },
    errors: {
      ...(oursErrors.length > 0 ? { ours: oursErrors.join('; ') } : {}),
      ...(result.errors.relay !== undefined ? { baseline: result.errors.relay } : {}),
    },
    details: {
      ours: Object.fromEntries(MEMBERSHIPS.map(({ key }) => [key, { metrics: byKey(key) ?? null, ...(result.details[key] as object | undefined) }])),
      ...(result.details.relay !== undefined ? { baseline: result.details.relay } : {}),
    },
    grids: [
      buildGrid(
        `${title}: line, IRC and half-IRC members on our server beside the relay (${options.senders} senders, segments alternating)`,
        FANOUT_GRID_ROWS,
        [
          { label: 'relay', metrics: relayMetrics === undefined ? undefined : { ...relayMetrics, vsRelay: 1 } },
          { label: 'line members', metrics: line },
          { label: 'IRC members', metrics: irc },
          { label: 'half IRC', metrics: mixed },
        ],
        { label: 'IRC ÷ line', numerator: 2, denominator: 1 },
      ),
    ],
    notes,
  };
}

function idleRows(count: number): RowSpec[] {
  return [
    {
      key: 'rssPerConnKiB',
      label: 'server RSS per IRC connection (in a channel)',
      unit: 'kib',
      noRatio: true,
      ...(count >= GOALS.idleAt ? { goal: { kind: 'max' as const, value: GOALS.idleKiB, unit: 'kib' as const } } : {}),
    },
    { key: 'lineRssPerConnKiB', label: 'server RSS per line connection (in a room)', unit: 'kib', noRatio: true },
    // The target: an IRC member costs no more than a line member.
    { key: 'ircVsLine', label: 'IRC ÷ line, per connection', unit: 'float', noRatio: true, ...(count >= GOALS.idleAt ? { goal: { kind: 'max' as const, value: 1, unit: 'float' as const } } : {}) },
    { key: 'rssAfterMiB', label: 'server RSS with all IRC members in', unit: 'mib', noRatio: true },
    { key: 'lineRssAfterMiB', label: 'server RSS with all line members in', unit: 'mib', noRatio: true },
    { key: 'loginRate', label: 'IRC registrations + JOIN/s while setting up', unit: 'rate', noRatio: true },
    { key: 'lineLoginRate', label: 'line logins + JOIN/s while setting up', unit: 'rate', noRatio: true },
  ];
}

async function runIrcIdle(ctx: RunContext, title: string, count: number): Promise<ScenarioOutcome> {
  const { options } = ctx;
  const original = ctx.targets.find((t) => t.kind === 'ours')!;
  ircPortOf(original);
  const kinds: Membership[] = ['line', 'irc'];
  const runs: Record<'line' | 'irc', Metrics[]> = { line: [], irc: [] };
  const errors: string[] = [];
  for (let r = 0; r < options.rounds; r++) {
    for (const members of r % 2 === 0 ? kinds : [...kinds].reverse()) {
      const label = members === 'irc' ? 'IRC members' : 'line members';
      ctx.progress.step(`${title} · ${label} (${r + 1}/${options.rounds})`);
      try {
        const m = await measureIdle(ctx, original, `${title} · ${label}`, count, (tag, target) =>
          idlePlan(tag, count, options.workers, members === 'irc' ? { protocol: 'irc', port: ircPortOf(target) } : undefined),
        );
        runs[members as 'line' | 'irc'].push(m);
      } catch (err) {
        errors.push(`${label}: ${message(err)}`);
        ctx.progress.step(`${title} · ${label} · FAILED: ${message(err)}`);
        await ctx.gen.closeAll();
      }
    }
  }
  const mid = (list: Metrics[], key: string): number | null => {
    const values = list.map((m) => m[key]).filter((v): v is number => typeof v === 'number');
    return values.length === 0 ? null : median(values);
  };
  const irc = mid(runs.irc, 'rssPerConnKiB');
  const line = mid(runs.line, 'rssPerConnKiB');
  const ours: Metrics = {
    rssPerConnKiB: irc,
    lineRssPerConnKiB: line,
    ircVsLine: irc !== null && line !== null && line > 0 ? irc / line : null,
    rssBeforeMiB: mid(runs.irc, 'rssBeforeMiB'),
    rssAfterMiB: mid(runs.irc, 'rssAfterMiB'),
    lineRssAfterMiB: mid(runs.line, 'rssAfterMiB'),
    loginRate: mid(runs.irc, 'loginRate'),
    lineLoginRate: mid(runs.line, 'loginRate'),
  };
  return {
    metrics: runs.irc.length > 0 || runs.line.length > 0 ? { ours } : {},
    errors: errors.length > 0 ? { ours: errors.join('; ') } : {},
    details: { ours: { rounds: { irc: runs.irc, line: runs.line } } },
  };
}

export function planIrcScenarios(options: BenchOptions, maxConnections: number): Scenario[] {
  const list: Scenario[] = [];
  const want = new Set(options.scenario);
  if (want.has('irc-fanout')) {
    const messageBytes = Math.min(options.messageBytes, IRC_MESSAGE_BYTES_MAX);
    for (const size of options.ircFanout) {
      // All four rooms are open at once in the generator.
      const receivers = Math.max(1, Math.min(size, Math.floor(maxConnections / 4) - options.senders));
      const title = `irc-fanout N=${receivers}`;
      list.push({
        id: `irc-fanout-${receivers}`,
        family: 'irc-fanout',
        title,
        params: { receivers, senders: options.senders, windowPerSender: options.window, messageBytes, legs: `${options.baseline ? 'relay, ' : ''}line, irc, mixed` },
        rows: FANOUT_ROWS,
        run: (ctx) => runIrcFanout(ctx, title, receivers, messageBytes),
      });
    }
  }
  if (want.has('irc-idle')) {
    for (const size of options.ircIdle) {
      const count = Math.min(size, maxConnections);
      const title = `irc-idle N=${count}`;
      list.push({
        id: `irc-idle-${count}`,
        family: 'irc-idle',
        title,
        params: { connections: count, roomSize: IDLE_ROOM_SIZE, rounds: options.rounds },
        rows: idleRows(count),
        run: (ctx) => runIrcIdle(ctx, title, count),
      });
    }
  }
  return list;
}
