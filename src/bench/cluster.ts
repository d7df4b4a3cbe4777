// The cluster scenario: what cluster mode on Redis costs, measured beside
// the plain single node in one run. It starts its own redis-server (temp
// dir, free loopback port, no RDB, no AOF) with one chat node alone on it and
// a cluster of three nodes A, B, C, plus a second redis-server with the
// append-only file and two nodes of its own, next to the bench's SQLite
// server, and runs one room on each setup:
//
//   SQLite, 1 node       everyone on the SQLite server (the default server)
//   Redis, 1 node        everyone on the lone Redis node
//   Redis, 2 nodes       senders on node A, receivers on node B: every line
//                        a receiver gets crossed Redis pub/sub
//   Redis, 3 nodes       senders on A, receivers half on B, half on C: Redis
//                        sends each message to three nodes (A gets its own
//                        back), so 1, 2 and 3 nodes give the cost per node
//   2 nodes, AOF         the same as 2 nodes, on the second redis-server
//                        (appendonly yes, appendfsync everysec)
//
// first at saturation (window), then at one fixed rate for latency (a
// quarter of the two-node saturation unless --cluster-rate says otherwise).
// Measured segments alternate between the setups, so a shared machine's
// noise spreads over all of them. Besides the usual figures it reads each
// process's CPU time (/proc/<pid>/stat) and Redis's INFO counters (commands,
// per-command time, bytes), and divides them by the messages sent: what one
// chat message costs Redis.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Plan, RunReport, TrafficRun } from './generator.js';
import { Histogram } from './histogram.js';
import type { SendMode } from './messages.js';
import type { BenchOptions } from './options.js';
import { RedisProbe, REDIS_AOF_ARGS, REDIS_BENCH_ARGS, shellArgs, spawnRedis, type RedisSnapshot } from './redis.js';
import { infoDelta, redisCost, type RedisDelta } from './redis-info.js';
import { formatRate, logIn, lossRow, measureWindow, median, message, type BenchTarget, type RunContext, type Scenario, type ScenarioOutcome } from './scenarios.js';
import { machineBusySeconds, processCpuSeconds, sleep, type ChildServer } from './system.js';
import { buildGrid, type Grid, type Metrics, type RowSpec } from './table.js';

const DRAIN_TIMEOUT_MS = 5_000;
/** Rate mode's cap on messages in flight; hitting it means the offered rate was not sustained. */
const RATE_MODE_WINDOW = 1 << 15;
/** Generator CPU (% of its core) above which a figure may be the generator's limit. */
const GENERATOR_BUSY_PCT = 90;

export type SetupId = 'sqlite' | 'redis1' | 'cross' | 'cross3' | 'aof';

/** Where one setup's senders and receivers connect. */
export interface ClusterSetup {
  id: SetupId;
  label: string;
  senders: BenchTarget;
  /** The receivers are spread over these, in turn. */
  receivers: BenchTarget[];
  /** The Redis server the setup's nodes use, read before and after each segment. */
  redis: { probe: RedisProbe; pid: number | undefined } | undefined;
}

/**
 * One room of `receivers` and `senders`; receiver i connects to
 * `receiverPorts[i % length]` when given (other nodes of the cluster), the
 * senders to the run's target.
 */
export function clusterPlan(
  tag: string,
  receivers: number,
  senders: number,
  window: number,
  workers: number,
  track: number,
  receiverPorts: readonly number[] = [],
): Plan {
  const room = `${tag}room`;
  const every = Math.max(1, Math.ceil(receivers / track));
  const conns: Plan['conns'] = [];
  for (let i = 0; i < receivers; i++) {
    conns.push({
      name: `${tag}r${i}`,
      room,
      recvGroup: 0,
      tracked: i % every === 0,
      worker: i % workers,
      ...(receiverPorts.length > 0 ? { port: receiverPorts[i % receiverPorts.length]! } : {}),
    });
  }
  for (let i = 0; i < senders; i++) conns.push({ name: `${tag}s${i}`, room, senderId: i, sendGroup: 0, sends: { type: 'TEXT' }, worker: 0 });
  return { conns, groups: [{ id: 0, kind: 'TEXT', senderBase: 0, senderCount: senders, window }] };
}

/**
 * Waits until the processes together are quiet (under 10 % of a core over
 * 200 ms), so one step's leftovers do not bleed into the next.
 */
async function waitQuietAll(pids: ReadonlyArray<number | undefined>, maxMs = 10_000): Promise<void> {
  const known = pids.filter((p): p is number => p !== undefined);
  const total = (): number | undefined => {
    let n = 0;
    for (const pid of known) {
      const v = processCpuSeconds(pid);
      if (v === undefined) return undefined;
      n += v;
    }
    return n;
  };
  const deadline = Date.now() + maxMs;
  let last = total();
  while (Date.now() < deadline) {
    await sleep(200);
    const now = total();
    if (now === undefined || last === undefined || now - last <= 0.02) return;
    last = now;
  }
}

/** The chat nodes a setup uses, the senders' first. */
function nodePids(setup: ClusterSetup): Array<number | undefined> {
  const pids = [setup.senders.pid];
  for (const r of setup.receivers) if (r.port !== setup.senders.port) pids.push(r.pid);
  return pids;
}

/** One measured stretch of traffic on one setup. */
export interface ClusterSegment {
  seconds: number;
  /** Lines counted by receivers, messages sent, in the stretch. */
  delivered: number;
  sent: number;
  latency: Histogram;
  /** CPU seconds of each node of the setup (senders' node first). */
  nodeSeconds: Array<number | undefined>;
  redisSeconds: number | undefined;
  redis: RedisDelta | undefined;
  generatorSeconds: number;
  otherSeconds: number | undefined;
  drained: boolean;
}

async function measure(
  ctx: RunContext,
  setup: ClusterSetup,
  run: TrafficRun,
  mode: SendMode,
  ms: number,
  what: string,
  quietPids: ReadonlyArray<number | undefined>,
): Promise<ClusterSegment> {
  const probe = setup.redis?.probe;
  const pids = nodePids(setup);
  await run.start(mode);
  await sleep(ctx.options.warmup * 1000);
  const redis0: RedisSnapshot | undefined = probe !== undefined ? await probe.snapshot() : undefined;
  const cpu0 = process.cpuUsage();
  const nodes0 = pids.map((pid) => (pid === undefined ? undefined : processCpuSeconds(pid)));
  const machine0 = machineBusySeconds();
  const { m0, m1 } = await measureWindow(ctx, run, ms, `${what} · ${setup.label}`);
  const cpu = process.cpuUsage(cpu0);
  const nodes1 = pids.map((pid) => (pid === undefined ? undefined : processCpuSeconds(pid)));
  const machine1 = machineBusySeconds();
  const redis1: RedisSnapshot | undefined = redis0 !== undefined && probe !== undefined ? await probe.snapshot() : undefined;
  await run.stop();
  const drained = await run.drain(DRAIN_TIMEOUT_MS);
  await waitQuietAll(quietPids, 2000);

  const seconds = (m1.atNs - m0.atNs) / 1e9;
  const generatorSeconds = (cpu.user + cpu.system) / 1e6;
  const nodeSeconds = pids.map((_, i) => (nodes0[i] !== undefined && nodes1[i] !== undefined ? nodes1[i]! - nodes0[i]! : undefined));
  const redisSeconds = redis0?.cpuSeconds !== undefined && redis1?.cpuSeconds !== undefined ? redis1.cpuSeconds - redis0.cpuSeconds : undefined;
  // The setup's Redis is ours; the other Redis and the idle nodes count as "other" (heartbeats: next to nothing).
  const known = [...nodeSeconds, ...(setup.redis !== undefined ? [redisSeconds] : [])];
  return {
    seconds,
    delivered: m1.delivered - m0.delivered,
    sent: m1.sent - m0.sent,
    latency: m1.latency ?? new Histogram(),
    nodeSeconds,
    redisSeconds,
    redis: redis0 !== undefined && redis1 !== undefined ? infoDelta(redis0.info, redis1.info) : undefined,
    generatorSeconds,
    otherSeconds:
      machine0 !== undefined && machine1 !== undefined && known.every((v) => v !== undefined)
        ? Math.max(0, machine1 - machine0 - generatorSeconds - known.reduce((n: number, v) => n + v!, 0))
        : undefined,
    drained,
  };
}

/**
 * A setup's figures from its segments: rates and percentiles are medians
 * over the segments (as elsewhere in the bench); CPU and Redis figures are
 * totals over the segments divided by their total time or messages.
 */
export function summariseSegments(segs: readonly ClusterSegment[], report: RunReport | undefined, twoNodes: boolean): Metrics {
  const sum = (f: (s: ClusterSegment) => number | undefined): number | null => {
    const values = segs.map(f);
    return values.length === 0 || values.some((v) => v === undefined || !Number.isFinite(v)) ? null : values.reduce((n: number, v) => n + v!, 0);
  };
  const seconds = sum((s) => s.seconds) ?? NaN;
  const sent = sum((s) => s.sent) ?? NaN;
  const pct = (v: number | null): number | null => (v === null || !(seconds > 0) ? null : (v / seconds) * 100);
  const ms = (us: number): number | null => (Number.isFinite(us) ? us / 1000 : null);
  const perMessageUs = (cpu: number | null): number | null => (cpu === null || !(sent > 0) ? null : (cpu * 1e6) / sent);
  const nodesSeconds = sum((s) => (s.nodeSeconds.some((v) => v === undefined) ? undefined : s.nodeSeconds.reduce((n: number, v) => n + v!, 0)));
  const redisSeconds = sum((s) => s.redisSeconds);
  const withRedis = segs.length > 0 && segs.every((s) => s.redis !== undefined);
  const metrics: Metrics = {
    deliveries: median(segs.map((s) => s.delivered / s.seconds)),
    messages: median(segs.map((s) => s.sent / s.seconds)),
    p50: ms(median(segs.map((s) => s.latency.percentile(50)))),
    p90: ms(median(segs.map((s) => s.latency.percentile(90)))),
    p99: ms(median(segs.map((s) => s.latency.percentile(99)))),
    max: ms(Math.max(...segs.map((s) => (s.latency.total > 0 ? s.latency.max : NaN)))),
    latencySamples: segs.reduce((n, s) => n + s.latency.total, 0),
    drained: segs.every((s) => s.drained) ? 1 : 0,
    nodesCpu: pct(nodesSeconds),
    sendersNodeCpu: twoNodes ? pct(sum((s) => s.nodeSeconds[0])) : null,
    receiversNodeCpu: twoNodes
      ? pct(sum((s) => (s.nodeSeconds.slice(1).some((v) => v === undefined) ? undefined : s.nodeSeconds.slice(1).reduce((n: number, v) => n + v!, 0))))
      : null,
    nodesUsPerMessage: perMessageUs(nodesSeconds),
    generatorCpu: pct(sum((s) => s.generatorSeconds)),
    otherCpu: pct(sum((s) => s.otherSeconds)),
  };
  if (report !== undefined) {
    const lost = report.loss.lost + report.countLost;
    const duplicated = report.loss.duplicated + report.countSurplus;
    Object.assign(metrics, {
      delivered: report.delivered,
      sent: report.sent,
      lost,
      duplicated,
      reordered: report.loss.reordered,
      foreign: report.loss.foreign,
      closed: report.closed,
      errorLines: Object.values(report.errors).reduce((n, v) => n + v, 0),
      windowStalls: report.windowStalls,
      anomalies: lost + duplicated + report.loss.reordered + report.closed,
    });
  }
  if (withRedis) {
    const commands = sum((s) => s.redis!.commands) ?? NaN;
    const command = (name: string): { calls: number; usec: number } =>
      segs.reduce(
        (acc, s) => {
          const c = s.redis!.byCommand.get(name);
          return c === undefined ? acc : { calls: acc.calls + c.calls, usec: acc.usec + c.usec };
        },
        { calls: 0, usec: 0 },
      );
    const total: RedisDelta = {
      commands,
      netInputBytes: sum((s) => s.redis!.netInputBytes) ?? NaN,
      netOutputBytes: sum((s) => s.redis!.netOutputBytes) ?? NaN,
      byCommand: new Map(),
    };
    const cost = redisCost(total, redisSeconds ?? NaN, sent);
    const xadd = command('xadd');
    const publish = command('publish');
    const exec = command('exec');
    const script = command('eval');
    Object.assign(metrics, {
      redisCpu: pct(redisSeconds),
      redisOps: seconds > 0 ? commands / seconds : null,
      commandsPerMessage: cost.commandsPerMessage,
      redisUsPerMessage: cost.cpuUsPerMessage,
      redisLimit: cost.messagesPerCoreSecond,
      redisOutBytesPerMessage: cost.outputBytesPerMessage,
      redisInBytesPerMessage: sent > 0 ? total.netInputBytes / sent : null,
      xaddUs: xadd.calls > 0 ? xadd.usec / xadd.calls : null,
      publishUs: publish.calls > 0 ? publish.usec / publish.calls : null,
      execUs: exec.calls > 0 ? exec.usec / exec.calls : null,
      messagesPerBatch: exec.calls + script.calls > 0 ? xadd.calls / (exec.calls + script.calls) : null,
      messagesPerPublish: publish.calls > 0 ? xadd.calls / publish.calls : null,
    });
  }
  return metrics;
}

// ------------------------------------------------------------------ rows

const nodeRows: RowSpec[] = [
  { key: 'nodesCpu', label: 'chat nodes CPU, all (one core = 100 %)', unit: 'pct', noRatio: true },
  { key: 'sendersNodeCpu', label: '  node A (senders)', unit: 'pct', noRatio: true },
  { key: 'receiversNodeCpu', label: '  nodes B, C (receivers)', unit: 'pct', noRatio: true },
  { key: 'nodesUsPerMessage', label: 'chat nodes CPU per message', unit: 'us' },
];
const redisRows: RowSpec[] = [
  { key: 'redisCpu', label: 'Redis CPU (one core = 100 %)', unit: 'pct', noRatio: true },
  { key: 'redisOps', label: 'Redis commands/s', unit: 'rate', noRatio: true },
  { key: 'commandsPerMessage', label: 'Redis commands per message', unit: 'float', noRatio: true },
  { key: 'messagesPerBatch', label: 'messages per store call (one EVAL a turn)', unit: 'float', noRatio: true },
  { key: 'messagesPerPublish', label: 'messages per PUBLISH (lines of a turn joined)', unit: 'float', noRatio: true },
  { key: 'redisUsPerMessage', label: 'Redis CPU per message', unit: 'us', noRatio: true },
  { key: 'xaddUs', label: '  XADD, execution per call', unit: 'us', noRatio: true },
  { key: 'publishUs', label: '  PUBLISH, execution per call', unit: 'us', noRatio: true },
  { key: 'redisOutBytesPerMessage', label: 'Redis bytes sent per message', unit: 'count', noRatio: true },
  { key: 'redisLimit', label: "Redis's limit: messages/s at 100 % of its core", unit: 'rate', noRatio: true },
];
const tailRows: RowSpec[] = [
  { key: 'generatorCpu', label: 'generator CPU', unit: 'pct', noRatio: true },
  { key: 'otherCpu', label: 'other processes CPU (noise)', unit: 'pct', noRatio: true },
];

export const CLUSTER_FANOUT_ROWS: RowSpec[] = [
  { key: 'deliveries', label: 'delivered lines/s', unit: 'rate' },
  { key: 'messages', label: 'messages in/s', unit: 'rate' },
  { key: 'p50', label: 'latency p50', unit: 'ms' },
  { key: 'p99', label: 'latency p99', unit: 'ms' },
  lossRow,
  ...nodeRows,
  ...redisRows,
  ...tailRows,
];

export const CLUSTER_STEADY_ROWS: RowSpec[] = [
  { key: 'offered', label: 'offered messages/s', unit: 'rate', noRatio: true },
  { key: 'deliveries', label: 'delivered lines/s', unit: 'rate' },
  { key: 'p50', label: 'latency p50', unit: 'ms' },
  { key: 'p90', label: 'latency p90', unit: 'ms' },
  { key: 'p99', label: 'latency p99', unit: 'ms' },
  { key: 'max', label: 'latency max', unit: 'ms' },
  lossRow,
  ...nodeRows,
  ...redisRows,
  ...tailRows,
];

// ------------------------------------------------------------------ phases

interface PhaseResult {
  metrics: Partial<Record<SetupId, Metrics>>;
  errors: string[];
  segments: Partial<Record<SetupId, unknown[]>>;
}

/**
 * Opens `makePlan` on every setup, alternates measured segments between the
 * setups (A B C, C B A, …), then reports loss and closes.
 */
async function comparePhase(
  ctx: RunContext,
  what: string,
  setups: readonly ClusterSetup[],
  makePlan: (tag: string, setup: ClusterSetup) => Plan,
  mode: SendMode,
  quietPids: ReadonlyArray<number | undefined>,
): Promise<PhaseResult> {
  const result: PhaseResult = { metrics: {}, errors: [], segments: {} };
  const open: Array<{ setup: ClusterSetup; run: TrafficRun; segments: ClusterSegment[] }> = [];
  try {
    for (const setup of setups) {
      try {
        const target: BenchTarget = { ...setup.senders, label: setup.label };
        const { run } = await logIn(ctx, target, makePlan(ctx.nextTag(), setup), what);
        open.push({ setup, run, segments: [] });
      } catch (err) {
        result.errors.push(`${what}, ${setup.label}: ${message(err)}`);
        ctx.progress.step(`${what} · ${setup.label} · FAILED: ${message(err)}`);
      }
    }
    await waitQuietAll(quietPids);
    const rounds = ctx.options.rounds;
    const ms = (ctx.options.duration * 1000) / rounds;
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? open : [...open].reverse();
      for (const o of order) {
        ctx.progress.step(`${what} · ${o.setup.label} · measuring ${(ms / 1000).toFixed(2)} s (${r + 1}/${rounds})`);
        o.segments.push(await measure(ctx, o.setup, o.run, mode, ms, what, quietPids));
      }
    }
    for (const o of open) {
      const report = await o.run.report();
      result.metrics[o.setup.id] = summariseSegments(o.segments, report, nodePids(o.setup).length > 1);
      result.segments[o.setup.id] = o.segments.map((s) => ({
        seconds: s.seconds,
        deliveries: s.delivered / s.seconds,
        messages: s.sent / s.seconds,
        p50Ms: s.latency.percentile(50) / 1000,
        p99Ms: s.latency.percentile(99) / 1000,
        nodeCpu: s.nodeSeconds.map((v) => (v === undefined ? null : (v / s.seconds) * 100)),
        redisCpu: s.redisSeconds === undefined ? null : (s.redisSeconds / s.seconds) * 100,
        redisCommands: s.redis?.commands ?? null,
        redisByCommand: s.redis === undefined ? null : Object.fromEntries(s.redis.byCommand),
        otherCpu: s.otherSeconds === undefined ? null : (s.otherSeconds / s.seconds) * 100,
        drained: s.drained,
      }));
      if (report.errors !== undefined && Object.keys(report.errors).length > 0) {
        result.errors.push(`${what}, ${o.setup.label}: error lines ${JSON.stringify(report.errors)}`);
      }
    }
  } finally {
    for (const o of open) await ctx.gen.close(o.run).catch(() => undefined);
    await waitQuietAll(quietPids);
  }
  return result;
}

function targetOf(child: ChildServer, label: string): BenchTarget {
  return { kind: 'ours', label, host: child.host, port: child.port, pid: child.pid };
}

export function planClusterScenario(options: BenchOptions, maxConnections: number): Scenario {
  const receivers = Math.max(1, Math.min(options.clusterReceivers, Math.floor(maxConnections / 5) - options.senders));
  const title = `cluster N=${receivers}`;
  return {
    id: 'cluster',
    family: 'cluster',
    title,
    params: { receivers, senders: options.senders, windowPerSender: options.window, redisArgs: shellArgs(REDIS_BENCH_ARGS) },
    rows: [],
    run: (ctx) => runCluster(ctx, receivers, title),
  };
}

async function runCluster(ctx: RunContext, receivers: number, title: string): Promise<ScenarioOutcome> {
  const { options } = ctx;
  const sqlite = ctx.targets.find((t) => t.kind === 'ours');
  if (sqlite === undefined) throw new Error('no chat server to compare with');
  const dir = fs.mkdtempSync(path.join(ctx.tempDir, 'redis-'));
  const started: ChildServer[] = [];
  const redisServers: ChildServer[] = [];
  const probes: RedisProbe[] = [];
  const notes: string[] = [];
  const errors: string[] = [];
  const grids: Grid[] = [];
  const details: Record<string, unknown> = {};
  try {
    const startRedis = async (name: string, persistence: readonly string[]): Promise<{ server: ChildServer; probe: RedisProbe; version: string }> => {
      ctx.progress.step(`${title} · starting redis-server ${shellArgs(persistence)}`);
      const workDir = path.join(dir, name);
      fs.mkdirSync(workDir);
      const server = await spawnRedis({ binary: options.redisServer, dir: workDir, cpu: ctx.serverCpu, persistence });
      redisServers.push(server);
      ctx.adopt(server);
      const probe = await RedisProbe.connect(server.port, server.pid);
      probes.push(probe);
      const version = (await probe.snapshot()).info.get('redis_version') ?? '?';
      ctx.progress.step(`${title} · redis-server ${version} on 127.0.0.1:${server.port} (pid ${server.pid})`);
      return { server, probe, version };
    };
    const startNode = async (label: string, redis: ChildServer, db: number): Promise<ChildServer> => {
      const child = await ctx.startServer(label, ['--redis', `redis://127.0.0.1:${redis.port}/${db}`]);
      started.push(child);
      ctx.progress.step(`${title} · ${label} listening on 127.0.0.1:${child.port} (pid ${child.pid})`);
      return child;
    };

    const main = await startRedis('plain', REDIS_BENCH_ARGS);
    const plainRedis = { probe: main.probe, pid: main.server.pid };
    // The lone node uses database 1, the cluster of A, B and C database 0: they share nothing.
    const alone = await startNode('Redis node (alone)', main.server, 1);
    const nodeA = await startNode('cluster node A', main.server, 0);
    const nodeB = await startNode('cluster node B', main.server, 0);
    const nodeC = await startNode('cluster node C', main.server, 0);
    const a = targetOf(nodeA, 'node A');
    const b = targetOf(nodeB, 'node B');
    const lone = targetOf(alone, 'Redis node');
    const setups: ClusterSetup[] = [
      { id: 'sqlite', label: 'SQLite, 1 node', senders: sqlite, receivers: [sqlite], redis: undefined },
      { id: 'redis1', label: 'Redis, 1 node', senders: lone, receivers: [lone], redis: plainRedis },
      { id: 'cross', label: 'Redis, 2 nodes, cross-node', senders: a, receivers: [b], redis: plainRedis },
    ];
    const fanoutSetups: ClusterSetup[] = [
      ...setups,
      { id: 'cross3', label: 'Redis, 3 nodes, cross-node', senders: a, receivers: [b, targetOf(nodeC, 'node C')], redis: plainRedis },
    ];
    const quietPids = [sqlite.pid, main.server.pid, ...started.map((c) => c.pid)];
    if (options.clusterAof) {
      // A Redis of its own with the append-only file, so its segments alternate with the others.
      const aof = await startRedis('aof', REDIS_AOF_ARGS);
      const aofA = await startNode('AOF cluster node A', aof.server, 0);
      const aofB = await startNode('AOF cluster node B', aof.server, 0);
      fanoutSetups.push({
        id: 'aof',
        label: '2 nodes, AOF everysec',
        senders: targetOf(aofA, 'AOF node A'),
        receivers: [targetOf(aofB, 'AOF node B')],
        redis: { probe: aof.probe, pid: aof.server.pid },
      });
      quietPids.push(aof.server.pid, aofA.pid, aofB.pid);
    }
    const plan =
      (window: number) =>
      (tag: string, setup: ClusterSetup): Plan =>
        clusterPlan(
          tag,
          receivers,
          options.senders,
          window,
          options.workers,
          options.track,
          setup.receivers.filter((r) => r.port !== setup.senders.port).map((r) => r.port),
        );
    const columns = (metrics: Partial<Record<SetupId, Metrics>>, list: readonly ClusterSetup[]) => list.map((s) => ({ label: s.label, metrics: metrics[s.id] }));
    const ratio = { label: 'cross-node ÷ SQLite', numerator: 2, denominator: 0 };

    // Saturation: each sender keeps `window` messages in flight.
    const fanout = await comparePhase(ctx, `${title} fanout`, fanoutSetups, plan(options.window * options.senders), { kind: 'window' }, quietPids);
    errors.push(...fanout.errors);

    // Latency at one offered rate on every setup: a quarter of what the
    // two-node cluster sustained. Paced in 1 ms steps, so each step still
    // costs the nodes one write per member: they stay busy (docs/SCALING.md).
    const saturated = fanout.metrics.cross?.messages ?? fanout.metrics.redis1?.messages ?? fanout.metrics.sqlite?.messages;
    if (options.clusterRate === undefined && !(typeof saturated === 'number' && saturated > 0)) throw new Error(`no fanout rate to pace the steady runs by (${errors.join('; ')})`);
    const rate = Math.max(1, Math.round(options.clusterRate ?? saturated! / 4));
    const steady = await comparePhase(ctx, `${title} steady ${formatRate(rate)} msgs/s`, setups, plan(RATE_MODE_WINDOW), { kind: 'rate', perSecond: rate }, quietPids);
    errors.push(...steady.errors);
    for (const m of Object.values(steady.metrics)) m.offered = rate;

    grids.push(
      buildGrid(
        `${title} fanout (${options.senders} senders, ${options.window} in flight each, ${receivers} receivers)`,
        CLUSTER_FANOUT_ROWS,
        columns(fanout.metrics, fanoutSetups),
        ratio,
      ),
    );
    grids.push(buildGrid(`${title} steady ${formatRate(rate)} msgs/s (${options.senders} senders, ${receivers} receivers)`, CLUSTER_STEADY_ROWS, columns(steady.metrics, setups), ratio));

    for (const [phase, result] of [
      ['fanout', fanout],
      ['steady', steady],
    ] as const) {
      for (const s of fanoutSetups) {
        const m = result.metrics[s.id];
        if (m === undefined) continue;
        if (typeof m.generatorCpu === 'number' && m.generatorCpu >= GENERATOR_BUSY_PCT) {
          notes.push(`cluster ${phase}, ${s.label}: the generator used ${m.generatorCpu.toFixed(0)} % of its core, so this figure may be the generator's limit`);
        }
        if (typeof m.anomalies === 'number' && m.anomalies > 0) errors.push(`cluster ${phase}, ${s.label}: ${m.lost} lost, ${m.duplicated} duplicated, ${m.reordered} reordered, ${m.closed} dropped`);
      }
    }
    notes.push(
      `cluster: redis-server ${main.version} started by the bench on a free loopback port, ${shellArgs(REDIS_BENCH_ARGS)}` +
        (options.clusterAof ? `; the AOF column on a second one, ${shellArgs(REDIS_AOF_ARGS)}, its file in ${os.tmpdir()}` : '') +
        (ctx.serverCpu !== undefined ? `; redis-server and every chat node on CPU ${ctx.serverCpu}, the generator alone on the other` : ''),
    );
    details.rate = rate;
    details.redis = redisServers.map((r, i) => ({ version: main.version, port: r.port, pid: r.pid, args: i === 0 ? REDIS_BENCH_ARGS : REDIS_AOF_ARGS }));
    details.nodes = { sqlite: sqlite.pid, others: started.map((c) => c.pid) };
    details.fanout = { metrics: fanout.metrics, segments: fanout.segments };
    details.steady = { metrics: steady.metrics, segments: steady.segments };
  } finally {
    await Promise.all(probes.map((p) => p.close()));
    await Promise.all(started.map((c) => c.stop().catch(() => undefined)));
    await Promise.all(redisServers.map((r) => r.stop().catch(() => undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    metrics: {},
    errors: errors.length > 0 ? { ours: errors.join('; ') } : {},
    details: { ours: details },
    grids,
    notes,
  };
}
