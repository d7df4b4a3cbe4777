// The growth scenario: how the cost of a message, of a login and of a
// connection grows with the room. For each size N (10, 100, 1,000, 10,000
// members by default, capped by the open-files limit), on a fresh process
// of each target in turn:
//
//   1. N members log into one room (the lobby), GROWTH_SENDERS of them
//      senders: logins/s and server CPU per login while the room fills;
//   2. RSS with all of them in, minus the fresh process's, ÷ N;
//   3. the senders offer --growth-rate messages/s, the same at every size,
//      for --duration seconds after the warm-up: server CPU per message and
//      per delivered line, delivered lines/s, latency;
//   4. --growth-logins more users log in, --trickle-in-flight at a time:
//      server CPU per login and wall time per login into a room of N.
//
// Each fresh process is warmed up first (a room of 24, a moment of traffic),
// so the smallest room does not pay for the JIT. Server CPU is read from
// each thread's /proc/<pid>/task/<tid>/sched (ns) where the kernel has it,
// else /proc/<pid>/stat (10 ms ticks). It prints a table of its own per
// target, one column per size, and the last size ÷ the first.

import type { BenchOptions } from './options.js';
import { fanoutPlan, formatRate, lobbyPlan, logIn, loginStream, lossRow, message, segment, type BenchTarget, type RunContext, type Scenario, type ScenarioOutcome } from './scenarios.js';
import { cpuClockFor, processRssKiB, sleep, waitQuiet } from './system.js';
import { buildGrid, type Grid, type Metrics, type RowSpec } from './table.js';

/** Senders among the room's members: a few, so the offered rate is not one connection's. */
export const GROWTH_SENDERS = 4;
/** Rate mode's cap on messages in flight; hitting it means the offered rate was not sustained. */
const RATE_MODE_WINDOW = 1 << 15;
/** Filling a room of 10,000 one login at a time is the slow case the trickle measures: allow for it. */
const FILL_TIMEOUT_MS = 300_000;
const EXTRA_TIMEOUT_MS = 60_000;
const FILL_IN_FLIGHT_PER_WORKER = 200;
const WARM_UP_RATE = 2000;
/** Rooms smaller than this add less memory than the heap moves by itself: no per-connection figure. */
const MIN_RSS_MEMBERS = 1000;
const WARM_UP_MS = 500;
/** Generator CPU (% of its core) above which a figure may be the generator's limit. */
const GENERATOR_BUSY_PCT = 90;

export const GROWTH_ROWS: RowSpec[] = [
  { key: 'members', label: 'members in the room', unit: 'count' },
  { key: 'fillRate', label: 'filling it: logins/s', unit: 'rate' },
  { key: 'fillCpuPerLoginMs', label: 'filling it: server CPU per login', unit: 'ms' },
  { key: 'rssPerConnKiB', label: `server RSS per connection (N ≥ ${MIN_RSS_MEMBERS})`, unit: 'kib' },
  { key: 'rssAfterMiB', label: 'server RSS with all in', unit: 'mib' },
  { key: 'offered', label: 'offered messages/s', unit: 'rate' },
  { key: 'messages', label: 'messages in/s', unit: 'rate' },
  { key: 'deliveries', label: 'delivered lines/s', unit: 'rate' },
  { key: 'cpuPerMessageUs', label: 'server CPU per message', unit: 'us' },
  { key: 'cpuPerLineNs', label: 'server CPU per delivered line', unit: 'ns' },
  { key: 'serverCpu', label: 'server CPU (one core = 100 %)', unit: 'pct', noRatio: true },
  { key: 'p50', label: 'latency p50', unit: 'ms' },
  { key: 'p99', label: 'latency p99', unit: 'ms' },
  lossRow,
  { key: 'loginCpuMs', label: 'one more login: server CPU', unit: 'ms' },
  { key: 'loginWallMs', label: 'one more login: wall time (÷ logins)', unit: 'ms' },
  { key: 'loginP50', label: 'one more login: p50, its connect to its join', unit: 'ms' },
  { key: 'generatorCpu', label: 'generator CPU (traffic)', unit: 'pct', noRatio: true },
  { key: 'otherCpu', label: 'other processes CPU (noise)', unit: 'pct', noRatio: true },
];

/** The room sizes of the run: each capped so the room, its extra logins and the bench's own descriptors fit. */
export function growthSizes(sizes: readonly number[], extraLogins: number, maxConnections: number): number[] {
  const most = Math.max(GROWTH_SENDERS + 1, maxConnections - extraLogins);
  return [...new Set(sizes.map((n) => Math.max(GROWTH_SENDERS + 1, Math.min(n, most))))];
}

/** Server CPU seconds between two readings of one clock; undefined without a PID. */
function cpuSpan(clock: ((pid: number) => number | undefined) | undefined, pid: number | undefined): () => number | undefined {
  const at0 = clock === undefined || pid === undefined ? undefined : clock(pid);
  return () => {
    const at1 = clock === undefined || pid === undefined ? undefined : clock(pid);
    return at0 !== undefined && at1 !== undefined ? at1 - at0 : undefined;
  };
}

/**
 * A fresh process has compiled nothing yet: a short round of logins and
 * messages first, so the smallest room does not pay for the JIT.
 */
async function warmUp(ctx: RunContext, target: BenchTarget): Promise<void> {
  const plan = fanoutPlan(ctx.nextTag(), 20, GROWTH_SENDERS, RATE_MODE_WINDOW, ctx.options.workers, ctx.options.track);
  const { run } = await logIn(ctx, target, plan, 'growth warm-up');
  try {
    await run.start({ kind: 'rate', perSecond: WARM_UP_RATE });
    await sleep(WARM_UP_MS);
    await run.stop();
    await run.drain(5_000);
  } finally {
    await ctx.gen.close(run);
  }
  await waitQuiet(target.pid);
}

/** One size on one target, on a fresh process: fill, weigh, traffic, extra logins. */
async function measureSize(ctx: RunContext, original: BenchTarget, members: number, title: string): Promise<Metrics> {
  const { options } = ctx;
  const what = `${title} N=${members}`;
  const target = (await ctx.restart(original.kind)) ?? original;
  const clock = target.pid === undefined ? undefined : cpuClockFor(target.pid);
  await waitQuiet(target.pid);
  await warmUp(ctx, target);
  await sleep(300);
  const rssBefore = target.pid === undefined ? undefined : processRssKiB(target.pid);
  const tag = ctx.nextTag();
  const receivers = members - GROWTH_SENDERS;

  ctx.progress.step(`${what} · ${target.label} · filling the room`);
  const fillCpu = cpuSpan(clock, target.pid);
  const fill = await loginStream(
    ctx,
    target,
    fanoutPlan(tag, receivers, GROWTH_SENDERS, RATE_MODE_WINDOW, options.workers, options.track),
    FILL_IN_FLIGHT_PER_WORKER * ctx.gen.size,
    FILL_TIMEOUT_MS,
  );
  const runs = [fill.run];
  try {
    if (fill.curve.done < members) {
      throw new Error(`only ${fill.curve.done} of ${members} logged in${fill.cutOff ? ` by the ${FILL_TIMEOUT_MS / 1000} s cut-off` : ''}`);
    }
    // The last login is done before the server has written every member its notice: CPU until it is quiet.
    await waitQuiet(target.pid);
    const fillSeconds = fillCpu();
    await sleep(300);
    const rssAfter = target.pid === undefined ? undefined : processRssKiB(target.pid);

    ctx.progress.step(`${what} · ${target.label} · ${formatRate(options.growthRate)} msgs/s for ${options.duration} s`);
    const seg = await segment(ctx, target, fill.run, { kind: 'rate', perSecond: options.growthRate }, options.duration * 1000, what, clock);
    const report = await fill.run.report();
    const sent = seg.messages * seg.seconds;

    ctx.progress.step(`${what} · ${target.label} · ${options.growthLogins} more logins, ${options.trickleInFlight} in flight`);
    const extraCpu = cpuSpan(clock, target.pid);
    const extra = await loginStream(ctx, target, lobbyPlan(`${tag}x`, options.growthLogins, options.workers), options.trickleInFlight, EXTRA_TIMEOUT_MS);
    runs.push(extra.run);
    await waitQuiet(target.pid);
    const extraSeconds = extraCpu();
    if (extra.curve.done < options.growthLogins) throw new Error(`only ${extra.curve.done} of ${options.growthLogins} extra logins done`);

    const lost = report.loss.lost + report.countLost;
    const duplicated = report.loss.duplicated + report.countSurplus;
    const ms = (us: number): number | null => (Number.isFinite(us) ? us / 1000 : null);
    const perMessage = seg.serverSeconds === undefined || sent === 0 ? undefined : seg.serverSeconds / sent;
    return {
      members,
      fillRate: fill.curve.meanRate,
      fillCpuPerLoginMs: fillSeconds === undefined ? null : (fillSeconds / members) * 1000,
      // Below MIN_RSS_MEMBERS the growth is within the heap's own ups and downs.
      rssPerConnKiB: rssBefore !== undefined && rssAfter !== undefined && members >= MIN_RSS_MEMBERS ? (rssAfter - rssBefore) / members : null,
      rssAfterMiB: rssAfter === undefined ? null : rssAfter / 1024,
      offered: options.growthRate,
      messages: seg.messages,
      deliveries: seg.deliveries,
      cpuPerMessageUs: perMessage === undefined ? null : perMessage * 1e6,
      cpuPerLineNs: perMessage === undefined ? null : (perMessage / receivers) * 1e9,
      serverCpu: seg.serverSeconds === undefined ? null : (seg.serverSeconds / seg.seconds) * 100,
      p50: ms(seg.latency.percentile(50)),
      p99: ms(seg.latency.percentile(99)),
      lost,
      duplicated,
      reordered: report.loss.reordered,
      closed: report.closed,
      anomalies: lost + duplicated + report.loss.reordered + report.closed,
      windowStalls: report.windowStalls,
      loginCpuMs: extraSeconds === undefined ? null : (extraSeconds / extra.curve.done) * 1000,
      loginWallMs: (extra.wallSeconds / extra.curve.done) * 1000,
      loginP50: extra.curve.ownP50,
      generatorCpu: (seg.generatorSeconds / seg.seconds) * 100,
      otherCpu: seg.otherSeconds === undefined ? null : (seg.otherSeconds / seg.seconds) * 100,
    };
  } finally {
    for (const run of runs) await ctx.gen.close(run).catch(() => undefined);
  }
}

export function planGrowthScenario(options: BenchOptions, maxConnections: number): Scenario {
  const sizes = growthSizes(options.growth, options.growthLogins, maxConnections);
  const title = 'growth';
  return {
    id: 'growth',
    family: 'growth',
    title,
    params: { sizes: sizes.join(','), senders: GROWTH_SENDERS, rate: options.growthRate, extraLogins: options.growthLogins, inFlight: options.trickleInFlight },
    rows: [],
    run: (ctx) => runGrowth(ctx, sizes, title),
  };
}

async function runGrowth(ctx: RunContext, sizes: readonly number[], title: string): Promise<ScenarioOutcome> {
  const { options } = ctx;
  // Ours first: the targets list has the baseline first.
  const kinds = [...ctx.targets].reverse().map((t) => t.kind);
  const bySize = new Map<string, Metrics>();
  const errors: Partial<Record<'ours' | 'baseline', string[]>> = {};
  const notes: string[] = [];
  for (const members of sizes) {
    for (const kind of kinds) {
      const target = ctx.targets.find((t) => t.kind === kind)!;
      try {
        const m = await measureSize(ctx, target, members, title);
        bySize.set(`${kind}:${members}`, m);
        if (m.anomalies! > 0) (errors[kind] ??= []).push(`N=${members}: ${m.lost} lost, ${m.duplicated} duplicated, ${m.reordered} reordered, ${m.closed} dropped`);
        if (m.generatorCpu! >= GENERATOR_BUSY_PCT) notes.push(`${title} N=${members}, ${kind}: the generator used ${m.generatorCpu!.toFixed(0)} % of its core during the traffic`);
        if (m.windowStalls! > 0) notes.push(`${title} N=${members}, ${kind}: the offered ${options.growthRate} msgs/s was not sustained (window full ${m.windowStalls} times)`);
      } catch (err) {
        (errors[kind] ??= []).push(`N=${members}: ${message(err)}`);
        ctx.progress.step(`${title} N=${members} · ${target.label} · FAILED: ${message(err)}`);
        await ctx.gen.closeAll();
      }
    }
  }
  const ratio = sizes.length > 1 ? { label: `N=${sizes.at(-1)} ÷ N=${sizes[0]}`, numerator: sizes.length - 1, denominator: 0 } : undefined;
  const grids: Grid[] = kinds.map((kind) =>
    buildGrid(
      `${title}, ${kind === 'ours' ? 'ours' : 'the relay baseline'} (one room, ${GROWTH_SENDERS} senders at ${formatRate(options.growthRate)} msgs/s; ${options.growthLogins} more logins, ${options.trickleInFlight} in flight)`,
      GROWTH_ROWS,
      sizes.map((n) => ({ label: `N=${n}`, metrics: bySize.get(`${kind}:${n}`) })),
      ratio,
    ),
  );
  return {
    metrics: {},
    errors: Object.fromEntries(Object.entries(errors).map(([kind, list]) => [kind, list.join('; ')])),
    details: Object.fromEntries(kinds.map((kind) => [kind, { sizes, metrics: Object.fromEntries(sizes.map((n) => [n, bySize.get(`${kind}:${n}`) ?? null])) }])),
    grids,
    notes,
  };
}
