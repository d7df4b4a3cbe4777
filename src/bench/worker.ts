// A load-generator worker thread: real sockets, the real protocol.
//
// Setup logs connections in (LOGIN, optionally JOIN; IRC members NICK and
// USER, then JOIN #room once welcomed; WebSocket members upgrade, then
// LOGIN and JOIN a message each) with a bounded number in flight, or all at
// once for a storm. While traffic runs, receivers read with one reusable
// buffer (onread), find LFs (WebSocket: frame headers) in bytes and count
// the lines of their group's frame type (IRC members: PRIVMSG; WebSocket
// members: messages of that type); tracked receivers also parse
// each payload for latency and per-sender order. A group's senders all live on one worker and
// keep at most `window` messages in flight: sent minus the count that every
// receiver, on every worker, has got (shared counters). A worker can hold a
// run per target at once, so traffic alternates between targets on open
// connections.

import net from 'node:net';
import { parentPort } from 'node:worker_threads';
import {
  LOBBY,
  SERVER_TYPES,
  encodeJoin,
  encodeLogin,
  encodeSay,
  encodeSystem,
  encodeWhisper,
  joinedNotice,
  parseServerFrame,
  type ServerFrame,
} from '../protocol/index.js';
import { NO_LOSS, SequenceTracker, addLoss, countOnlyLoss, type LossCounts } from './accounting.js';
import { Histogram } from './histogram.js';
import { ircJoin, ircPong, ircPrivmsg, ircRegistration, isPrivmsg, readIrcLine, sameChannel } from './irc-wire.js';
import {
  SharedCounters,
  type Command,
  type ConnSpec,
  type GroupSpec,
  type MarkReply,
  type Reply,
  type SendFrame,
  type SendMode,
  type SetupCommand,
  type SetupReply,
  type WorkerReport,
} from './messages.js';
import { encodePayload, nowNs, parsePayload, parsePayloadBytes, type Payload } from './payload.js';
import { FrameReader, OP_CLOSE, OP_PING, OP_PONG, controlFrame, headEnd, newKey, textFrames, upgradeRefusal, upgradeRequest } from './ws-wire.js';

const LF = 0x0a;
// Lines are told apart by their first bytes, without decoding them.
const E = SERVER_TYPES.ERROR.charCodeAt(0);
const T = SERVER_TYPES.TEXT.charCodeAt(0);
const P = SERVER_TYPES.PRIVATE.charCodeAt(0);
const H = SERVER_TYPES.HISTORY.charCodeAt(0);
/** SYSTEM, SUCCESS and SENT: SYSTEM is the one with Y second. */
const S = SERVER_TYPES.SYSTEM.charCodeAt(0);
const Y = SERVER_TYPES.SYSTEM.charCodeAt(1);
/** A partial line longer than this is a broken peer, not a chat line. */
const MAX_PARTIAL = 1 << 20;
const READ_BUFFER = Buffer.allocUnsafe(1 << 17);
const payload: Payload = { sender: 0, seq: 0, sentNs: 0 };

interface LocalGroup {
  spec: GroupSpec;
  /** This worker's receivers of the group (still open). */
  receivers: number;
  /** ring[k & mask]: local receivers whose count reached k. */
  ring: Int32Array;
  mask: number;
  localMin: number;
  deliveredIndex: number;
  senders: Conn[];
  rr: number;
  sent: number;
  /** `sent` when the current start() began (rate mode counts from there). */
  sentAtStart: number;
  active: boolean;
}

class Conn {
  socket: net.Socket | undefined;
  rest: Buffer | null = null;
  fast = false;
  loggedIn = false;
  closed = false;
  startedAt = 0;
  successAt = 0;
  doneAt = 0;
  history = 0;
  count = 0;
  other = 0;
  kindByte = -1;
  tracker: SequenceTracker | null = null;
  recv: LocalGroup | undefined;
  seq = 0;
  readonly irc: boolean;
  /** A WebSocket member: its frame reader once the upgrade is through. */
  readonly ws: boolean;
  wsKey = '';
  /** The upgrade's answer so far, until its head is all in. */
  wsHead: Buffer | null = null;
  wsReader: FrameReader | null = null;
  /** The time of the chunk being read, for the frames in it. */
  now = 0;
  /** One message as a whole line (WebSocket: a message's text), in the frame this connection sends. */
  readonly encode: (message: string) => string;
  /** The server's notice of this connection's own join, as lines are read: without its LF. */
  readonly joinLine: string;
  /** The same, as bytes: during a storm most lines are others' joins, compared without decoding. */
  readonly joinBytes: Buffer;
  settle: ((ok: boolean) => void) | undefined;

  constructor(
    readonly run: Run,
    readonly spec: ConnSpec,
  ) {
    this.irc = spec.protocol === 'irc';
    this.ws = spec.protocol === 'ws';
    const encode = this.irc ? ircEncoderFor(spec.sends, spec.room ?? LOBBY) : encoderFor(spec.sends);
    this.encode = this.ws ? (message) => withoutLf(encode(message)) : encode;
    this.joinLine = encodeSystem(joinedNotice(spec.name, spec.room ?? LOBBY)).slice(0, -1);
    this.joinBytes = Buffer.from(this.joinLine);
  }
}

const withoutLf = (line: string): string => line.slice(0, -1);

function encoderFor(sends: SendFrame | undefined): (message: string) => string {
  if (sends?.type !== 'PRIVATE') return encodeSay;
  const to = sends.to;
  return (message) => encodeWhisper(to, message);
}

function ircEncoderFor(sends: SendFrame | undefined, room: string): (message: string) => string {
  const target = sends?.type === 'PRIVATE' ? sends.to : `#${room}`;
  return (message) => ircPrivmsg(target, message);
}

class Run {
  readonly shared: SharedCounters;
  readonly conns: Conn[];
  readonly groups: LocalGroup[];
  readonly homeGroups: LocalGroup[];
  readonly messageBytes: number;
  mode: SendMode = { kind: 'window' };
  modeStartNs = 0;
  sendTimer: NodeJS.Timeout | undefined;
  sendScheduled = false;
  recording = false;
  running = false;
  latency = new Histogram();
  errors: Record<string, number> = {};
  closedWhileRunning = 0;
  windowStalls = 0;

  constructor(command: SetupCommand) {
    this.shared = new SharedCounters(command.shared, command.senders, command.groups.length, command.workerCount);
    this.messageBytes = command.messageBytes;
    this.groups = command.groups.map((spec) => {
      const size = 1 << Math.ceil(Math.log2(Math.max(16, spec.window * 2)));
      return {
        spec,
        receivers: 0,
        ring: new Int32Array(size),
        mask: size - 1,
        localMin: 0,
        deliveredIndex: this.shared.deliveredIndex(spec.id, command.workerIndex),
        senders: [],
        rr: 0,
        sent: 0,
        sentAtStart: 0,
        active: false,
      };
    });
    this.conns = command.conns.map((spec) => {
      const c = new Conn(this, spec);
      if (spec.recvGroup !== undefined) {
        const g = this.groups[spec.recvGroup]!;
        c.recv = g;
        g.receivers++;
        c.kindByte = g.spec.kind === 'TEXT' ? T : P;
        if (spec.tracked) c.tracker = new SequenceTracker(g.spec.senderBase, g.spec.senderCount);
      }
      if (spec.sendGroup !== undefined) this.groups[spec.sendGroup]!.senders.push(c);
      return c;
    });
    for (const g of this.groups) if (g.receivers > 0) Atomics.store(this.shared.view, g.deliveredIndex, 0);
    this.homeGroups = this.groups.filter((g) => g.senders.length > 0);
  }

  noteError(code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  // ---------------------------------------------------------------- sending

  readonly sendAll = (): void => {
    this.sendScheduled = false;
    for (const g of this.homeGroups) this.sendPass(g);
  };

  sendPass(g: LocalGroup): void {
    if (!g.active) return;
    const counters = this.shared;
    const inFlight = g.sent - counters.minDelivered(g.spec.id);
    let allow = g.spec.window - inFlight;
    const mode = this.mode;
    if (mode.kind === 'rate') {
      const due = Math.floor((mode.perSecond * (nowNs() - this.modeStartNs)) / 1e9) - (g.sent - g.sentAtStart);
      if (due > allow) this.windowStalls++;
      allow = Math.min(allow, due);
    }
    if (allow <= 0) return;
    const senders = g.senders;
    const n = senders.length;
    const each = Math.floor(allow / n);
    let extra = allow - each * n;
    const ts = String(nowNs());
    const messageBytes = this.messageBytes;
    for (let i = 0; i < n; i++) {
      const s = senders[(g.rr + i) % n]!;
      let k = each;
      if (extra > 0) {
        k++;
        extra--;
      }
      if (k === 0 || s.closed) continue;
      const id = s.spec.senderId!;
      const encode = s.encode;
      const next = (): string => {
        const body = encodePayload(id, ++s.seq, ts);
        return encode(messageBytes > body.length ? `${'.'.repeat(messageBytes - body.length)}${body}` : body);
      };
      if (s.ws) {
        // A frame a message, all of them in one write.
        const texts: string[] = [];
        for (let j = 0; j < k; j++) texts.push(next());
        s.socket!.write(textFrames(texts));
      } else {
        let out = '';
        for (let j = 0; j < k; j++) out += next();
        s.socket!.write(out);
      }
      Atomics.store(counters.view, counters.sentIndex(id), s.seq);
      g.sent += k;
    }
    g.rr = (g.rr + 1) % n;
    Atomics.store(counters.view, counters.groupSentIndex(g.spec.id), g.sent);
  }

  /** A receiver's count went from `from` to `to`: move the group's local minimum. */
  advance(g: LocalGroup, from: number, to: number): void {
    const ring = g.ring;
    const mask = g.mask;
    for (let k = from + 1; k <= to; k++) {
      if (k - g.localMin > mask) break; // past the window: only duplicates get here
      ring[k & mask]!++;
    }
    let moved = false;
    while (g.receivers > 0 && ring[(g.localMin + 1) & mask]! >= g.receivers) {
      ring[(g.localMin + 1) & mask] = 0;
      g.localMin++;
      moved = true;
    }
    if (moved) {
      Atomics.store(this.shared.view, g.deliveredIndex, g.localMin);
      if (g.senders.length > 0) this.sendPass(g);
    }
    if (this.homeGroups.length > 0 && !this.sendScheduled && this.mode.kind === 'window' && this.running) {
      // Other workers' receivers may have moved too: look again at the end of this turn.
      this.sendScheduled = true;
      setImmediate(this.sendAll);
    }
  }

  // ---------------------------------------------------------------- setup

  finishLogin(c: Conn, ok: boolean): void {
    if (c.settle === undefined) return;
    const settle = c.settle;
    c.settle = undefined;
    c.loggedIn = ok;
    if (ok) c.doneAt = nowNs();
    settle(ok);
  }

  open(c: Conn, host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
      c.settle = resolve;
      c.startedAt = nowNs();
      const socket = net.connect({
        host,
        port: c.spec.port ?? port,
        noDelay: true,
        onread: {
          buffer: READ_BUFFER,
          callback: (n: number, buf: Uint8Array): boolean => {
            onChunk(c, (buf as Buffer).subarray(0, n));
            return true;
          },
        },
      });
      c.socket = socket;
      socket.on('connect', () => {
        if (c.irc) {
          socket.write(ircRegistration(c.spec.name));
          return;
        }
        if (c.ws) {
          c.wsKey = newKey();
          socket.write(upgradeRequest(host, c.spec.port ?? port, c.wsKey));
          return;
        }
        const hello = encodeLogin(c.spec.name);
        socket.write(c.spec.room === undefined ? hello : hello + encodeJoin(c.spec.room));
      });
      socket.on('error', (err: NodeJS.ErrnoException) => this.noteError(`socket:${err.code ?? err.message}`));
      socket.on('close', () => {
        c.closed = true;
        if (!c.loggedIn) this.finishLogin(c, false);
        if (this.running) {
          this.closedWhileRunning++;
          if (c.recv !== undefined) {
            c.recv.receivers--;
            this.advance(c.recv, c.count, c.count);
          }
        }
      });
    });
  }

  async setup(command: SetupCommand): Promise<SetupReply> {
    if (command.startAtNs > 0) {
      const waitMs = (command.startAtNs - nowNs()) / 1e6;
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
    const conns = this.conns;
    let ok = 0;
    let failed = 0;
    let notStarted = 0;
    let next = 0;
    let deadline: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      let inFlight = 0;
      const settled = (): boolean => ok + failed + notStarted === conns.length;
      const pump = (): void => {
        while (inFlight < command.concurrency && next < conns.length) {
          const c = conns[next++]!;
          inFlight++;
          void this.open(c, command.host, command.port).then((good) => {
            inFlight--;
            if (good) ok++;
            else failed++;
            if (settled()) resolve();
            else pump();
          });
        }
      };
      // At the deadline the logins in flight fail and no more start: a slow
      // server's trickle still ends, with the count done by then.
      deadline = setTimeout(() => {
        notStarted = conns.length - next;
        next = conns.length;
        for (const c of conns) {
          if (c.settle !== undefined) {
            this.noteError('client:login-timeout');
            this.finishLogin(c, false);
          }
        }
        if (settled()) resolve();
      }, command.timeoutMs);
      if (conns.length === 0) resolve();
      else pump();
    });
    clearTimeout(deadline);
    return {
      ok,
      failed,
      errors: this.errors,
      doneAtNs: conns.map((c) => c.doneAt),
      successAtNs: conns.map((c) => c.successAt),
      startedAtNs: conns.map((c) => c.startedAt),
      notStarted,
      historyLines: conns.reduce((n, c) => n + c.history, 0),
    };
  }

  // ---------------------------------------------------------------- control

  start(mode: SendMode): void {
    this.mode = mode;
    this.modeStartNs = nowNs();
    this.running = true;
    for (const c of this.conns) c.fast = true;
    for (const g of this.homeGroups) {
      g.active = true;
      g.sentAtStart = g.sent;
    }
    if (this.homeGroups.length > 0) {
      this.sendTimer = setInterval(this.sendAll, 1);
      this.sendAll();
    }
  }

  stop(): void {
    for (const g of this.homeGroups) g.active = false;
    clearInterval(this.sendTimer);
    this.sendTimer = undefined;
  }

  mark(recording: boolean): MarkReply {
    let delivered = 0;
    let sent = 0;
    for (const c of this.conns) delivered += c.count;
    for (const g of this.homeGroups) sent += g.sent;
    const reply: MarkReply = { atNs: nowNs(), delivered, sent, latency: undefined };
    if (this.recording && !recording) reply.latency = this.latency.toData();
    if (recording && !this.recording) this.latency = new Histogram();
    this.recording = recording;
    return reply;
  }

  report(): WorkerReport {
    const sentBySender = this.shared.sentBySender();
    let loss: LossCounts = NO_LOSS;
    let countLost = 0;
    let countSurplus = 0;
    let otherLines = 0;
    let delivered = 0;
    for (const c of this.conns) {
      otherLines += c.other;
      delivered += c.count;
      if (c.recv === undefined) continue;
      if (c.tracker !== null) {
        loss = addLoss(loss, c.tracker.counts(sentBySender));
      } else {
        const r = countOnlyLoss(this.shared.groupSent(c.recv.spec.id), c.count);
        countLost += r.lost;
        countSurplus += r.surplus;
      }
    }
    return {
      loss,
      countLost,
      countSurplus,
      delivered,
      sent: this.homeGroups.reduce((n, g) => n + g.sent, 0),
      errors: this.errors,
      closed: this.closedWhileRunning,
      otherLines,
      windowStalls: this.windowStalls,
    };
  }

  async close(): Promise<void> {
    this.stop();
    this.running = false;
    await Promise.all(
      this.conns.map(
        (c) =>
          new Promise<void>((resolve) => {
            const s = c.socket;
            if (s === undefined || s.destroyed) return resolve();
            s.once('close', () => resolve());
            s.destroy();
          }),
      ),
    );
  }
}

// ------------------------------------------------------------------ reading

function onChunk(c: Conn, chunk: Buffer): void {
  if (c.ws) {
    onWsChunk(c, chunk);
    return;
  }
  const end = chunk.length;
  let pos = 0;
  const before = c.count;
  const now = c.tracker !== null && c.fast ? nowNs() : 0;
  if (c.rest !== null) {
    const lf = chunk.indexOf(LF);
    if (lf === -1) {
      c.rest = Buffer.concat([c.rest, chunk]);
      if (c.rest.length > MAX_PARTIAL) {
        c.run.noteError('client:line-too-long');
        c.rest = null;
      }
      return;
    }
    const line = Buffer.concat([c.rest, chunk.subarray(0, lf)]);
    c.rest = null;
    if (line.length > 0) onLine(c, line, 0, line.length, now);
    pos = lf + 1;
  }
  while (pos < end) {
    const lf = chunk.indexOf(LF, pos);
    if (lf === -1) {
      c.rest = Buffer.from(chunk.subarray(pos, end)); // READ_BUFFER is reused
      break;
    }
    if (lf > pos) onLine(c, chunk, pos, lf, now);
    pos = lf + 1;
  }
  if (c.count !== before && c.recv !== undefined) c.run.advance(c.recv, before, c.count);
}

function onWsChunk(c: Conn, chunk: Buffer): void {
  const reader = c.wsReader;
  if (reader === null) {
    onUpgradeAnswer(c, chunk);
    return;
  }
  const before = c.count;
  c.now = c.tracker !== null && c.fast ? nowNs() : 0;
  if (!reader.feed(chunk)) {
    c.run.noteError(reader.error!);
    c.socket!.destroy();
  }
  if (c.count !== before && c.recv !== undefined) c.run.advance(c.recv, before, c.count);
}

/** Bytes before the switch to WebSocket: the answer's head, then perhaps the first frames. */
function onUpgradeAnswer(c: Conn, chunk: Buffer): void {
  const head = c.wsHead === null ? Buffer.from(chunk) : Buffer.concat([c.wsHead, chunk]);
  const end = headEnd(head);
  if (end === -1) {
    c.wsHead = head;
    if (head.length > MAX_PARTIAL) c.socket!.destroy();
    return;
  }
  c.wsHead = null;
  const refusal = upgradeRefusal(head.toString('latin1', 0, end), c.wsKey);
  if (refusal !== undefined) {
    c.run.noteError(refusal);
    c.run.finishLogin(c, false);
    c.socket!.destroy();
    return;
  }
  const socket = c.socket!;
  c.wsReader = new FrameReader({
    text: (buf, start, stop) => {
      if (stop > start) onLine(c, buf, start, stop, c.now);
    },
    control: (opcode, payload) => {
      if (opcode === OP_PING) socket.write(controlFrame(OP_PONG, payload));
      else if (opcode === OP_CLOSE) {
        // The server's close (a refusal, a shutdown): answer it and let the socket end.
        if (payload.length >= 2) c.run.noteError(`ws:close-${payload.readUInt16BE(0)}`);
        socket.end(controlFrame(OP_CLOSE, payload.subarray(0, 2)));
      }
    },
  });
  const hello = [withoutLf(encodeLogin(c.spec.name)), ...(c.spec.room === undefined ? [] : [withoutLf(encodeJoin(c.spec.room))])];
  socket.write(textFrames(hello));
  if (end < head.length) onWsChunk(c, head.subarray(end));
}

function onLine(c: Conn, buf: Buffer, start: number, end: number, now: number): void {
  if (c.irc) {
    onIrcLine(c, buf, start, end, now);
    return;
  }
  if (!c.fast) {
    const first = buf[start];
    if (first === H) {
      c.history++;
    } else if (first === S && !c.loggedIn && end - start === c.joinBytes.length && buf.compare(c.joinBytes, 0, c.joinBytes.length, start, end) === 0) {
      c.run.finishLogin(c, true);
    } else if (first === S && end - start > 7 && buf[start + 1] === Y) {
      c.other++; // someone else's SYSTEM line
    } else {
      setupLine(c, buf.toString('utf8', start, end));
    }
    return;
  }
  const first = buf[start];
  if (first === c.kindByte) {
    countLine(c, buf, start, end, now);
  } else if (first === E) {
    c.run.noteError(errorCode(parseServerFrame(buf.toString('utf8', start, end)))); // rare: decoded and parsed
  } else {
    c.other++;
  }
}

/** A line of the group this connection receives, while traffic runs. */
function countLine(c: Conn, buf: Buffer, start: number, end: number, now: number): void {
  c.count++;
  const tracker = c.tracker;
  if (tracker !== null) {
    if (parsePayloadBytes(buf, start, end, payload)) {
      tracker.record(payload.sender, payload.seq);
      if (c.run.recording) c.run.latency.record((now - payload.sentNs) / 1000);
    } else {
      tracker.foreign++;
    }
  }
}

/**
 * An IRC member's line. While traffic runs, a receiver counts a PRIVMSG
 * from its bytes; everything else is rare and parsed. Senders count nothing,
 * as on the line protocol (an IRC sender gets no echo of its own without
 * echo-message, a line sender's echo is not counted either).
 */
function onIrcLine(c: Conn, buf: Buffer, start: number, end: number, now: number): void {
  if (c.fast && isPrivmsg(buf, start, end)) {
    if (c.recv !== undefined) countLine(c, buf, start, end, now);
    else c.other++; // a sender hears the other senders
    return;
  }
  const event = readIrcLine(buf.toString('utf8', start, end).replace(/\r$/, ''));
  switch (event.kind) {
    case 'welcome':
      c.successAt = nowNs();
      if (c.spec.room === undefined) c.run.finishLogin(c, true);
      else c.socket!.write(ircJoin(c.spec.room));
      return;
    case 'names-end':
      if (!c.loggedIn && c.spec.room !== undefined && sameChannel(event.channel, `#${c.spec.room}`)) c.run.finishLogin(c, true);
      else c.other++;
      return;
    case 'ping':
      c.socket!.write(ircPong(event.token));
      return;
    case 'refused':
      c.run.noteError(event.code);
      if (!c.loggedIn) c.run.finishLogin(c, false);
      return;
    case 'message':
      if (event.history) c.history++;
      else if (c.loggedIn && c.recv !== undefined) {
        // A message of the group before this worker's start (another worker began first).
        c.count++;
        if (c.tracker !== null) {
          const p = parsePayload(event.text);
          if (p !== undefined) c.tracker.record(p.sender, p.seq);
        }
      } else c.other++;
      return;
    case 'other':
      c.other++;
  }
}

/** The code an ERROR frame names; 'ERROR' when it names none. */
function errorCode(frame: ServerFrame | undefined): string {
  return frame?.type === 'ERROR' && frame.code !== '' ? frame.code : 'ERROR';
}

/** A line during setup, before traffic: few enough to parse. */
function setupLine(c: Conn, line: string): void {
  const frame = parseServerFrame(line);
  if (frame?.type === 'HISTORY') {
    c.history++;
  } else if (frame?.type === 'SUCCESS') {
    c.successAt = nowNs();
  } else if (frame?.type === 'ERROR') {
    c.run.noteError(errorCode(frame));
    if (!c.loggedIn) c.run.finishLogin(c, false);
  } else if (line === c.joinLine) {
    c.run.finishLogin(c, true);
  } else if (c.loggedIn && (frame?.type === 'TEXT' || frame?.type === 'PRIVATE') && frame.type === c.recv?.spec.kind) {
    // A message of the group before this worker's start (another worker began first).
    c.count++;
    if (c.tracker !== null) {
      const p = parsePayload(frame.message);
      if (p !== undefined) c.tracker.record(p.sender, p.seq);
    }
  } else {
    c.other++;
  }
}

// ------------------------------------------------------------------ commands

const runs = new Map<number, Run>();

function runOf(id: number): Run {
  const run = runs.get(id);
  if (run === undefined) throw new Error(`no run ${id} on this worker`);
  return run;
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'setup': {
      const run = new Run(command);
      runs.set(command.run, run);
      return run.setup(command);
    }
    case 'start':
      runOf(command.run).start(command.mode);
      return null;
    case 'mark':
      return runOf(command.run).mark(command.recording);
    case 'stop':
      runOf(command.run).stop();
      return null;
    case 'report':
      return runOf(command.run).report();
    case 'close': {
      const run = runs.get(command.run);
      runs.delete(command.run);
      await run?.close();
      return null;
    }
  }
}

parentPort!.on('message', (message: { id: number; command: Command }) => {
  handle(message.command).then(
    (value) => parentPort!.postMessage({ id: message.id, ok: true, value } satisfies Reply),
    (err: unknown) =>
      parentPort!.postMessage({ id: message.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies Reply),
  );
});
