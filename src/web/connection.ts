import { DEFAULT_BACKOFF, HEARTBEAT_TOKEN_PREFIX, RETRYABLE_ON_RECONNECT, backoffDelay, type BackoffPolicy } from '../client/backoff.js';
import { encodeBare, encodeLogin, encodePing } from '../protocol/encode.js';
import type { ServerFrame } from '../protocol/frames.js';
import { isReplacedNotice, parseRemoved } from '../protocol/notices.js';
import { parseServerFrame } from '../protocol/parse.js';
import type { TimerHandle, Timers } from './timers.js';
import { linesOf, toMessage } from './wire.js';

// The page's link to the server: one WebSocket at a time (given as a
// factory, so tests pass a fake), the login, reconnecting with backoff
// (never after a kick, a ban or a refused login), and a heartbeat. Pure
// logic: no DOM, no globals.

/** What the connection needs of a WebSocket; main.ts wraps the browser's. */
export interface SocketLike {
  send(message: string): void;
  close(): void;
}

export interface SocketHandlers {
  open(): void;
  /** One text message (binary ones are dropped by the wrapper). */
  message(data: string): void;
  close(code: number, reason: string): void;
}

export type OpenSocket = (handlers: SocketHandlers) => SocketLike;

/** Why the connection ended for good. */
export type CloseReason =
  | { kind: 'quit' }
  /** The first connection failed before any login. */
  | { kind: 'unreachable'; error: string }
  | { kind: 'refused'; code: string; text: string }
  /** Kicked or banned (the server's notice), or the name logged in elsewhere. */
  | { kind: 'removed'; text: string };

export type LinkStatus =
  | { state: 'idle' }
  /** `attempt` 0 is the first connection, then 1, 2, … for reconnects. */
  | { state: 'connecting'; attempt: number }
  | { state: 'online'; reconnected: boolean; welcome: string }
  | { state: 'waiting'; attempt: number; delayMs: number; retryAt: number; error: string }
  | { state: 'closed'; reason: CloseReason };

export interface LinkEvents {
  status(status: LinkStatus): void;
  /** Every frame after a login (heartbeat answers excepted). */
  frame(frame: ServerFrame): void;
}

export interface LinkOptions {
  open: OpenSocket;
  timers: Timers;
  random: () => number;
  events: LinkEvents;
  backoff?: BackoffPolicy;
  connectTimeoutMs?: number;
  loginTimeoutMs?: number;
  /** Silence after which a PING checks the server is still there. */
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
}

/** PING tokens of the heartbeat; their PONGs are not passed on. */
export const HEARTBEAT_TOKEN = HEARTBEAT_TOKEN_PREFIX;


/** A WebSocket close in words. */
export function describeClose(code: number, reason: string): string {
  const why = reason === '' ? '' : `: ${reason}`;
  switch (code) {
    case 1000:
    case 1005:
      return `closed by the server${why}`;
    case 1001:
      return `the server went away${why}`;
    case 1006:
      return 'the connection was lost';
    case 1013:
      return `the server is full; try again later${why} (1013)`;
    case 1009:
      return `the server closed the connection: a message was too big${why} (1009)`;
    default:
      return `closed by the server (${code}${why})`;
  }
}

export class Link {
  private statusValue: LinkStatus = { state: 'idle' };
  private socket: SocketLike | undefined;
  /** Bumped for every socket, so events of an old one are ignored. */
  private generation = 0;
  private attempt = 0;
  private everOnline = false;
  private loggingIn = false;
  private lastError = '';
  private timer: TimerHandle | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private lastReceivedAt = 0;
  private pingSentAt: number | undefined;
  private pings = 0;
  private name = '';
  private password: string | undefined;

  private readonly backoff: BackoffPolicy;
  private readonly connectTimeoutMs: number;
  private readonly loginTimeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly heartbeatTimeoutMs: number;

  constructor(private readonly options: LinkOptions) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.loginTimeoutMs = options.loginTimeoutMs ?? 10_000;
    this.heartbeatMs = options.heartbeatMs ?? 25_000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 10_000;
  }

  get status(): LinkStatus {
    return this.statusValue;
  }

  get online(): boolean {
    return this.statusValue.state === 'online';
  }

  /** Whether this login has a password (a guest has none to change). */
  get hasPassword(): boolean {
    return this.password !== undefined;
  }

  /** Connects and logs in as `name`; later losses reconnect and log in again with the same name and password. */
  open(name: string, password: string | undefined): void {
    if (this.statusValue.state !== 'idle') throw new Error('open() may be called once');
    this.name = name;
    this.password = password;
    this.connectNow();
  }

  /** The server confirmed a password change: reconnects log in with the new one. */
  setPassword(password: string): void {
    this.password = password;
  }

  /** Sends one message; false when not online. */
  send(message: string): boolean {
    if (!this.online || this.socket === undefined) return false;
    this.socket.send(message);
    return true;
  }

  /** While waiting to reconnect: try now (the network came back, the user asked). */
  retryNow(): void {
    if (this.statusValue.state !== 'waiting') return;
    this.options.timers.clearTimeout(this.timer);
    this.connectNow();
  }

  /** Leaves for good: LOGOUT when online, and the socket is closed. */
  quit(): void {
    if (this.statusValue.state === 'closed') return;
    if (this.online) this.sendFrame(encodeBare('LOGOUT'));
    this.finish({ kind: 'quit' });
  }

  /** The page's own frames (LOGOUT, PING): encoded, then sent as one message. */
  private sendFrame(encoded: string): void {
    const out = toMessage(encoded);
    if (out.ok) this.socket?.send(out.message);
  }

  private setStatus(next: LinkStatus): void {
    this.statusValue = next;
    this.options.events.status(next);
  }

  private connectNow(): void {
    this.dropSocket();
    const generation = ++this.generation;
    const mine = (): boolean => generation === this.generation;
    this.lastError = '';
    this.loggingIn = false;
    this.setStatus({ state: 'connecting', attempt: this.attempt });
    const timers = this.options.timers;
    this.timer = timers.setTimeout(() => {
      if (!mine()) return;
      this.lost(this.loggingIn ? 'no answer to the login' : 'the connection timed out');
    }, this.connectTimeoutMs);
    this.socket = this.options.open({
      open: () => {
        if (!mine()) return;
        timers.clearTimeout(this.timer);
        this.loggingIn = true;
        const login = toMessage(encodeLogin(this.name, this.password));
        if (!login.ok) {
          this.finish({ kind: 'refused', code: 'BAD_FRAME', text: login.reason });
          return;
        }
        this.socket?.send(login.message);
        this.timer = timers.setTimeout(() => {
          if (mine()) this.lost('no answer to the login');
        }, this.loginTimeoutMs);
      },
      message: (data) => {
        if (!mine()) return;
        this.lastReceivedAt = timers.now();
        this.pingSentAt = undefined;
        for (const line of linesOf(data)) {
          if (!mine()) return;
          this.onLine(line);
        }
      },
      close: (code, reason) => {
        if (!mine()) return;
        this.lost(this.lastError !== '' ? this.lastError : describeClose(code, reason));
      },
    });
  }

  private onLine(line: string): void {
    const frame = parseServerFrame(line);
    if (frame === undefined) return;
    if (this.loggingIn) {
      if (frame.type === 'SUCCESS') this.loggedIn(frame.text);
      else if (frame.type === 'ERROR') this.refused(frame.code, frame.text);
      return;
    }
    if (!this.online) return;
    if (frame.type === 'PONG' && frame.token.startsWith(HEARTBEAT_TOKEN)) return;
    this.options.events.frame(frame);
    // The server closes the connection after these; coming back would undo a kick, meet a ban, or fight the other login.
    if (frame.type === 'SYSTEM' && this.online && (parseRemoved(frame.text) !== undefined || isReplacedNotice(frame.text))) {
      this.finish({ kind: 'removed', text: frame.text });
    }
  }

  private loggedIn(welcome: string): void {
    this.options.timers.clearTimeout(this.timer);
    this.loggingIn = false;
    const reconnected = this.everOnline;
    this.everOnline = true;
    this.attempt = 0;
    this.setStatus({ state: 'online', reconnected, welcome });
    this.scheduleHeartbeat();
  }

  private refused(code: string, text: string): void {
    if (this.everOnline && RETRYABLE_ON_RECONNECT.has(code)) {
      this.lastError = code === 'NAME_TAKEN' ? 'the name is still held by the old connection' : `${text} (${code})`;
      this.dropSocket();
      this.lost(this.lastError);
      return;
    }
    this.finish({ kind: 'refused', code, text });
  }

  /** The socket closed or failed: wait and reconnect, or, before any login, give up. */
  private lost(error: string): void {
    const state = this.statusValue.state;
    if (state === 'closed' || state === 'waiting') return;
    this.clearTimers();
    this.dropSocket();
    if (!this.everOnline) {
      this.finish({ kind: 'unreachable', error });
      return;
    }
    this.attempt += 1;
    const delayMs = backoffDelay(this.attempt, this.backoff, this.options.random);
    const retryAt = this.options.timers.now() + delayMs;
    this.setStatus({ state: 'waiting', attempt: this.attempt, delayMs, retryAt, error });
    this.timer = this.options.timers.setTimeout(() => this.connectNow(), delayMs);
  }

  private finish(reason: CloseReason): void {
    this.clearTimers();
    this.dropSocket();
    this.setStatus({ state: 'closed', reason });
  }

  /** A PING after heartbeatMs of silence; no answer within heartbeatTimeoutMs counts as a lost connection. */
  private scheduleHeartbeat(): void {
    const timers = this.options.timers;
    timers.clearTimeout(this.heartbeatTimer);
    const generation = this.generation;
    this.lastReceivedAt = timers.now();
    this.pingSentAt = undefined;
    const check = (): void => {
      if (generation !== this.generation || !this.online) return;
      const now = timers.now();
      if (this.pingSentAt !== undefined && now - this.pingSentAt >= this.heartbeatTimeoutMs) {
        this.lost(`no answer from the server for ${Math.round((now - this.lastReceivedAt) / 1000)} s`);
        return;
      }
      if (this.pingSentAt === undefined && now - this.lastReceivedAt >= this.heartbeatMs) {
        this.pingSentAt = now;
        this.sendFrame(encodePing(`${HEARTBEAT_TOKEN}${++this.pings}`));
      }
      const wait = this.pingSentAt !== undefined ? this.pingSentAt + this.heartbeatTimeoutMs - now : this.lastReceivedAt + this.heartbeatMs - now;
      this.heartbeatTimer = timers.setTimeout(check, Math.max(1000, wait));
    };
    this.heartbeatTimer = timers.setTimeout(check, this.heartbeatMs);
  }

  private clearTimers(): void {
    this.options.timers.clearTimeout(this.timer);
    this.options.timers.clearTimeout(this.heartbeatTimer);
    this.timer = this.heartbeatTimer = undefined;
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return;
    this.generation++;
    socket.close();
  }
}
