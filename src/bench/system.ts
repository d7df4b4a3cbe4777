// The machine side of the bench: child processes it starts (and only those
// it kills, by PID), CPU pinning with taskset, open-file limits, and the
// /proc readings of a child's CPU time and memory.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';

/** How many file descriptors the bench asks for itself and its children. */
export const WANTED_NOFILE = 65_536;

export interface FileLimit {
  soft: number;
  hard: number;
}

/** The open-files limit of a process, from /proc/<pid>/limits. */
export function readFileLimit(pid: number | 'self' = 'self'): FileLimit | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
    if (m === null) return undefined;
    const num = (s: string): number => (s === 'unlimited' ? Infinity : Number(s));
    return { soft: num(m[1]!), hard: num(m[2]!) };
  } catch {
    return undefined;
  }
}

/**
 * Raises this process's soft open-files limit towards `wanted` (capped by the
 * hard limit) with prlimit(1), since Node has no setrlimit. Returns the limit
 * in force afterwards.
 */
export function raiseOwnFileLimit(wanted = WANTED_NOFILE): FileLimit | undefined {
  const before = readFileLimit();
  if (before === undefined) return undefined;
  const target = Math.min(wanted, before.hard);
  if (before.soft >= target) return before;
  try {
    const hard = Number.isFinite(before.hard) ? String(before.hard) : 'unlimited';
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${target}:${hard}`], { stdio: 'ignore' });
  } catch {
    // No prlimit: the caller may re-exec itself under `ulimit -n`.
  }
  return readFileLimit();
}

export function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins every thread of this process (workers inherit it) to one CPU; false if it could not. */
export function pinSelf(cpu: number): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  node: string;
  platform: string;
  memoryGiB: number;
  kernel: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m !== null) cpuModel = m[1]!.trim();
  } catch {
    // not Linux
  }
  return {
    nproc: os.availableParallelism(),
    cpuModel,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: os.release(),
  };
}

// ------------------------------------------------------------------ /proc

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds a process's threads have run, to the nanosecond: the sum of
 * se.sum_exec_runtime (ms) in each thread's /proc/<pid>/task/<tid>/sched.
 * /proc/<pid>/stat counts in clock ticks (10 ms), too coarse for a few
 * milliseconds of work. Undefined where the kernel does not expose it.
 * Threads that exited are not counted.
 */
export function processCpuSecondsPrecise(pid: number): number | undefined {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let ms = 0;
  let seen = 0;
  for (const tid of tids) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8');
    } catch {
      continue; // the thread has just exited
    }
    const m = /^se\.sum_exec_runtime\s*:\s*([0-9.]+)$/m.exec(text);
    if (m === null) return undefined;
    ms += Number(m[1]);
    seen++;
  }
  return seen === 0 ? undefined : ms / 1000;
}

/**
 * The finest CPU clock this kernel has for a process (sched, else stat),
 * chosen once, so both ends of a measurement read the same one.
 */
export function cpuClockFor(pid: number): (pid: number) => number | undefined {
  return processCpuSecondsPrecise(pid) !== undefined ? processCpuSecondsPrecise : processCpuSeconds;
}

/**
 * CPU seconds the whole machine has spent in user and system mode (all
 * cores; interrupt time excluded, as it is from a process's own figures).
 */
export function machineBusySeconds(): number | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    return (f[0]! + f[1]! + f[2]!) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/**
 * The kernel's count of connections dropped because a listen queue was full
 * (TcpExt ListenOverflows, this network namespace): a client then waits for
 * a SYN or ACK retransmit, a second or more.
 */
export function listenOverflows(): number | undefined {
  try {
    const lines = fs.readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      if (!lines[i]!.startsWith('TcpExt:')) continue;
      const names = lines[i]!.trim().split(/\s+/);
      const values = lines[i + 1]!.trim().split(/\s+/);
      const at = names.indexOf('ListenOverflows');
      return at === -1 ? undefined : Number(values[at]);
    }
  } catch {
    // not Linux
  }
  return undefined;
}

/** Resident memory of a process in KiB (VmRSS), from /proc/<pid>/status. */
export function processRssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/**
 * The TCP ports a process listens on, from its socket inodes in
 * /proc/<pid>/fd and the LISTEN entries of /proc/<pid>/net/tcp{,6}. Lets the
 * bench know a server is up without needing its log to say so.
 */
export function findListeningPorts(pid: number): number[] {
  const ports: number[] = [];
  let inodes: Set<string>;
  try {
    inodes = new Set(
      fs
        .readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
          } catch {
            return undefined;
          }
        })
        .filter((inode): inode is string => inode !== undefined),
    );
  } catch {
    return ports;
  }
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue;
      ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** A TCP port free on `host` just now (the OS's pick), for a child told to listen on it. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ port: 0, host }, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until a process is quiet (under 10 % of a core over 200 ms), so one
 * step's leftovers (closing sockets, leave notices) do not bleed into the next.
 */
export async function waitQuiet(pid: number | undefined, maxMs = 10_000): Promise<void> {
  if (pid === undefined) {
    await sleep(500);
    return;
  }
  const deadline = Date.now() + maxMs;
  let last = processCpuSeconds(pid);
  while (Date.now() < deadline) {
    await sleep(200);
    const now = processCpuSeconds(pid);
    if (now === undefined || last === undefined) return;
    if (now - last <= 0.02) return;
    last = now;
  }
}

// ------------------------------------------------------------------ children

export interface ChildServer {
  readonly label: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** Last lines the child wrote on stderr, for error messages. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  label: string;
  script: string;
  args: string[];
  /** CPU to pin the child to with taskset, if any. */
  cpu: number | undefined;
  nofile: number;
  nodeArgs?: string[];
  cwd?: string;
  startTimeoutMs?: number;
  /**
   * The port the child was told to listen on: it is ready once that one
   * listens (a server may listen on others too, /metrics). Without it, the
   * child's only listening port.
   */
  port?: number;
  /** More ports the child was told to listen on (an IRC listener): it is ready once they listen too. */
  alsoPorts?: number[];
}

const children = new Set<ChildProcess>();

/** Registers a child this process started, so killChildren() ends it (by its PID) at exit. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/**
 * The node flags in a script's `#!/usr/bin/env -S node …` line: the bench
 * runs a server as its bin runs, with the flags its shebang gives.
 */
export function shebangNodeArgs(script: string): string[] {
  let first: string;
  try {
    first = fs.readFileSync(script, 'utf8').split('\n', 1)[0]!;
  } catch {
    return [];
  }
  const match = /^#!\/usr\/bin\/env -S node((?: +\S+)*) *$/.exec(first);
  return match === null ? [] : match[1]!.trim().split(/ +/).filter((a) => a !== '');
}

/**
 * Starts a server child as `sh -c 'ulimit -n N; exec [taskset -c cpu] node script args'`
 * (every step execs, so the PID is node's) and waits for the JSON line with
 * `"event":"listening"` and its port on the child's stderr.
 */
export function spawnServer(options: SpawnOptions): Promise<ChildServer> {
  const command = [
    ...(options.cpu !== undefined ? ['taskset', '-c', String(options.cpu)] : []),
    process.execPath,
    ...shebangNodeArgs(options.script),
    ...(options.nodeArgs ?? []),
    options.script,
    ...options.args,
  ];
  const child = spawn('sh', ['-c', 'ulimit -n "$0" 2>/dev/null; exec "$@"', String(options.nofile), ...command], {
    // stdin is a pipe that closes when the bench dies, however it dies: the
    // baseline relay exits on it (--stdin-lifeline); the server ignores it.
    stdio: ['pipe', 'ignore', 'pipe'],
    cwd: options.cwd,
  });
  trackChild(child);
  const tail: string[] = [];
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  return new Promise<ChildServer>((resolve, reject) => {
    let buffered = '';
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`${options.label} did not report listening within ${options.startTimeoutMs ?? 15_000} ms`)), options.startTimeoutMs ?? 15_000);
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(poll);
      if (!exited) child.kill('SIGKILL');
      reject(new Error(`${err.message}${tail.length > 0 ? `\n${tail.join('\n')}` : ''}`));
    };
    child.once('error', (err) => fail(err));
    child.once('exit', (code, signal) => fail(new Error(`${options.label} exited (${signal ?? code}) before listening`)));
    const ready = (port: number): void => {
      settled = true;
      clearTimeout(timer);
      clearInterval(poll);
      resolve({
        label: options.label,
        host: '127.0.0.1',
        port,
        pid: child.pid,
        stderrTail: () => tail.join('\n'),
        stop: (graceMs = 5000) => terminate(child, () => exited, exitPromise, graceMs),
      });
    };
    // The server may log below the level that shows "listening": look in /proc too.
    const poll = setInterval(() => {
      if (settled || child.pid === undefined) return;
      const ports = findListeningPorts(child.pid);
      // The server opens its listeners one after the other: ready when the last one is up.
      if ((options.alsoPorts ?? []).some((p) => !ports.includes(p))) return;
      const port = options.port !== undefined ? ports.find((p) => p === options.port) : ports.length === 1 ? ports[0] : undefined;
      if (port !== undefined) ready(port);
    }, 50);
    child.once('exit', () => clearInterval(poll));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      buffered += text;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        tail.push(line);
        if (tail.length > 20) tail.shift();
        if (settled) continue;
        let event: { event?: string; port?: number; host?: string } | undefined;
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          continue;
        }
        if (event?.event === 'listening' && typeof event.port === 'number') ready(event.port);
      }
    });
  });
}

/** Kills (SIGKILL) every child this process started that is still running; synchronous, so safe in 'exit'. */
export function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** SIGTERM, then SIGKILL if the child is still there after `graceMs`; resolves once it has exited. */
export async function terminate(child: ChildProcess, exited: () => boolean, exitPromise: Promise<void>, graceMs: number): Promise<void> {
  if (exited() || child.pid === undefined) return;
  child.kill('SIGTERM');
  const force = setTimeout(() => {
    if (!exited()) child.kill('SIGKILL');
  }, graceMs);
  await exitPromise;
  clearTimeout(force);
}
