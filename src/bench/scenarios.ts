// The scenarios: what each one connects, what it measures, and the rows of
// the table it fills. Traffic scenarios open the same plan on both targets
// (the chat server and the baseline relay) and alternate short measured
// segments between them, so noise from a shared machine hits both alike;
// a figure is the median over a target's segments. Idle, storm and trickle
// run on one target after the other.

import net from 'node:net';
import { encodeLogin, encodeSay } from '../protocol/index.js';
import type { Generator, Mark, Plan, RunReport, SetupResult, TrafficRun } from './generator.js';
import { Histogram, percentile } from './histogram.js';
import { curveChunk, loginCurve, type LoginCurve } from './login-curve.js';
import type { SendMode } from './messages.js';
import type { BenchOptions, ScenarioName } from './options.js';
import type { Progress } from './progress.js';
import { listenOverflows, machineBusySeconds, processCpuSeconds, processRssKiB, sleep, waitQuiet, type ChildServer } from './system.js';
import { GOALS, STORM_IN_FLIGHT, fanoutGoal } from './targets.js';
import { formatValue, type Grid, type Metrics, type RowSpec } from './table.js';

export type TargetKind = 'ours' | 'baseline';

export interface BenchTarget {
  kind: TargetKind;
  label: string;
  host: string;
  port: number;
  /** Known when the bench started the process: CPU and RSS come from /proc. */
  pid: number | undefined;
  /** The server's IRC listener, when the bench started it with --irc-port. */
  ircPort?: number;
  /** The server's web port (its WebSocket at /ws), when the bench started it with --web-port. */
  webPort?: number;
}

export interface RunContext {
  gen: Generator;
  options: BenchOptions;
  progress: Progress;
  /** The targets of this run, baseline first. */
  targets: BenchTarget[];
  /** Results so far, by `${scenario.id}:${kind}`. */
  results: Map<string, Metrics>;
  /** A fresh prefix for connection names, so no name is reused while a server still holds it. */
  nextTag(): string;
  /** Starts a fresh process for a target the bench started (idle memory); undefined when it cannot. */
  restart(kind: TargetKind): Promise<BenchTarget | undefined>;
  /** CPU the server-side processes are pinned to (taskset), undefined when not pinned. */
  serverCpu: number | undefined;
  /** A folder of this run, removed at the end. */
  tempDir: string;
  /**
   * Starts one more chat server with the bench's usual flags plus `extraArgs`
   * (e.g. `--redis URL`: a cluster node), pinned like ours; the bench stops it
   * at the end if the scenario has not.
   */
  startServer(label: string, extraArgs: string[]): Promise<ChildServer>;
  /** Hands over a process the scenario started: the bench stops it (after the chat servers) at the end. */
  adopt(child: ChildServer): void;
}

export interface ScenarioOutcome {
  metrics: Partial<Record<TargetKind, Metrics>>;
  errors: Partial<Record<TargetKind, string>>;
  /** Per-target extra detail for --json (e.g. each measured segment). */
  details: Partial<Record<TargetKind, unknown>>;
  /** Tables of their own, one column per setup (the cluster scenario). */
  grids?: Grid[];
  /** Lines for the footer under the tables. */
  notes?: string[];
}

export interface Scenario {
  id: string;
  family: ScenarioName;
  title: string;
  params: Record<string, number | string>;
  rows: RowSpec[];
  run(ctx: RunContext): Promise<ScenarioOutcome>;
}

/** Logins in flight at once per worker during setup. */
const SETUP_CONCURRENCY = 200;
const SETUP_TIMEOUT_MS = 120_000;
const DRAIN_TIMEOUT_MS = 5_000;
/** Rate mode's cap on messages in flight; hitting it means the offered rate was not sustained. */
const RATE_MODE_WINDOW = 1 << 15;
/** Idle connections share rooms of this many, so join notices stay O(N). */
export const IDLE_ROOM_SIZE = 100;
export const HISTORY_SEED = 20;
/** The trickle's cut-off: a slow server still gives the count it logged in by then. */
const TRICKLE_TIMEOUT_MS = 120_000;
const STORM_TIMEOUT_MS = 30_000;
/** How long the server may take to settle once the trickle's connections close (leave notices). */
const SETTLE_MAX_MS = 60_000;

// ------------------------------------------------------------------ rows

export const lossRow: RowSpec = {
  key: 'anomalies',
  label: 'lost / dup / reordered',
  unit: 'count',
  goal: { kind: 'zero' },
  show: (m) => `${m.lost ?? '–'} / ${m.duplicated ?? '–'} / ${m.reordered ?? '–'}${m.closed ? ` (${m.closed} dropped)` : ''}`,
};
export const cpuRows: RowSpec[] = [
  { key: 'serverRssMiB', label: 'server RSS (largest)', unit: 'mib' },
  { key: 'serverCpu', label: 'server CPU (one core = 100 %)', unit: 'pct', noRatio: true },
  { key: 'generatorCpu', label: 'generator CPU', unit: 'pct', noRatio: true },
  { key: 'otherCpu', label: 'other processes CPU (noise)', unit: 'pct', noRatio: true },
];

function trafficRows(deliveryGoal?: number): RowSpec[] {
  return [
    { key: 'deliveries', label: 'delivered lines/s', unit: 'rate', ...(deliveryGoal !== undefined ? { goal: { kind: 'ratio-min' as const, value: deliveryGoal } } : {}) },
    { key: 'messages', label: 'messages in/s', unit: 'rate' },
    { key: 'p50', label: 'latency p50', unit: 'ms' },
    { key: 'p99', label: 'latency p99', unit: 'ms' },
    lossRow,
    ...cpuRows,
  ];
}

// ------------------------------------------------------------------ plans

export function fanoutPlan(tag: string, receivers: number, senders: number, window: number, workers: number, track: number): Plan {
  const every = Math.max(1, Math.ceil(receivers / track));
  const conns: Plan['conns'] = [];
  for (let i = 0; i < receivers; i++) conns.push({ name: `${tag}r${i}`, recvGroup: 0, tracked: i % every === 0, worker: i % workers });
  for (let i = 0; i < senders; i++) conns.push({ name: `${tag}s${i}`, senderId: i, sendGroup: 0, sends: { type: 'TEXT' }, worker: 0 });
  return { conns, groups: [{ id: 0, kind: 'TEXT', senderBase: 0, senderCount: senders, window }] };
}

export function privatePlan(tag: string, pairs: number, window: number, workers: number): Plan {
  const conns: Plan['conns'] = [];
  const groups: Plan['groups'] = [];
  for (let i = 0; i < pairs; i++) {
    const a = `${tag}a${i}`;
    const b = `${tag}b${i}`;
    const room = `${tag}p${i}`;
    const worker = i % workers;
    groups.push({ id: 2 * i, kind: 'PRIVATE', senderBase: 2 * i, senderCount: 1, window });
    groups.push({ id: 2 * i + 1, kind: 'PRIVATE', senderBase: 2 * i + 1, senderCount: 1, window });
    conns.push({ name: a, room, worker, senderId: 2 * i, sendGroup: 2 * i, sends: { type: 'PRIVATE', to: b }, recvGroup: 2 * i + 1, tracked: true });
    conns.push({ name: b, room, worker, senderId: 2 * i + 1, sendGroup: 2 * i + 1, sends: { type: 'PRIVATE', to: a }, recvGroup: 2 * i, tracked: true });
  }
  return { conns, groups };
}

export function roomsPlan(tag: string, rooms: number, size: number, window: number, workers: number): Plan {
  const conns: Plan['conns'] = [];
  const groups: Plan['groups'] = [];
  for (let r = 0; r < rooms; r++) {
    const room = `${tag}room${r}`;
    const worker = r % workers;
    groups.push({ id: r, kind: 'TEXT', senderBase: r, senderCount: 1, window });
    conns.push({ name: `${tag}s${r}`, room, worker, senderId: r, sendGroup: r, sends: { type: 'TEXT' } });
    for (let m = 1; m < size; m++) conns.push({ name: `${tag}m${r}x${m}`, room, worker, recvGroup: r, tracked: true });
  }
  return { conns, groups };
}

/** `via`: the protocol and port of IRC members (rooms are then channels) or WebSocket ones; the line protocol on TCP without it. */
export function idlePlan(tag: string, count: number, workers: number, via?: { protocol: 'irc' | 'ws'; port: number }): Plan {
  const conns: Plan['conns'] = [];
  for (let i = 0; i < count; i++) conns.push({ name: `${tag}i${i}`, room: `${tag}idle${Math.floor(i / IDLE_ROOM_SIZE)}`, worker: i % workers, ...via });
  return { conns, groups: [] };
}

export function lobbyPlan(tag: string, count: number, workers: number): Plan {
  const conns: Plan['conns'] = [];
  for (let i = 0; i < count; i++) conns.push({ name: `${tag}l${i}`, worker: i % workers });
  return { conns, groups: [] };
}

// ------------------------------------------------------------------ helpers

export function describeErrors(errors: Record<string, number>): string {
  const list = Object.entries(errors).map(([code, n]) => `${code}×${n}`);
  return list.length === 0 ? 'no error reported' : list.join(', ');
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length === 0 ? NaN : percentile(finite, 50);
}

export function formatRate(v: number): string {
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} k` : v.toFixed(0);
}

export async function logIn(
  ctx: RunContext,
  target: BenchTarget,
  plan: Plan,
  what: string,
  messageBytes = ctx.options.messageBytes,
): Promise<{ run: TrafficRun; setup: SetupResult }> {
  ctx.progress.step(`${what} · ${target.label} · logging in ${plan.conns.length} connections`);
  const opened = await ctx.gen.setup(plan, target, { concurrency: SETUP_CONCURRENCY, timeoutMs: SETUP_TIMEOUT_MS, messageBytes });
  if (opened.setup.failed > 0) {
    await ctx.gen.close(opened.run);
    throw new Error(`${opened.setup.failed} of ${plan.conns.length} logins failed (${describeErrors(opened.setup.errors)})`);
  }
  return opened;
}

/** One measured stretch of traffic on one target. */
export interface Segment {
  seconds: number;
  deliveries: number;
  messages: number;
  latency: Histogram;
  serverSeconds: number | undefined;
  generatorSeconds: number;
  otherSeconds: number | undefined;
  rssKiB: number | undefined;
  drained: boolean;
}

/** Marks the start of a measured window, shows the rate every 250 ms on the progress line, marks its end. */
export async function measureWindow(ctx: RunContext, run: TrafficRun, ms: number, label: string): Promise<{ m0: Mark; m1: Mark }> {
  const m0 = await run.mark(true);
  const ticks = Math.max(1, Math.round(ms / 250));
  for (let i = 1; i < ticks; i++) {
    await sleep(ms / ticks);
    const m = await run.mark(true);
    ctx.progress.status(`${label} · ${formatRate((m.delivered - m0.delivered) / ((m.atNs - m0.atNs) / 1e9))} lines/s`);
  }
  await sleep(ms / ticks);
  const m1 = await run.mark(false);
  return { m0, m1 };
}

/** `serverClock` reads the server's CPU seconds (default /proc/<pid>/stat, in 10 ms ticks). */
export async function segment(
  ctx: RunContext,
  target: BenchTarget,
  run: TrafficRun,
  mode: SendMode,
  ms: number,
  what: string,
  serverClock: (pid: number) => number | undefined = processCpuSeconds,
): Promise<Segment> {
  await run.start(mode);
  await sleep(ctx.options.warmup * 1000);
  const cpu0 = process.cpuUsage();
  const server0 = target.pid === undefined ? undefined : serverClock(target.pid);
  const machine0 = machineBusySeconds();
  const { m0, m1 } = await measureWindow(ctx, run, ms, `${what} · ${target.label}`);
  const cpu = process.cpuUsage(cpu0);
  const server1 = target.pid === undefined ? undefined : serverClock(target.pid);
  const machine1 = machineBusySeconds();
  const rssKiB = target.pid === undefined ? undefined : processRssKiB(target.pid);
  await run.stop();
  const drained = await run.drain(DRAIN_TIMEOUT_MS);
  await waitQuiet(target.pid, 2000);
  const seconds = (m1.atNs - m0.atNs) / 1e9;
  const generatorSeconds = (cpu.user + cpu.system) / 1e6;
  const serverSeconds = server0 !== undefined && server1 !== undefined ? server1 - server0 : undefined;
  return {
    seconds,
    deliveries: (m1.delivered - m0.delivered) / seconds,
    messages: (m1.sent - m0.sent) / seconds,
    latency: m1.latency ?? new Histogram(),
    serverSeconds,
    generatorSeconds,
    // Everyone else on the machine meanwhile: a shared machine's noise.
    otherSeconds:
      machine0 !== undefined && machine1 !== undefined && serverSeconds !== undefined
        ? Math.max(0, machine1 - machine0 - serverSeconds - generatorSeconds)
        : undefined,
    rssKiB,
    drained,
  };
}

/**
 * One side of a traffic comparison: a plan opened on a target. Usually a
 * target of the run (ours, the relay); several legs may share our server
 * with plans of their own (line members, IRC members).
 */
export interface TrafficLeg {
  key: string;
  /** The target, its label naming the leg in progress lines. */
  target: BenchTarget;
  makePlan: (tag: string) => Plan;
}

export interface LegsOutcome {
  metrics: Record<string, Metrics>;
  errors: Record<string, string>;
  details: Record<string, unknown>;
}

/** A leg's figures from its segments: rates and percentiles are medians, CPU is the total over the total time. */
export function trafficMetrics(segs: readonly Segment[], report: RunReport): Metrics {
  const total = (f: (s: Segment) => number | undefined): number | null => {
    const values = segs.map(f);
    return values.some((v) => v === undefined) ? null : values.reduce((n: number, v) => n + v!, 0);
  };
  const seconds = total((s) => s.seconds)!;
  const pct = (v: number | null): number | null => (v === null ? null : (v / seconds) * 100);
  const ms = (us: number): number | null => (Number.isFinite(us) ? us / 1000 : null);
  const lost = report.loss.lost + report.countLost;
  const duplicated = report.loss.duplicated + report.countSurplus;
  const reordered = report.loss.reordered;
  const serverSeconds = total((s) => s.serverSeconds);
  const delivered = total((s) => s.deliveries * s.seconds)!;
  return {
    deliveries: median(segs.map((s) => s.deliveries)),
    messages: median(segs.map((s) => s.messages)),
    delivered: report.delivered,
    sent: report.sent,
    p50: ms(median(segs.map((s) => s.latency.percentile(50)))),
    p90: ms(median(segs.map((s) => s.latency.percentile(90)))),
    p99: ms(median(segs.map((s) => s.latency.percentile(99)))),
    max: ms(Math.max(...segs.map((s) => (s.latency.total > 0 ? s.latency.max : NaN)))),
    latencySamples: segs.reduce((n, s) => n + s.latency.total, 0),
    lost,
    duplicated,
    reordered,
    foreign: report.loss.foreign,
    closed: report.closed,
    errorLines: Object.values(report.errors).reduce((n, v) => n + v, 0),
    windowStalls: report.windowStalls,
    anomalies: lost + duplicated + reordered + report.closed,
    drained: segs.every((s) => s.drained) ? 1 : 0,
    serverCpu: pct(serverSeconds),
    // What one delivered line cost the server, over the measured windows.
    cpuPerLineNs: serverSeconds === null || !(delivered > 0) ? null : (serverSeconds / delivered) * 1e9,
    generatorCpu: pct(total((s) => s.generatorSeconds)),
    otherCpu: pct(total((s) => s.otherSeconds)),
    serverRssMiB: segs.some((s) => s.rssKiB === undefined) ? null : Math.max(...segs.map((s) => s.rssKiB!)) / 1024,
  };
}

/** Each segment of a leg, for --json. */
function segmentDetails(segs: readonly Segment[]): unknown[] {
  const ms = (us: number): number | null => (Number.isFinite(us) ? us / 1000 : null);
  return segs.map((s) => ({
    seconds: s.seconds,
    deliveries: s.deliveries,
    messages: s.messages,
    p50Ms: ms(s.latency.percentile(50)),
    p99Ms: ms(s.latency.percentile(99)),
    serverCpu: s.serverSeconds === undefined ? null : (s.serverSeconds / s.seconds) * 100,
    otherCpu: s.otherSeconds === undefined ? null : (s.otherSeconds / s.seconds) * 100,
  }));
}

/**
 * Opens each leg's plan, then alternates measured segments between the legs
 * (A B C, C B A, A B C, …), then reports loss and closes.
 */
export async function compareLegs(
  ctx: RunContext,
  what: string,
  legs: readonly TrafficLeg[],
  mode: SendMode,
  rounds = ctx.options.rounds,
  messageBytes = ctx.options.messageBytes,
): Promise<LegsOutcome> {
  const outcome: LegsOutcome = { metrics: {}, errors: {}, details: {} };
  const open: Array<{ leg: TrafficLeg; run: TrafficRun; segments: Segment[] }> = [];
  try {
    for (const leg of legs) {
      try {
        const { run } = await logIn(ctx, leg.target, leg.makePlan(ctx.nextTag()), what, messageBytes);
        open.push({ leg, run, segments: [] });
      } catch (err) {
        outcome.errors[leg.key] = message(err);
        ctx.progress.step(`${what} · ${leg.target.label} · FAILED: ${message(err)}`);
      }
    }
    for (const o of open) await waitQuiet(o.leg.target.pid);
    const ms = (ctx.options.duration * 1000) / rounds;
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? open : [...open].reverse();
      for (const o of order) {
        ctx.progress.step(`${what} · ${o.leg.target.label} · measuring ${(ms / 1000).toFixed(2)} s (${r + 1}/${rounds})`);
        o.segments.push(await segment(ctx, o.leg.target, o.run, mode, ms, what));
      }
    }
    for (const o of open) {
      const report = await o.run.report();
      outcome.metrics[o.leg.key] = trafficMetrics(o.segments, report);
      outcome.details[o.leg.key] = { errors: report.errors, segments: segmentDetails(o.segments) };
    }
  } finally {
    for (const o of open) await ctx.gen.close(o.run).catch(() => undefined);
    for (const o of open) await waitQuiet(o.leg.target.pid);
  }
  return outcome;
}

/** compareLegs with one leg per target of the run: the same plan on ours and on the relay. */
async function compareTraffic(
  ctx: RunContext,
  what: string,
  kinds: readonly TargetKind[],
  makePlan: (tag: string) => Plan,
  mode: SendMode,
  rounds = ctx.options.rounds,
): Promise<ScenarioOutcome> {
  const legs = ctx.targets.filter((t) => kinds.includes(t.kind)).map((target) => ({ key: target.kind, target, makePlan }));
  const { metrics, errors, details } = await compareLegs(ctx, what, legs, mode, rounds);
  return { metrics, errors, details } as ScenarioOutcome;
}

/**
 * Server RSS per idle connection: a fresh process of `original`'s kind,
 * its RSS, then the plan's `count` connections logged in, its RSS again.
 * `target` maps the fresh target (e.g. to its IRC port) before the plan is made.
 */
export async function measureIdle(
  ctx: RunContext,
  original: BenchTarget,
  title: string,
  count: number,
  makePlan: (tag: string, target: BenchTarget) => Plan,
): Promise<Metrics> {
  // A fresh process, so earlier scenarios' heap does not hide (or inflate) the growth.
  const target = (await ctx.restart(original.kind)) ?? original;
  await waitQuiet(target.pid);
  await sleep(300);
  const before = target.pid === undefined ? undefined : processRssKiB(target.pid);
  const started = Date.now();
  const { run } = await logIn(ctx, target, makePlan(ctx.nextTag(), target), title);
  const loginSeconds = (Date.now() - started) / 1000;
  await waitQuiet(target.pid);
  await sleep(500);
  const after = target.pid === undefined ? undefined : processRssKiB(target.pid);
  ctx.progress.step(`${title} · ${target.label} · closing`);
  await ctx.gen.close(run);
  await waitQuiet(target.pid);
  return {
    rssBeforeMiB: before !== undefined ? before / 1024 : null,
    rssAfterMiB: after !== undefined ? after / 1024 : null,
    rssPerConnKiB: before !== undefined && after !== undefined ? (after - before) / count : null,
    loginRate: count / loginSeconds,
  };
}

/** Runs `fn` on each target in turn, catching each target's failure; `notes` go under the tables. */
async function eachTarget(ctx: RunContext, fn: (target: BenchTarget, notes: string[]) => Promise<Metrics>): Promise<ScenarioOutcome> {
  const notes: string[] = [];
  const outcome: ScenarioOutcome = { metrics: {}, errors: {}, details: {}, notes };
  for (const target of ctx.targets) {
    try {
      outcome.metrics[target.kind] = await fn(target, notes);
    } catch (err) {
      outcome.errors[target.kind] = message(err);
      ctx.progress.step(`${target.label} · FAILED: ${message(err)}`);
      await ctx.gen.closeAll();
    }
  }
  return outcome;
}

/**
 * The saturation rate (messages/s) with `receivers` in the room: the
 * baseline's (ours without a baseline), from its fanout run when there was
 * one, else from a short probe now.
 */
async function saturation(ctx: RunContext, receivers: number): Promise<number> {
  const kind: TargetKind = ctx.targets.some((t) => t.kind === 'baseline') ? 'baseline' : 'ours';
  for (const key of [`fanout-${receivers}:${kind}`, `saturation-${receivers}:${kind}`]) {
    const known = ctx.results.get(key)?.messages;
    if (known !== undefined && known !== null && known > 0) return known;
  }
  const { options } = ctx;
  const probe = await compareTraffic(
    ctx,
    `saturation probe (${receivers} receivers)`,
    [kind],
    (tag) => fanoutPlan(tag, receivers, options.senders, options.window * options.senders, options.workers, options.track),
    { kind: 'window' },
  );
  const figures = probe.metrics[kind];
  if (figures === undefined) throw new Error(`saturation probe failed: ${probe.errors[kind] ?? 'no figures'}`);
  ctx.results.set(`saturation-${receivers}:${kind}`, figures);
  return figures.messages ?? 0;
}

export async function seedHistory(target: BenchTarget, name: string, count: number): Promise<void> {
  const socket = net.connect({ host: target.host, port: target.port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  let lines = encodeLogin(name);
  for (let i = 1; i <= count; i++) lines += encodeSay(`history seed ${i}`);
  socket.write(lines);
  await sleep(300);
  socket.destroy();
}

/** A stream of logins into one room, `inFlight` at a time: what it did and what it cost the server. */
export interface LoginStream {
  curve: LoginCurve;
  /** The timeout came first: some logins were in flight or not started. */
  cutOff: boolean;
  timeoutMs: number;
  /** Logins that failed otherwise (an ERROR, a closed socket), by reason. */
  errors: Record<string, number>;
  historyLines: number;
  /** Server CPU over the logins, seconds; undefined without a PID. */
  serverSeconds: number | undefined;
  generatorSeconds: number;
  wallSeconds: number;
  run: TrafficRun;
}

/**
 * Logs a plan's connections in with `inFlight` at a time over all workers
 * (Infinity: all at once). Never throws for a slow server: what was done by
 * the cut-off is the figure. The run stays open; the caller closes it.
 */
export async function loginStream(ctx: RunContext, target: BenchTarget, plan: Plan, inFlight: number, timeoutMs: number): Promise<LoginStream> {
  const cpu0 = process.cpuUsage();
  const server0 = target.pid === undefined ? undefined : processCpuSeconds(target.pid);
  const started = process.hrtime.bigint();
  const { run, setup } = await ctx.gen.setup(plan, target, {
    concurrency: Number.isFinite(inFlight) ? { total: inFlight } : Infinity,
    timeoutMs,
    messageBytes: 0,
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const server1 = target.pid === undefined ? undefined : processCpuSeconds(target.pid);
  const cpu = process.cpuUsage(cpu0);
  const timeouts = setup.errors['client:login-timeout'] ?? 0;
  const errors = { ...setup.errors };
  delete errors['client:login-timeout'];
  return {
    curve: loginCurve(setup.loginMs, setup.ownMs),
    cutOff: timeouts > 0 || setup.notStarted > 0,
    timeoutMs,
    errors,
    historyLines: setup.historyLines,
    serverSeconds: server0 !== undefined && server1 !== undefined ? server1 - server0 : undefined,
    generatorSeconds: (cpu.user + cpu.system) / 1e6,
    wallSeconds,
    run,
  };
}

/** The figures of a login stream, for the rows of trickle and storm-8. */
function streamMetrics(stream: LoginStream): Metrics {
  const { curve } = stream;
  return {
    logins: curve.logins,
    done: curve.done,
    cutOff: stream.cutOff ? 1 : 0,
    cutOffS: stream.timeoutMs / 1000,
    // Cut off: the time until all are in is at least the cut-off.
    allInS: stream.cutOff ? stream.timeoutMs / 1000 : curve.allInMs / 1000,
    allDoneMs: stream.cutOff ? stream.timeoutMs : curve.allInMs,
    firstRate: curve.firstRate,
    lastRate: curve.lastRate,
    meanRate: curve.meanRate,
    ownP50: curve.ownP50,
    ownP99: curve.ownP99,
    historyPerLogin: curve.done > 0 ? stream.historyLines / curve.done : null,
    cpuPerLoginMs: stream.serverSeconds !== undefined && curve.done > 0 ? (stream.serverSeconds / curve.done) * 1000 : null,
    serverCpu: stream.serverSeconds !== undefined ? (stream.serverSeconds / stream.wallSeconds) * 100 : null,
    generatorCpu: (stream.generatorSeconds / stream.wallSeconds) * 100,
    failedLogins: Object.values(stream.errors).reduce((n, v) => n + v, 0),
  };
}

/**
 * Logs `count` connections into the lobby (given 20 lines of history first)
 * with `inFlight` at a time, closes them and waits for the server to settle.
 */
async function lobbyLogins(ctx: RunContext, target: BenchTarget, title: string, count: number, inFlight: number, timeoutMs: number): Promise<{ metrics: Metrics; notes: string[] }> {
  const tag = ctx.nextTag();
  await seedHistory(target, `${tag}seed`, HISTORY_SEED);
  await waitQuiet(target.pid);
  ctx.progress.step(`${title} · ${target.label} · ${count} logins, ${inFlight} in flight`);
  const stream = await loginStream(ctx, target, lobbyPlan(tag, count, ctx.options.workers), inFlight, timeoutMs);
  const metrics = streamMetrics(stream);
  const notes: string[] = [];
  if (stream.cutOff) notes.push(`${title}, ${target.kind}: cut off at ${timeoutMs / 1000} s with ${stream.curve.done} of ${count} logged in`);
  if (metrics.failedLogins! > 0) notes.push(`${title}, ${target.kind}: ${metrics.failedLogins} logins failed (${describeErrors(stream.errors)})`);
  ctx.progress.step(`${title} · ${target.label} · ${stream.curve.done} of ${count} in after ${formatValue(stream.curve.lastDoneMs / 1000, 'seconds')}; closing`);
  const closedAt = Date.now();
  await ctx.gen.close(stream.run);
  await waitQuiet(target.pid, SETTLE_MAX_MS);
  metrics.settleS = (Date.now() - closedAt) / 1000;
  return { metrics, notes };
}

// ------------------------------------------------------------------ scenarios

export function planScenarios(options: BenchOptions, maxConnections: number): Scenario[] {
  const list: Scenario[] = [];
  const want = new Set(options.scenario);
  const cap = (n: number): number => Math.min(n, maxConnections);
  const both: TargetKind[] = ['baseline', 'ours'];

  if (want.has('fanout')) {
    for (const size of options.fanout) {
      const receivers = cap(size);
      const title = `fanout N=${receivers}`;
      list.push({
        id: `fanout-${receivers}`,
        family: 'fanout',
        title,
        params: { receivers, senders: options.senders, windowPerSender: options.window },
        rows: trafficRows(fanoutGoal(receivers)),
        run: (ctx) =>
          compareTraffic(ctx, title, both, (tag) => fanoutPlan(tag, receivers, options.senders, options.window * options.senders, options.workers, options.track), {
            kind: 'window',
          }),
      });
    }
  }

  if (want.has('steady')) {
    const receivers = cap(options.steadyReceivers);
    list.push({
      id: 'steady',
      family: 'steady',
      title: `steady N=${receivers}`,
      params: { receivers, senders: options.senders },
      rows: [
        { key: 'offered', label: 'offered messages/s', unit: 'rate', noRatio: true },
        { key: 'deliveries', label: 'delivered lines/s', unit: 'rate' },
        { key: 'p50', label: 'latency p50', unit: 'ms' },
        { key: 'p90', label: 'latency p90', unit: 'ms' },
        { key: 'p99', label: 'latency p99', unit: 'ms', goal: { kind: 'ratio-max', value: 2 } },
        { key: 'max', label: 'latency max', unit: 'ms' },
        lossRow,
        ...cpuRows,
      ],
      run: async (ctx) => {
        const rate = Math.max(1, Math.round(options.steadyRate ?? (await saturation(ctx, receivers)) / 2));
        const outcome = await compareTraffic(
          ctx,
          `steady ${formatRate(rate)} msgs/s`,
          both,
          (tag) => fanoutPlan(tag, receivers, options.senders, RATE_MODE_WINDOW, options.workers, options.track),
          { kind: 'rate', perSecond: rate },
        );
        for (const m of Object.values(outcome.metrics)) m.offered = rate;
        return outcome;
      },
    });
  }

  if (want.has('idle')) {
    for (const size of options.idle) {
      const count = cap(size);
      const title = `idle N=${count}`;
      list.push({
        id: `idle-${count}`,
        family: 'idle',
        title,
        params: { connections: count, roomSize: IDLE_ROOM_SIZE },
        rows: [
          { key: 'rssPerConnKiB', label: 'server RSS per connection', unit: 'kib', ...(count >= GOALS.idleAt ? { goal: { kind: 'max' as const, value: GOALS.idleKiB, unit: 'kib' as const } } : {}) },
          { key: 'rssBeforeMiB', label: 'server RSS, fresh process', unit: 'mib' },
          { key: 'rssAfterMiB', label: 'server RSS with all logged in', unit: 'mib' },
          { key: 'loginRate', label: 'logins/s while setting up', unit: 'rate' },
        ],
        run: (ctx) => eachTarget(ctx, (original) => measureIdle(ctx, original, title, count, (tag) => idlePlan(tag, count, options.workers))),
      });
    }
  }

  if (want.has('storm')) {
    const count = cap(options.storm);
    const title = `storm N=${count}`;
    list.push({
      id: 'storm',
      family: 'storm',
      title,
      params: { logins: count, historySeed: HISTORY_SEED },
      rows: [
        { key: 'allDoneMs', label: 'all logged in (SUCCESS, history, join)', unit: 'ms', goal: { kind: 'max', value: GOALS.stormMs, unit: 'ms' } },
        { key: 'allSuccessMs', label: 'all have SUCCESS', unit: 'ms' },
        { key: 'loginP50', label: 'one login p50', unit: 'ms' },
        { key: 'loginP99', label: 'one login p99', unit: 'ms' },
        { key: 'historyPerLogin', label: 'history lines per login', unit: 'count', noRatio: true },
        { key: 'listenOverflows', label: 'listen-queue overflows (kernel)', unit: 'count', noRatio: true },
      ],
      run: (ctx) =>
        eachTarget(ctx, async (target) => {
          const tag = ctx.nextTag();
          await seedHistory(target, `${tag}seed`, HISTORY_SEED);
          await waitQuiet(target.pid);
          ctx.progress.step(`${title} · ${target.label} · ${count} logins at once`);
          const overflows0 = listenOverflows();
          const startAtNs = Number(process.hrtime.bigint()) + 50e6;
          const { run, setup } = await ctx.gen.setup(lobbyPlan(tag, count, options.workers), target, {
            concurrency: Infinity,
            startAtNs,
            timeoutMs: STORM_TIMEOUT_MS,
            messageBytes: 0,
          });
          const overflows1 = listenOverflows();
          await ctx.gen.close(run);
          await waitQuiet(target.pid);
          if (setup.failed > 0) throw new Error(`${setup.failed} of ${count} logins failed (${describeErrors(setup.errors)})`);
          const times = setup.loginMs.filter((t) => Number.isFinite(t));
          return {
            allDoneMs: setup.allDoneMs,
            allSuccessMs: setup.allSuccessMs,
            loginP50: percentile(times, 50),
            loginP99: percentile(times, 99),
            historyPerLogin: setup.historyLines / count,
            listenOverflows: overflows0 !== undefined && overflows1 !== undefined ? overflows1 - overflows0 : null,
          };
        }),
    });

    // The same logins with only a few in flight: a client pool that
    // reconnects a few at a time rather than all at once.
    const title8 = `storm N=${count}, ${STORM_IN_FLIGHT} in flight`;
    list.push({
      id: `storm-${STORM_IN_FLIGHT}`,
      family: 'storm',
      title: title8,
      params: { logins: count, inFlight: STORM_IN_FLIGHT, historySeed: HISTORY_SEED },
      rows: [
        { key: 'allDoneMs', label: 'all logged in (SUCCESS, history, join)', unit: 'ms', goal: { kind: 'max', value: GOALS.storm8Ms, unit: 'ms' }, lowerBound: (m) => m.cutOff === 1 },
        { key: 'meanRate', label: 'logins/s', unit: 'rate' },
        { key: 'ownP50', label: 'one login p50 (its connect to its join)', unit: 'ms' },
        { key: 'ownP99', label: 'one login p99', unit: 'ms' },
        { key: 'cpuPerLoginMs', label: 'server CPU per login', unit: 'ms' },
        { key: 'historyPerLogin', label: 'history lines per login', unit: 'count', noRatio: true },
      ],
      run: (ctx) =>
        eachTarget(ctx, async (target, notes) => {
          const result = await lobbyLogins(ctx, target, title8, count, STORM_IN_FLIGHT, STORM_TIMEOUT_MS);
          notes.push(...result.notes);
          return result.metrics;
        }),
    });
  }

  if (want.has('trickle')) {
    const count = cap(options.trickle);
    const inFlight = options.trickleInFlight;
    const chunk = curveChunk(count);
    const title = `trickle N=${count}, ${inFlight} in flight`;
    list.push({
      id: 'trickle',
      family: 'trickle',
      title,
      params: { logins: count, inFlight, historySeed: HISTORY_SEED, cutOffS: TRICKLE_TIMEOUT_MS / 1000 },
      rows: [
        { key: 'allInS', label: 'all in (SUCCESS, history, join)', unit: 'seconds', goal: { kind: 'max', value: GOALS.trickleS, unit: 'seconds' }, lowerBound: (m) => m.cutOff === 1 },
        { key: 'done', label: `logged in (cut-off ${TRICKLE_TIMEOUT_MS / 1000} s)`, unit: 'count', show: (m) => `${m.done} of ${m.logins}` },
        { key: 'firstRate', label: `logins/s, first ${chunk}`, unit: 'rate' },
        { key: 'lastRate', label: `logins/s, last ${chunk} done`, unit: 'rate' },
        { key: 'ownP50', label: 'one login p50 (its connect to its join)', unit: 'ms' },
        { key: 'ownP99', label: 'one login p99', unit: 'ms' },
        { key: 'cpuPerLoginMs', label: 'server CPU per login', unit: 'ms' },
        { key: 'historyPerLogin', label: 'history lines per login', unit: 'count', noRatio: true },
        { key: 'settleS', label: 'server busy after all closed', unit: 'seconds' },
        { key: 'serverCpu', label: 'server CPU (one core = 100 %)', unit: 'pct', noRatio: true },
        { key: 'generatorCpu', label: 'generator CPU', unit: 'pct', noRatio: true },
      ],
      run: (ctx) =>
        eachTarget(ctx, async (target, notes) => {
          const result = await lobbyLogins(ctx, target, title, count, inFlight, TRICKLE_TIMEOUT_MS);
          notes.push(...result.notes);
          return result.metrics;
        }),
    });
  }

  if (want.has('private')) {
    const pairs = Math.floor(cap(options.pairs * 2) / 2);
    const title = `private ${pairs} pairs`;
    list.push({
      id: 'private',
      family: 'private',
      title,
      params: { pairs, windowPerSender: options.smallWindow },
      rows: trafficRows(),
      run: (ctx) => compareTraffic(ctx, title, both, (tag) => privatePlan(tag, pairs, options.smallWindow, options.workers), { kind: 'window' }),
    });

    // Its twin for issue 12's target: as many rooms of two, one member
    // sending TEXT with the same window. Our server echoes TEXT to its
    // sender, so each message costs two lines out, as PRIVATE and SENT do.
    const twin = `text ${pairs} rooms of 2`;
    list.push({
      id: 'private-text',
      family: 'private',
      title: twin,
      params: { rooms: pairs, roomSize: 2, windowPerSender: options.smallWindow },
      rows: trafficRows(),
      run: (ctx) => compareTraffic(ctx, twin, both, (tag) => roomsPlan(tag, pairs, 2, options.smallWindow, options.workers), { kind: 'window' }),
    });
  }

  if (want.has('rooms')) {
    const rooms = Math.max(1, Math.floor(cap(options.rooms * options.roomSize) / options.roomSize));
    const title = `rooms ${rooms}×${options.roomSize}`;
    list.push({
      id: 'rooms',
      family: 'rooms',
      title,
      params: { rooms, roomSize: options.roomSize, windowPerSender: options.smallWindow },
      rows: trafficRows(GOALS.rooms),
      run: (ctx) => compareTraffic(ctx, title, both, (tag) => roomsPlan(tag, rooms, options.roomSize, options.smallWindow, options.workers), { kind: 'window' }),
    });
  }
  return list;
}
