#!/usr/bin/env node
// chat-bench: measures the chat server under load beside a bare node:net
// relay, with the same load generator, and prints a table (or JSON).
// Only this file prints to the user and exits.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { planClusterScenario } from './cluster.js';
import { Generator } from './generator.js';
import { planGrowthScenario } from './growth.js';
import { planIrcScenarios } from './irc.js';
import { IRC_SCENARIOS, QUICK, WS_SCENARIOS, benchFlags, defaultBenchOptions, parseTarget, type BenchOptions } from './options.js';
import { Progress } from './progress.js';
import { planScenarios, type BenchTarget, type RunContext, type ScenarioOutcome, type TargetKind } from './scenarios.js';
import {
  WANTED_NOFILE,
  freePort,
  hasCommand,
  killChildren,
  machineInfo,
  pinSelf,
  raiseOwnFileLimit,
  readFileLimit,
  spawnServer,
  type ChildServer,
  type SpawnOptions,
} from './system.js';
import { buildRows, formatGrid, formatTable, type Grid, type Metrics, type TableRow } from './table.js';
import { anyMeasured, judgeTargets, judgeWsTarget, targetsGrid } from './targets.js';
import { planWsScenarios } from './ws.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(here, '../../package.json'), 'utf8')) as { version: string };
/** File descriptors the bench keeps for itself beyond the connections. */
const FD_MARGIN = 200;
const SERVER_CPU = 0;
/** Generator CPU (% of its core) above which a figure may be the generator's limit. */
const GENERATOR_BUSY_PCT = 90;
/** Other processes' CPU (% of a core) above which a figure is called disturbed. */
const NOISE_PCT = 25;
const GENERATOR_CPU = 1;

const EXIT_HELP = `
Exit codes:
  0    every scenario ran and measured both sides
  1    a scenario failed (its reason is in the report), or the bench could not run
  2    usage error (a bad flag or value); the reason is one line on stderr
  130  interrupted (Ctrl-C); the server and the workers it started are stopped
`;

/** A usage error, in the style of every bin: one line, `chat-bench: reason (see chat-bench --help)`. */
function usageError(reason: string): never {
  process.stderr.write(`chat-bench: ${reason} (see chat-bench --help)\n`);
  process.exit(2);
}

function buildCommand(): Command {
  const command = new Command('chat-bench')
    .description('Load-tests the chat server beside a bare node:net relay baseline (see docs/BENCHMARKS.md).')
    .version(pkg.version, '-V, --version')
    .addHelpText('after', EXIT_HELP)
    // commander's own errors ("error: unknown option …") in this bin's style.
    .configureOutput({ outputError: (text) => usageError(text.replace(/^error: /, '').trim()) });
  return benchFlags.addTo(command);
}

function parseOptions(): BenchOptions {
  const command = buildCommand();
  command.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  try {
    command.parse();
    // --quick sizes give way to what the user set on the command line.
    const quick = command.getOptionValue('quick') === true;
    return benchFlags.read(command, { base: quick ? { ...defaultBenchOptions(), ...QUICK } : defaultBenchOptions() });
  } catch (err) {
    usageError(err instanceof Error ? err.message : String(err));
  }
}

interface ScenarioResult {
  id: string;
  title: string;
  params: Record<string, number | string>;
  ours: Metrics | undefined;
  baseline: Metrics | undefined;
  errors: Partial<Record<TargetKind, string>>;
  details: Partial<Record<TargetKind, unknown>>;
  rows: TableRow[];
  grids: Grid[];
}

/**
 * Without prlimit(1) the bench cannot raise its own open-files limit; it
 * then runs itself again under `sh -c 'ulimit -n N; exec …'`. True when it
 * did (this process only waits for the child and mirrors its exit).
 */
function reexecForFileLimit(): boolean {
  const limit = readFileLimit();
  if (limit === undefined || process.env.CHAT_BENCH_REEXEC !== undefined) return false;
  const wanted = Math.min(WANTED_NOFILE, limit.hard);
  if (limit.soft >= wanted) return false;
  const child = spawn(
    'sh',
    ['-c', 'ulimit -n "$0" 2>/dev/null; exec "$@"', String(wanted), process.execPath, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, CHAT_BENCH_REEXEC: '1' } },
  );
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128 + (os.constants.signals[signal] ?? 0))));
  return true;
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (raiseOwnFileLimit(WANTED_NOFILE) !== undefined && reexecForFileLimit()) return;
  const progress = new Progress(process.stderr);
  const machine = machineInfo();
  const limit = raiseOwnFileLimit(WANTED_NOFILE);
  const maxConnections = limit === undefined || !Number.isFinite(limit.soft) ? 50_000 : Math.max(100, limit.soft - FD_MARGIN);
  const childNofile = limit === undefined ? WANTED_NOFILE : Math.min(WANTED_NOFILE, limit.hard);
  const notes: string[] = [];
  if (limit !== undefined && limit.soft < WANTED_NOFILE) {
    notes.push(`open-files limit ${limit.soft} (hard ${limit.hard}): at most ${maxConnections} connections per scenario`);
  }

  const scenarios = [
    ...planScenarios(options, maxConnections),
    ...planIrcScenarios(options, maxConnections),
    ...planWsScenarios(options, maxConnections),
    ...(options.scenario.includes('cluster') ? [planClusterScenario(options, maxConnections)] : []),
    ...(options.scenario.includes('growth') ? [planGrowthScenario(options, maxConnections)] : []),
  ];
  // The cluster and idle-member scenarios compare setups of our server only.
  const withBaseline = options.baseline && scenarios.some((s) => s.family !== 'cluster' && s.family !== 'irc-idle' && s.family !== 'ws-idle');
  const withIrc = options.scenario.some((name) => IRC_SCENARIOS.includes(name));
  const withWs = options.scenario.some((name) => WS_SCENARIOS.includes(name));
  const pin = options.pin && machine.nproc >= 2 && hasCommand('taskset');
  if (pin && pinSelf(GENERATOR_CPU)) {
    const servers = [...(scenarios.some((s) => s.family === 'cluster') ? ['chat servers', 'redis-server'] : ['server']), ...(withBaseline ? ['baseline'] : [])];
    const who = servers.length === 1 ? servers[0] : `${servers.slice(0, -1).join(', ')} and ${servers.at(-1)}`;
    notes.push(`${who} pinned to CPU ${SERVER_CPU}, generator to CPU ${GENERATOR_CPU} (taskset)`);
  } else {
    notes.push('not pinned: server and generator share the cores');
  }
  const serverCpu = pin ? SERVER_CPU : undefined;
  if (options.workers === 0) options.workers = pin ? 1 : Math.max(1, Math.min(2, machine.nproc - 1));
  notes.push(`load generator: ${options.workers} worker thread${options.workers === 1 ? '' : 's'}`);

  const children: ChildServer[] = [];
  /** Processes the chat servers depend on (redis-server): stopped after them. */
  const services: ChildServer[] = [];
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-bench-'));
  const dataDir = path.join(runDir, 'data');
  let gen: Generator | undefined;
  let interrupted = false;
  const cleanup = async (): Promise<void> => {
    await gen?.terminate().catch(() => undefined);
    await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
    await Promise.all(services.map((c) => c.stop().catch(() => undefined)));
    fs.rmSync(runDir, { recursive: true, force: true });
  };
  // However the bench ends, the processes it started end with it.
  process.on('exit', () => {
    killChildren();
    fs.rmSync(runDir, { recursive: true, force: true });
  });
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(1); // e.g. piped into head
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (interrupted) {
        killChildren();
        process.exit(130);
      }
      interrupted = true;
      progress.step(`${signal}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const serverScript = options.server ?? path.join(here, '../server/main.js');
  /**
   * The chat server's flags for a benchmark (limits lifted), then the user's
   * --server-arg. The port is picked here: the server may listen on more
   * than one (--metrics-port), and its log (at warn) does not say which.
   */
  const serverArgs = (dir: string, port: number, extra: string[] = []): string[] => [
    '--port', String(port),
    '--host', '127.0.0.1',
    '--data-dir', dir,
    '--rate-limit', '0',
    '--max-connections', '50000',
    '--max-per-ip', '50000',
    '--output-cap', '4096',
    '--log-level', 'warn',
    '--log-json',
    ...extra,
    ...options.serverArg,
  ];
  const targets: BenchTarget[] = [];
  const spawnOptions = new Map<TargetKind, SpawnOptions>();
  /** The extra listeners a target was started with (they keep their ports across restarts). */
  const doorsOf = new Map<TargetKind, { ircPort?: number; webPort?: number }>();
  const childOf = new Map<TargetKind, ChildServer>();
  const launch = async (kind: TargetKind): Promise<BenchTarget> => {
    const spawnWith = spawnOptions.get(kind)!;
    const child = await spawnServer(spawnWith);
    children.push(child);
    childOf.set(kind, child);
    const doors = doorsOf.get(kind) ?? {};
    const also = [...(doors.ircPort !== undefined ? [`IRC ${doors.ircPort}`] : []), ...(doors.webPort !== undefined ? [`web ${doors.webPort}`] : [])];
    progress.step(`${child.label} listening on 127.0.0.1:${child.port}${also.length > 0 ? ` (${also.join(', ')})` : ''} (pid ${child.pid})`);
    return { kind, label: kind, host: child.host, port: child.port, pid: child.pid, ...doors };
  };
  try {
    if (withBaseline) {
      spawnOptions.set('baseline', {
        label: 'baseline relay',
        script: path.join(here, 'baseline-relay.js'),
        args: ['--port', '0', '--host', '127.0.0.1', '--stdin-lifeline'],
        cpu: serverCpu,
        nofile: childNofile,
      });
      targets.push(await launch('baseline'));
    }
    if (options.target !== undefined) {
      const { host, port } = parseTarget(options.target);
      targets.push({ kind: 'ours', label: 'ours', host, port, pid: undefined });
      notes.push(`target ${options.target}: started elsewhere, so no server CPU or RSS figures`);
    } else {
      const port = await freePort('127.0.0.1');
      // The IRC and WebSocket scenarios' members connect here; other runs leave the server as it was.
      const taken = [port];
      const another = async (): Promise<number> => {
        let p = await freePort('127.0.0.1');
        while (taken.includes(p)) p = await freePort('127.0.0.1');
        taken.push(p);
        return p;
      };
      const ircPort = withIrc ? await another() : undefined;
      const webPort = withWs ? await another() : undefined;
      doorsOf.set('ours', { ...(ircPort !== undefined ? { ircPort } : {}), ...(webPort !== undefined ? { webPort } : {}) });
      const alsoPorts = taken.slice(1);
      spawnOptions.set('ours', {
        label: 'chat server',
        script: serverScript,
        nodeArgs: options.serverNodeArg,
        port,
        ...(alsoPorts.length > 0 ? { alsoPorts } : {}),
        args: serverArgs(dataDir, port, [
          ...(ircPort !== undefined ? ['--irc-port', String(ircPort)] : []),
          ...(webPort !== undefined ? ['--web-port', String(webPort)] : []),
        ]),
        cpu: serverCpu,
        nofile: childNofile,
      });
      targets.push(await launch('ours'));
    }

    gen = new Generator(options.workers);
    let tagCounter = 0;
    let extraServers = 0;
    const ctx: RunContext = {
      serverCpu,
      tempDir: runDir,
      startServer: async (label, extraArgs) => {
        const port = await freePort('127.0.0.1');
        const child = await spawnServer({
          label,
          script: serverScript,
          nodeArgs: options.serverNodeArg,
          port,
          args: serverArgs(path.join(runDir, `server-${++extraServers}`), port, extraArgs),
          cpu: serverCpu,
          nofile: childNofile,
        });
        children.push(child);
        return child;
      },
      adopt: (child) => {
        services.push(child);
      },
      gen,
      options,
      progress,
      targets,
      results: new Map(),
      nextTag: () => `b${(tagCounter++).toString(36)}`,
      restart: async (kind) => {
        const child = childOf.get(kind);
        const index = targets.findIndex((t) => t.kind === kind);
        if (child === undefined || index === -1) return undefined;
        await child.stop();
        children.splice(children.indexOf(child), 1);
        targets[index] = await launch(kind);
        return targets[index];
      },
    };
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      if (interrupted) break;
      let outcome: ScenarioOutcome;
      try {
        outcome = await scenario.run(ctx);
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        progress.step(`${scenario.title} · FAILED: ${text}`);
        await gen.closeAll();
        outcome = {
          metrics: {},
          errors: scenario.family === 'cluster' ? { ours: text } : Object.fromEntries(targets.map((t) => [t.kind, text])),
          details: {},
        };
      }
      notes.push(...(outcome.notes ?? []));
      for (const [kind, metrics] of Object.entries(outcome.metrics)) ctx.results.set(`${scenario.id}:${kind}`, metrics);
      results.push({
        id: scenario.id,
        title: scenario.title,
        params: scenario.params,
        ours: outcome.metrics.ours,
        baseline: outcome.metrics.baseline,
        errors: outcome.errors,
        details: outcome.details,
        rows: buildRows(scenario.title, scenario.rows, outcome.metrics.ours, outcome.metrics.baseline),
        grids: outcome.grids ?? [],
      });
    }
    progress.clearLive();
    progress.step('done');

    for (const r of results) {
      for (const kind of ['baseline', 'ours'] as const) {
        const m = r[kind];
        if (m === undefined) continue;
        if (typeof m.generatorCpu === 'number' && m.generatorCpu >= GENERATOR_BUSY_PCT) {
          notes.push(`${r.title}, ${kind}: the generator used ${m.generatorCpu.toFixed(0)} % of its core, so this figure may be the generator's limit`);
        }
        if (typeof m.otherCpu === 'number' && m.otherCpu >= NOISE_PCT) {
          notes.push(`${r.title}, ${kind}: other processes used ${m.otherCpu.toFixed(0)} % of a core meanwhile (shared machine): the figure is disturbed`);
        }
      }
    }
    const targetVerdicts = judgeTargets(results);
    const measuredTargets = anyMeasured(targetVerdicts);
    const wsVerdict = judgeWsTarget(results);
    const report = {
      tool: 'chat-bench',
      version: pkg.version,
      date: new Date().toISOString(),
      machine,
      notes,
      options,
      scenarios: results,
      ...(measuredTargets ? { targets: targetVerdicts } : {}),
      ...(wsVerdict !== undefined ? { wsTarget: wsVerdict } : {}),
    };
    if (options.jsonOut !== undefined) fs.writeFileSync(options.jsonOut, `${JSON.stringify(report, null, 2)}\n`);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const rows = results.flatMap((r) => r.rows);
      const style = options.markdown ? 'markdown' : 'text';
      const tables = [
        ...(rows.length > 0 ? [formatTable(rows, style)] : []),
        ...results.flatMap((r) => r.grids.map((g) => formatGrid(g, style))),
        // Last: every target of issue 12 with ✓ or ✗, including those between two of our scenarios.
        ...(measuredTargets ? [formatGrid(targetsGrid(targetVerdicts), style)] : []),
        ...(wsVerdict !== undefined ? [formatGrid(targetsGrid([wsVerdict], 'WebSocket target'), style)] : []),
      ];
      if (tables.length > 0) process.stdout.write(`${tables.join('\n')}\n`);
      const failures = results.flatMap((r) => Object.entries(r.errors).map(([kind, message]) => `${r.title} (${kind}): ${message}`));
      const footer = [
        `${machine.nproc} × ${machine.cpuModel}, node ${machine.node}, ${machine.platform}`,
        ...notes,
        ...failures.map((f) => `failed: ${f}`),
      ];
      process.stdout.write(`${footer.map((line) => (options.markdown ? `- ${line}` : line)).join('\n')}\n`);
    }
    const failed = results.some((r) => Object.keys(r.errors).length > 0);
    await cleanup();
    process.exit(failed ? 1 : 0);
  } catch (err) {
    progress.step(`chat-bench: ${err instanceof Error ? err.message : String(err)}`);
    await cleanup();
    process.exit(1);
  }
}

void main();
