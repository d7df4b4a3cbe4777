// Members of another door than the line protocol's TCP port (IRC, the
// line protocol over WebSocket) next to line members, on the same server in
// the same run. irc.ts and ws.ts name the door; the measuring is here.
//
//   <door>-fanout N   one room of N receivers and --senders senders, four
//                     ways at once: on the relay (line members, the
//                     baseline), and on our server with all line members,
//                     all members of the door, and half of each (receivers
//                     and senders alike). Measured segments alternate
//                     between the four, so a shared machine's noise hits
//                     them alike; figures are medians over each one's
//                     segments.
//   <door>-idle N     server RSS per idle connection, logged in and in a
//                     room of 100, the door's beside line: each on a fresh
//                     process, alternating over the rounds, medians.
//
// Deliveries are counted alike for every door: receivers count the group's
// lines (messages), senders count nothing.

import type { Plan } from './generator.js';
import type { ConnSpec } from './messages.js';
import type { BenchOptions, ScenarioName } from './options.js';
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
import { buildGrid, type Goal, type Metrics, type RowSpec } from './table.js';

/** Generator CPU (% of its core) above which a figure may be the generator's limit. */
const GENERATOR_BUSY_PCT = 90;
/** Other processes' CPU (% of a core) above which a figure is called disturbed. */
const NOISE_PCT = 25;

export interface Door {
  /** The members' protocol: also their leg's key and the prefix of `${protocol}VsLine`. */
  protocol: 'irc' | 'ws';
  /** As the tables name it. */
  name: string;
  /** The port the door's members connect to on our server; throws why there is none. */
  port(target: BenchTarget): number;
  fanout: ScenarioName;
  idle: ScenarioName;
  /** The longest message the door takes whole, and why. */
  maxMessage?: { bytes: number; why: string };
  /** The goal of the row "<door> ÷ line members, delivered lines/s" in a room this size. */
  fanoutGoal?(receivers: number): Goal | undefined;
  /** How an idle member stands: 'in a channel', 'in a room'. */
  idleWhere: string;
  /** The idle setup's rate, as the rows name it: 'IRC registrations + JOIN/s'. */
  idleLogins: string;
  /** The goals of the idle rows (RSS per member, door ÷ line) at this count. */
  idleGoals?(count: number): { perConn: Goal; vsLine: Goal } | undefined;
}

/** Who the members of a room are: all line, all the door's, or the first half line and the second the door's. */
export type Membership = 'line' | 'all' | 'mixed';

/**
 * One room of `receivers` and `senders`, every member joining `${tag}room`
 * (a room of its own: the legs on our server run side by side). In a mixed
 * room the second half of the receivers and of the senders come through
 * `via`, so the tracked receivers (spread evenly) are of both kinds.
 */
export function memberFanoutPlan(
  tag: string,
  receivers: number,
  senders: number,
  window: number,
  workers: number,
  track: number,
  members: Membership,
  via: Pick<ConnSpec, 'protocol' | 'port'>,
): Plan {
  const room = `${tag}room`;
  const every = Math.max(1, Math.ceil(receivers / track));
  const door = (i: number, n: number): Pick<ConnSpec, 'protocol' | 'port'> => (members === 'line' || (members === 'mixed' && i < n / 2) ? {} : via);
  const conns: Plan['conns'] = [];
  for (let i = 0; i < receivers; i++) conns.push({ name: `${tag}r${i}`, room, recvGroup: 0, tracked: i % every === 0, worker: i % workers, ...door(i, receivers) });
  for (let i = 0; i < senders; i++) conns.push({ name: `${tag}s${i}`, room, senderId: i, sendGroup: 0, sends: { type: 'TEXT' }, worker: 0, ...door(i, senders) });
  return { conns, groups: [{ id: 0, kind: 'TEXT', senderBase: 0, senderCount: senders, window }] };
}

function memberships(door: Door): ReadonlyArray<{ key: string; members: Membership; label: string }> {
  return [
    { key: 'line', members: 'line', label: 'line members' },
    { key: door.protocol, members: 'all', label: `${door.name} members` },
    { key: 'mixed', members: 'mixed', label: `half ${door.name}` },
  ];
}

export function fanoutRows(door: Door, receivers: number): RowSpec[] {
  const goal = door.fanoutGoal?.(receivers);
  return [
    { key: 'deliveries', label: `delivered lines/s, all ${door.name} members`, unit: 'rate' },
    { key: 'lineDeliveries', label: 'delivered lines/s, all line members', unit: 'rate' },
    { key: 'mixedDeliveries', label: `delivered lines/s, half ${door.name}`, unit: 'rate' },
    { key: `${door.protocol}VsLine`, label: `${door.name} ÷ line members, delivered lines/s`, unit: 'float', noRatio: true, ...(goal !== undefined ? { goal } : {}) },
    { key: 'cpuPerLineNs', label: `server CPU per delivered line, all ${door.name}`, unit: 'ns' },
    { key: 'lineCpuPerLineNs', label: 'server CPU per delivered line, all line', unit: 'ns' },
    { key: 'messages', label: `messages in/s, all ${door.name}`, unit: 'rate' },
    { key: 'p50', label: `latency p50, all ${door.name}`, unit: 'ms' },
    { key: 'p99', label: `latency p99, all ${door.name}`, unit: 'ms' },
    lossRow,
    ...cpuRows,
  ];
}

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

async function runFanout(ctx: RunContext, door: Door, title: string, receivers: number, messageBytes: number): Promise<ScenarioOutcome> {
  const { options } = ctx;
  const ours = ctx.targets.find((t) => t.kind === 'ours')!;
  const relay = ctx.targets.find((t) => t.kind === 'baseline');
  const via = { protocol: door.protocol, port: door.port(ours) };
  const kinds = memberships(door);
  const plan = (members: Membership) => (tag: string) =>
    memberFanoutPlan(tag, receivers, options.senders, options.window * options.senders, options.workers, options.track, members, via);
  const legs: TrafficLeg[] = [
    ...(relay !== undefined ? [{ key: 'relay', target: relay, makePlan: plan('line') }] : []),
    ...kinds.map(({ key, members, label }) => ({ key, target: { ...ours, label: `ours, ${label}` }, makePlan: plan(members) })),
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
  const all = byKey(door.protocol);
  const mixed = byKey('mixed');
  const ratio = (a: Metrics | undefined, b: Metrics | undefined): number | null =>
    typeof a?.deliveries === 'number' && typeof b?.deliveries === 'number' && b.deliveries > 0 ? a.deliveries / b.deliveries : null;

  const notes: string[] = [];
  for (const { key, label } of kinds) {
    const m = result.metrics[key];
    if (m === undefined || key === door.protocol) continue; // the door's leg is "ours" in the main table: main.ts notes it
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
  if (messageBytes !== options.messageBytes) notes.push(`${title}: messages of ${messageBytes} bytes (not ${options.messageBytes}), ${door.maxMessage?.why ?? 'the most the door takes'}`);

  const oursErrors = kinds.filter(({ key }) => result.errors[key] !== undefined).map(({ key, label }) => `${label}: ${result.errors[key]}`);
  return {
    metrics: {
      ...(all !== undefined
        ? {
            ours: {
              ...all,
              lineDeliveries: line?.deliveries ?? null,
              mixedDeliveries: mixed?.deliveries ?? null,
              lineCpuPerLineNs: line?.cpuPerLineNs ?? null,
              [`${door.protocol}VsLine`]: ratio(all, line),
              mixedVsLine: ratio(mixed, line),
            },
          }
        : {}),
      ...(relayMetrics !== undefined
        ? { baseline: { ...relayMetrics, lineDeliveries: relayMetrics.deliveries, mixedDeliveries: relayMetrics.deliveries, lineCpuPerLineNs: relayMetrics.cpuPerLineNs } }
        : {}),
    },
    errors: {
      ...(oursErrors.length > 0 ? { ours: oursErrors.join('; ') } : {}),
      ...(result.errors.relay !== undefined ? { baseline: result.errors.relay } : {}),
    },
    details: {
      ours: Object.fromEntries(kinds.map(({ key }) => [key, { metrics: byKey(key) ?? null, ...(result.details[key] as object | undefined) }])),
      ...(result.details.relay !== undefined ? { baseline: result.details.relay } : {}),
    },
    grids: [
      buildGrid(
        `${title}: line, ${door.name} and half-${door.name} members on our server beside the relay (${options.senders} senders, segments alternating)`,
        FANOUT_GRID_ROWS,
        [
          { label: 'relay', metrics: relayMetrics === undefined ? undefined : { ...relayMetrics, vsRelay: 1 } },
          { label: 'line members', metrics: line },
          { label: `${door.name} members`, metrics: all },
          { label: `half ${door.name}`, metrics: mixed },
        ],
        { label: `${door.name} ÷ line`, numerator: 2, denominator: 1 },
      ),
    ],
    notes,
  };
}

function idleRows(door: Door, count: number): RowSpec[] {
  const goals = door.idleGoals?.(count);
  return [
    { key: 'rssPerConnKiB', label: `server RSS per ${door.name} connection (${door.idleWhere})`, unit: 'kib', noRatio: true, ...(goals !== undefined ? { goal: goals.perConn } : {}) },
    { key: 'lineRssPerConnKiB', label: 'server RSS per line connection (in a room)', unit: 'kib', noRatio: true },
    { key: `${door.protocol}VsLine`, label: `${door.name} ÷ line, per connection`, unit: 'float', noRatio: true, ...(goals !== undefined ? { goal: goals.vsLine } : {}) },
    { key: 'rssAfterMiB', label: `server RSS with all ${door.name} members in`, unit: 'mib', noRatio: true },
    { key: 'lineRssAfterMiB', label: 'server RSS with all line members in', unit: 'mib', noRatio: true },
    { key: 'loginRate', label: `${door.idleLogins} while setting up`, unit: 'rate', noRatio: true },
    { key: 'lineLoginRate', label: 'line logins + JOIN/s while setting up', unit: 'rate', noRatio: true },
  ];
}

async function runIdle(ctx: RunContext, door: Door, title: string, count: number): Promise<ScenarioOutcome> {
  const { options } = ctx;
  const original = ctx.targets.find((t) => t.kind === 'ours')!;
  door.port(original);
  const kinds = ['line', door.protocol] as const;
  const runs: Record<string, Metrics[]> = { line: [], [door.protocol]: [] };
  const errors: string[] = [];
  for (let r = 0; r < options.rounds; r++) {
    for (const members of r % 2 === 0 ? kinds : [...kinds].reverse()) {
      const label = members === 'line' ? 'line members' : `${door.name} members`;
      ctx.progress.step(`${title} · ${label} (${r + 1}/${options.rounds})`);
      try {
        const m = await measureIdle(ctx, original, `${title} · ${label}`, count, (tag, target) =>
          idlePlan(tag, count, options.workers, members === 'line' ? undefined : { protocol: door.protocol, port: door.port(target) }),
        );
        runs[members]!.push(m);
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
  const theirs = runs[door.protocol]!;
  const perConn = mid(theirs, 'rssPerConnKiB');
  const line = mid(runs.line!, 'rssPerConnKiB');
  const ours: Metrics = {
    rssPerConnKiB: perConn,
    lineRssPerConnKiB: line,
    [`${door.protocol}VsLine`]: perConn !== null && line !== null && line > 0 ? perConn / line : null,
    rssBeforeMiB: mid(theirs, 'rssBeforeMiB'),
    rssAfterMiB: mid(theirs, 'rssAfterMiB'),
    lineRssAfterMiB: mid(runs.line!, 'rssAfterMiB'),
    loginRate: mid(theirs, 'loginRate'),
    lineLoginRate: mid(runs.line!, 'loginRate'),
  };
  return {
    metrics: theirs.length > 0 || runs.line!.length > 0 ? { ours } : {},
    errors: errors.length > 0 ? { ours: errors.join('; ') } : {},
    details: { ours: { rounds: { [door.protocol]: theirs, line: runs.line } } },
  };
}

/** The door's fan-out and idle scenarios the options name, at the sizes they give. */
export function planMemberScenarios(door: Door, options: BenchOptions, maxConnections: number, sizes: { fanout: number[]; idle: number[] }): Scenario[] {
  const list: Scenario[] = [];
  const want = new Set(options.scenario);
  if (want.has(door.fanout)) {
    const messageBytes = door.maxMessage === undefined ? options.messageBytes : Math.min(options.messageBytes, door.maxMessage.bytes);
    for (const size of sizes.fanout) {
      // All four rooms are open at once in the generator.
      const receivers = Math.max(1, Math.min(size, Math.floor(maxConnections / 4) - options.senders));
      const title = `${door.fanout} N=${receivers}`;
      list.push({
        id: `${door.fanout}-${receivers}`,
        family: door.fanout,
        title,
        params: { receivers, senders: options.senders, windowPerSender: options.window, messageBytes, legs: `${options.baseline ? 'relay, ' : ''}line, ${door.protocol}, mixed` },
        rows: fanoutRows(door, receivers),
        run: (ctx) => runFanout(ctx, door, title, receivers, messageBytes),
      });
    }
  }
  if (want.has(door.idle)) {
    for (const size of sizes.idle) {
      const count = Math.min(size, maxConnections);
      const title = `${door.idle} N=${count}`;
      list.push({
        id: `${door.idle}-${count}`,
        family: door.idle,
        title,
        params: { connections: count, roomSize: IDLE_ROOM_SIZE, rounds: options.rounds },
        rows: idleRows(door, count),
        run: (ctx) => runIdle(ctx, door, title, count),
      });
    }
  }
  return list;
}
