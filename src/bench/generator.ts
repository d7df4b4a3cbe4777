// The main thread's side of the load generator: a pool of worker threads,
// each holding its share of a run's connections. A run is one plan against
// one target, driven step by step (setup, start, mark, stop, drain, report,
// close); several runs may be open at once, one per target.

import { Worker } from 'node:worker_threads';
import { addLoss, NO_LOSS } from './accounting.js';
import { Histogram } from './histogram.js';
import {
  SharedCounters,
  type Command,
  type ConnSpec,
  type GroupSpec,
  type MarkReply,
  type Reply,
  type SendMode,
  type SetupReply,
  type WorkerReport,
} from './messages.js';
import { nowNs } from './payload.js';

/** A scenario's connections and groups, each connection placed on a worker. */
export interface Plan {
  conns: Array<ConnSpec & { worker: number }>;
  groups: GroupSpec[];
}

export interface SetupOptions {
  /**
   * Logins in flight at once per worker (Infinity: all at once), or
   * `{ total }` shared out between the workers, so the whole run keeps that
   * many in flight (a trickle of reconnects).
   */
  concurrency: number | { total: number };
  /** Start connecting at this monotonic time (ns). */
  startAtNs?: number;
  timeoutMs: number;
  messageBytes: number;
}

export interface SetupResult {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  /** Per connection (plan order): ms from the first connect to its own join line; NaN when failed. */
  loginMs: number[];
  /** From the first connect to the last login done, ms. */
  allDoneMs: number;
  /** From the first connect to the last SUCCESS, ms. */
  allSuccessMs: number;
  /** Per connection (plan order): ms from its own connect to its own join line; NaN when failed. */
  ownMs: number[];
  /** Connections never started because the timeout came first (bounded concurrency). */
  notStarted: number;
  historyLines: number;
}

/** Worker `index`'s share of `total` logins in flight over `parts` workers (at least one each). */
export function shareOf(total: number, parts: number, index: number): number {
  const each = Math.floor(total / parts);
  return Math.max(1, each + (index < total - each * parts ? 1 : 0));
}

export interface Mark {
  atNs: number;
  delivered: number;
  sent: number;
  /** Latency since the previous mark that switched recording on. */
  latency: Histogram | undefined;
}

/** What a run's workers found, summed: the same fields as one worker's report. */
export type RunReport = WorkerReport;

class WorkerHandle {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  constructor(readonly worker: Worker) {
    worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new Error(reply.error));
    });
    const failAll = (err: Error): void => {
      for (const waiter of this.pending.values()) waiter.reject(err);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`load-generator worker exited (${code})`)));
  }
  call<T>(command: Command): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, command });
    });
  }
}

function mergeErrors(into: Record<string, number>, from: Record<string, number>): void {
  for (const [code, n] of Object.entries(from)) into[code] = (into[code] ?? 0) + n;
}

/** One plan's connections on one target, spread over the workers. */
export class TrafficRun {
  constructor(
    private readonly workers: readonly WorkerHandle[],
    readonly id: number,
    private readonly counters: SharedCounters,
  ) {}

  private all<T>(command: Command): Promise<T[]> {
    return Promise.all(this.workers.map((w) => w.call<T>(command)));
  }

  async start(mode: SendMode): Promise<void> {
    await this.all({ cmd: 'start', run: this.id, mode });
  }

  /** Counts so far, summed over workers; `atNs` is the workers' mean reading. */
  async mark(recording: boolean): Promise<Mark> {
    const marks = await this.all<MarkReply>({ cmd: 'mark', run: this.id, recording });
    let latency: Histogram | undefined;
    for (const m of marks) {
      if (m.latency === undefined) continue;
      latency ??= new Histogram();
      latency.merge(m.latency);
    }
    return {
      atNs: marks.reduce((n, m) => n + m.atNs, 0) / marks.length,
      delivered: marks.reduce((n, m) => n + m.delivered, 0),
      sent: marks.reduce((n, m) => n + m.sent, 0),
      latency,
    };
  }

  async stop(): Promise<void> {
    await this.all({ cmd: 'stop', run: this.id });
  }

  /** Waits until every receiver has every line sent; false on timeout. */
  async drain(timeoutMs: number): Promise<boolean> {
    const counters = this.counters;
    const deadline = nowNs() + timeoutMs * 1e6;
    for (;;) {
      let done = true;
      for (let g = 0; g < counters.groups; g++) {
        if (counters.minDelivered(g) < counters.groupSent(g)) {
          done = false;
          break;
        }
      }
      if (done) return true;
      if (nowNs() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async report(): Promise<RunReport> {
    const reports = await this.all<WorkerReport>({ cmd: 'report', run: this.id });
    const errors: Record<string, number> = {};
    let loss = NO_LOSS;
    for (const r of reports) {
      loss = addLoss(loss, r.loss);
      mergeErrors(errors, r.errors);
    }
    const sum = (f: (r: WorkerReport) => number): number => reports.reduce((n, r) => n + f(r), 0);
    return {
      loss,
      countLost: sum((r) => r.countLost),
      countSurplus: sum((r) => r.countSurplus),
      delivered: sum((r) => r.delivered),
      sent: sum((r) => r.sent),
      errors,
      closed: sum((r) => r.closed),
      otherLines: sum((r) => r.otherLines),
      windowStalls: sum((r) => r.windowStalls),
    };
  }

  async close(): Promise<void> {
    await this.all({ cmd: 'close', run: this.id });
  }
}

export class Generator {
  private readonly workers: WorkerHandle[];
  private nextRun = 1;
  private readonly open = new Set<TrafficRun>();

  constructor(count: number) {
    const url = new URL('./worker.js', import.meta.url);
    this.workers = Array.from({ length: count }, () => new WorkerHandle(new Worker(url)));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Connects and logs in a plan's connections; the run stays open until closed. */
  async setup(plan: Plan, target: { host: string; port: number }, options: SetupOptions): Promise<{ run: TrafficRun; setup: SetupResult }> {
    const senders = plan.groups.reduce((n, g) => n + g.senderCount, 0);
    const counters = SharedCounters.create(senders, plan.groups.length, this.workers.length);
    const id = this.nextRun++;
    const run = new TrafficRun(this.workers, id, counters);
    this.open.add(run);
    const byWorker = this.workers.map(() => [] as number[]);
    plan.conns.forEach((c, i) => byWorker[c.worker % this.workers.length]!.push(i));
    const replies = await Promise.all(
      this.workers.map((w, index) =>
        w.call<SetupReply>({
          cmd: 'setup',
          run: id,
          host: target.host,
          port: target.port,
          conns: byWorker[index]!.map((i) => {
            const { worker: _worker, ...spec } = plan.conns[i]!;
            return spec;
          }),
          groups: plan.groups,
          workerIndex: index,
          workerCount: this.workers.length,
          senders,
          shared: counters.buffer,
          concurrency: typeof options.concurrency === 'number' ? options.concurrency : shareOf(options.concurrency.total, this.workers.length, index),
          startAtNs: options.startAtNs ?? 0,
          timeoutMs: options.timeoutMs,
          messageBytes: options.messageBytes,
        }),
      ),
    );
    const loginMs: number[] = new Array<number>(plan.conns.length).fill(NaN);
    const ownMs: number[] = new Array<number>(plan.conns.length).fill(NaN);
    let firstStart = Infinity;
    let lastDone = 0;
    let lastSuccess = 0;
    const errors: Record<string, number> = {};
    for (const reply of replies) {
      for (const t of reply.startedAtNs) if (t > 0 && t < firstStart) firstStart = t;
      for (const t of reply.successAtNs) if (t > lastSuccess) lastSuccess = t;
      mergeErrors(errors, reply.errors);
    }
    replies.forEach((reply, w) => {
      byWorker[w]!.forEach((planIndex, k) => {
        const done = reply.doneAtNs[k]!;
        if (done > 0) {
          loginMs[planIndex] = (done - firstStart) / 1e6;
          ownMs[planIndex] = (done - reply.startedAtNs[k]!) / 1e6;
          if (done > lastDone) lastDone = done;
        }
      });
    });
    const setup: SetupResult = {
      ok: replies.reduce((n, r) => n + r.ok, 0),
      failed: replies.reduce((n, r) => n + r.failed, 0),
      errors,
      loginMs,
      allDoneMs: lastDone > 0 ? (lastDone - firstStart) / 1e6 : NaN,
      allSuccessMs: lastSuccess > 0 ? (lastSuccess - firstStart) / 1e6 : NaN,
      ownMs,
      notStarted: replies.reduce((n, r) => n + r.notStarted, 0),
      historyLines: replies.reduce((n, r) => n + r.historyLines, 0),
    };
    return { run, setup };
  }

  async close(run: TrafficRun): Promise<void> {
    this.open.delete(run);
    await run.close();
  }

  /** Closes every run still open (after a failure). */
  async closeAll(): Promise<void> {
    const runs = [...this.open];
    this.open.clear();
    await Promise.all(runs.map((r) => r.close().catch(() => undefined)));
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
