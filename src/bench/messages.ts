// What the bench's main thread and its load-generator workers say to each
// other (structured-clone messages), and the layout of the shared counters.

import type { LossCounts } from './accounting.js';
import type { HistogramData } from './histogram.js';

/** The frame a sender wraps each message in; the worker encodes it with src/protocol. */
export type SendFrame = { type: 'TEXT' } | { type: 'PRIVATE'; to: string };

/**
 * How a connection speaks: the line protocol (LOGIN, JOIN), IRC (NICK,
 * USER, JOIN #room), or the line protocol over WebSocket (a frame a message).
 */
export type ConnProtocol = 'line' | 'irc' | 'ws';

/** One client connection of a scenario. */
export interface ConnSpec {
  name: string;
  /**
   * Undefined: the line protocol. An IRC or WebSocket connection also needs
   * `port` (the server's IRC listener, its web port).
   */
  protocol?: ConnProtocol;
  /** Port to connect to instead of the run's target (a cluster node of its own). */
  port?: number;
  /** Room to JOIN after login (IRC: the channel #room); undefined stays in the lobby (IRC: in no channel). */
  room?: string;
  /** Global sender id when this connection sends for a group. */
  senderId?: number;
  sendGroup?: number;
  /** What it sends its group's messages as: TEXT to its room, or PRIVATE to one name. */
  sends?: SendFrame;
  /** Group whose messages this connection counts as a receiver. */
  recvGroup?: number;
  /** Parse every payload (latency, loss per sender) rather than only count lines. */
  tracked?: boolean;
}

/** A set of senders and the receivers that must get every one of their lines. */
export interface GroupSpec {
  id: number;
  /** Frame type the receivers count: TEXT or PRIVATE. */
  kind: 'TEXT' | 'PRIVATE';
  senderBase: number;
  senderCount: number;
  /**
   * Most of this group's messages in flight (sent, not yet at every
   * receiver); in rate mode a safety cap well above the offered rate's needs.
   */
  window: number;
}

export interface SetupCommand {
  cmd: 'setup';
  run: number;
  host: string;
  port: number;
  conns: ConnSpec[];
  groups: GroupSpec[];
  workerIndex: number;
  workerCount: number;
  /** Layout of the shared counters: how many senders in all. */
  senders: number;
  shared: SharedArrayBuffer;
  /** Logins in flight at once; Infinity for a storm. */
  concurrency: number;
  /** Start connecting at this monotonic time (ns); 0 = now. */
  startAtNs: number;
  timeoutMs: number;
  messageBytes: number;
}

export type SendMode = { kind: 'window' } | { kind: 'rate'; perSecond: number };

/**
 * Commands to a worker. A worker may hold several runs at once (one per
 * target), so traffic can alternate between targets on open connections.
 */
export type Command =
  | SetupCommand
  | { cmd: 'start'; run: number; mode: SendMode }
  | { cmd: 'mark'; run: number; recording: boolean }
  | { cmd: 'stop'; run: number }
  | { cmd: 'report'; run: number }
  | { cmd: 'close'; run: number };

export interface SetupReply {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  /** Per connection: login completion (own join line; IRC: end of NAMES, or 001 without a room) as monotonic ns, 0 when failed. */
  doneAtNs: number[];
  /** Per connection: when SUCCESS (IRC: 001) arrived (monotonic ns), 0 when it did not. */
  successAtNs: number[];
  startedAtNs: number[];
  /** Connections not started because the timeout came first. */
  notStarted: number;
  historyLines: number;
}

export interface MarkReply {
  atNs: number;
  /** Lines counted by this worker's receivers so far. */
  delivered: number;
  sent: number;
  /** Latency recorded since recording was last switched on (when this mark switches it off). */
  latency: HistogramData | undefined;
}

export interface WorkerReport {
  loss: LossCounts;
  /** Receivers that only counted lines: missing and surplus lines. */
  countLost: number;
  countSurplus: number;
  delivered: number;
  sent: number;
  errors: Record<string, number>;
  /** Connections that closed while the scenario ran. */
  closed: number;
  otherLines: number;
  /** Times the sender found its window full (rate mode: offered rate not reached). */
  windowStalls: number;
}

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/**
 * Shared Int32 counters of a scenario: sent[sender], then groupSent[group],
 * then delivered[group * workers + worker] (how many lines every receiver of
 * the group on that worker has got; INT32_MAX when the worker has none).
 */
export class SharedCounters {
  readonly view: Int32Array;
  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly senders: number,
    readonly groups: number,
    readonly workers: number,
  ) {
    this.view = new Int32Array(buffer);
  }

  static create(senders: number, groups: number, workers: number): SharedCounters {
    const buffer = new SharedArrayBuffer(4 * (senders + groups + groups * workers));
    const counters = new SharedCounters(buffer, senders, groups, workers);
    counters.view.fill(0x7fffffff, senders + groups);
    return counters;
  }

  sentIndex(sender: number): number {
    return sender;
  }
  groupSentIndex(group: number): number {
    return this.senders + group;
  }
  deliveredIndex(group: number, worker: number): number {
    return this.senders + this.groups + group * this.workers + worker;
  }

  groupSent(group: number): number {
    return Atomics.load(this.view, this.groupSentIndex(group));
  }

  /** Lines of the group that every receiver has got. */
  minDelivered(group: number): number {
    let min = 0x7fffffff;
    const base = this.deliveredIndex(group, 0);
    for (let w = 0; w < this.workers; w++) {
      const d = Atomics.load(this.view, base + w);
      if (d < min) min = d;
    }
    return min;
  }

  sentBySender(): Int32Array {
    return this.view.slice(0, this.senders);
  }
}
