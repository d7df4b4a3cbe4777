import net from 'node:net';
import {
  LineDecoder,
  encodeBare,
  encodeLogin,
  encodePing,
  isReplacedNotice,
  parseRemoved,
  parseServerFrame,
  type Removal,
  type ServerFrame,
} from '../protocol/index.js';
import { DEFAULT_BACKOFF, HEARTBEAT_TOKEN_PREFIX, RETRYABLE_ON_RECONNECT, backoffDelay, type BackoffPolicy } from './backoff.js';
import { realTimers, type TimerHandle, type Timers } from '../cli/timers.js';
import { TLS_FAILURES } from './tls-failures.js';

// The one place the client touches the network: a socket, the shared line
// decoder, the login handshake, reconnecting with backoff (never after a
// kick or a ban) and a heartbeat. Its state is a union changed only by
// setStatus().

/** Why the connection ended for good. */
export type CloseReason =
  | { kind: 'quit' }
  | { kind: 'connect-failed'; error: SocketFailure }
  | { kind: 'login-refused'; code: string; text: string }
  | { kind: 'gave-up'; attempts: number; error: string }
  /** Kicked or banned by an operator (`text` is the server's notice): reconnecting would undo a kick or meet the ban. */
  | ({ kind: 'removed'; text: string } & Removal)
  /** The registered name logged in from another connection: logging in again would take it back, and the two would take turns. */
  | { kind: 'replaced'; text: string };

export type ConnectionStatus =
  | { state: 'idle' }
  /** `attempt` is 0 for the first connection, then 1, 2, … for reconnects. */
  | { state: 'connecting'; attempt: number }
  | { state: 'logging-in'; attempt: number }
  | { state: 'online'; reconnected: boolean; welcome: string }
  /** Lost (or, with waitForServer, not reached yet); the next attempt starts after `delayMs`. */
  | { state: 'waiting'; attempt: number; delayMs: number; error: string }
  | { state: 'closed'; reason: CloseReason };

export type ConnectionState = ConnectionStatus['state'];

/** A socket error in words people understand. */
export interface SocketFailure {
  code: string;
  message: string;
}

export function describeSocketError(error: unknown, host: string, port: number): SocketFailure {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'EUNKNOWN';
  const where = `${host}:${port}`;
  switch (code) {
    case 'ECONNREFUSED':
      return { code, message: `connection refused by ${where}` };
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return { code, message: `unknown host '${host}'` };
    case 'EAI_AGAIN':
      return { code, message: `could not look up host '${host}' (name resolution failed; try again)` };
    case 'ETIMEDOUT':
      return { code, message: `connection to ${where} timed out` };
    case 'ECONNRESET':
      return { code, message: `connection to ${where} was reset` };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { code, message: `${where} is unreachable` };
    case 'EPIPE':
      return { code, message: `connection to ${where} broke` };
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      // OpenSSL's own text is several lines of internals.
      return { code, message: `${where} did not answer with TLS` };
    case 'ERR_SSL_UNSUPPORTED_PROTOCOL':
    case 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION':
      return { code, message: `${where} and this client have no TLS version in common (this client needs TLS 1.2 or newer)` };
    default: {
      const text = error instanceof Error ? error.message : String(error);
      return { code, message: `cannot talk to ${where}: ${text}` };
    }
  }
}

/** Thrown by open() when the first connection or login fails. */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  constructor(
    /** 'connect' for network failures, 'login' for a refused LOGIN. */
    readonly kind: 'connect' | 'login',
    /** The socket error code (ECONNREFUSED …) or the server's error code (NAME_TAKEN …). */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the connection needs from a socket; net.Socket fits, tests pass a fake. */
export interface SocketLike {
  write(data: string): boolean;
  end(): void;
  destroy(): void;
  on(event: 'connect', listener: () => void): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

export interface ConnectionEvents {
  status?(status: ConnectionStatus, previous: ConnectionStatus): void;
  /** Every frame after a successful login (heartbeat answers excepted). */
  frame?(frame: ServerFrame): void;
  /** A line from the server that could not be used. */
  badLine?(what: 'too-long' | 'bad-encoding' | 'unknown-frame', detail: string): void;
}

export interface ConnectionOptions {
  host: string;
  port: number;
  name: string;
  password?: string;
  events: ConnectionEvents;
  timers?: Timers;
  random?: () => number;
  backoff?: BackoffPolicy;
  /** Reconnect attempts after a loss before giving up; Infinity to keep trying. */
  maxReconnects?: number;
  /**
   * When the first connection fails for a network reason, keep trying with
   * the reconnect backoff (a server that is not up yet) instead of failing
   * open() at once. An unknown host still fails at once.
   */
  waitForServer?: boolean;
  connectTimeoutMs?: number;
  loginTimeoutMs?: number;
  /** Silence after which a PING checks the server is still there; 0 turns it off. */
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  createSocket?: (host: string, port: number) => SocketLike;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_LOGIN_TIMEOUT_MS = 10_000;
export const DEFAULT_HEARTBEAT_MS = 20_000;
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 10_000;
/** Lines from the server can be long (USERS of a big room); the client accepts up to 1 MiB. */
export const CLIENT_MAX_LINE_BYTES = 1024 * 1024;
export { HEARTBEAT_TOKEN_PREFIX };

/** Socket errors no wait will cure: the host name does not exist, or TLS failed (see tls-socket.ts). */
const PERMANENT_CONNECT_ERRORS = new Set(['ENOTFOUND', 'EAI_NONAME', 'EAI_FAIL', ...TLS_FAILURES]);


const defaultCreateSocket = (host: string, port: number): SocketLike => {
  const socket = net.createConnection({ host, port });
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 15_000);
  return socket;
};

export class Connection {
  private statusValue: ConnectionStatus = { state: 'idle' };
  private socket: SocketLike | undefined;
  /** Bumped for every socket, so events of an old socket are ignored. */
  private generation = 0;
  private decoder = new LineDecoder(CLIENT_MAX_LINE_BYTES);
  private attempt = 0;
  private everOnline = false;
  private lastError: unknown;
  private timer: TimerHandle | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private heartbeatDeadline: TimerHandle | undefined;
  private heartbeatCount = 0;
  private lastReceivedAt = 0;
  private firstOpen: { resolve: () => void; reject: (error: ConnectError) => void } | undefined;
  private closeWaiters: Array<() => void> = [];
  /** The password each login sends; a confirmed PASSWORD change replaces it. */
  private password: string | undefined;
  /** A new password whose change was in flight when the connection broke: tried once if the old one is refused. */
  private fallbackPassword: string | undefined;

  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly backoff: BackoffPolicy;
  private readonly maxReconnects: number;
  private readonly waitForServer: boolean;
  private readonly connectTimeoutMs: number;
  private readonly loginTimeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly createSocket: (host: string, port: number) => SocketLike;

  constructor(private readonly options: ConnectionOptions) {
    this.timers = options.timers ?? realTimers;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.maxReconnects = options.maxReconnects ?? Infinity;
    this.waitForServer = options.waitForServer ?? false;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.loginTimeoutMs = options.loginTimeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    this.createSocket = options.createSocket ?? defaultCreateSocket;
    this.password = options.password;
  }

  get status(): ConnectionStatus {
    return this.statusValue;
  }

  get name(): string {
    return this.options.name;
  }

  get online(): boolean {
    return this.statusValue.state === 'online';
  }

  /** The password the next login sends. */
  get currentPassword(): string | undefined {
    return this.password;
  }

  /** The server confirmed a PASSWORD change: later logins send the new one. */
  setPassword(password: string): void {
    this.password = password;
    this.fallbackPassword = undefined;
  }

  /**
   * A PASSWORD change was sent but its answer was lost with the connection:
   * the next login tries the old password and, if the server says it is
   * wrong, this one (the change went through after all).
   */
  setFallbackPassword(password: string): void {
    this.fallbackPassword = password;
  }

  /** The only place the state changes. */
  private setStatus(next: ConnectionStatus): void {
    const previous = this.statusValue;
    this.statusValue = next;
    this.options.events.status?.(next, previous);
  }

  /** Connects and logs in; resolves once online. Later losses reconnect on their own. */
  open(): Promise<void> {
    if (this.statusValue.state !== 'idle') return Promise.reject(new Error('open() may be called once'));
    return new Promise<void>((resolve, reject) => {
      this.firstOpen = { resolve, reject };
      this.connectNow();
    });
  }

  /** Writes one encoded frame; false when not online (nothing is written). */
  send(line: string): boolean {
    if (this.statusValue.state !== 'online' || this.socket === undefined) return false;
    this.socket.write(line);
    return true;
  }

  /**
   * Leaves for good: LOGOUT when online, then waits (at most `graceMs`) for
   * the server to close the connection.
   */
  async quit(graceMs = 1000): Promise<void> {
    const state = this.statusValue.state;
    if (state === 'closed') return;
    this.clearTimers();
    const socket = this.socket;
    const wasOnline = state === 'online';
    this.setStatus({ state: 'closed', reason: { kind: 'quit' } });
    this.firstOpen?.reject(new ConnectError('connect', 'QUIT', 'quit before connecting'));
    this.firstOpen = undefined;
    if (socket === undefined) return;
    if (!wasOnline) {
      this.dropSocket();
      return;
    }
    const closed = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    socket.write(encodeBare('LOGOUT'));
    socket.end();
    let timeout: TimerHandle | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timeout = this.timers.setTimeout(resolve, graceMs)))]);
    this.timers.clearTimeout(timeout);
    this.dropSocket();
  }

  /** For tests and for a heartbeat timeout: cut the socket as if the network failed. */
  simulateDrop(error = 'dropped'): void {
    if (this.socket === undefined) return;
    this.lastError = new Error(error);
    this.socket.destroy();
  }

  private connectNow(): void {
    this.dropSocket();
    const generation = ++this.generation;
    this.decoder = new LineDecoder(CLIENT_MAX_LINE_BYTES);
    this.lastError = undefined;
    this.setStatus({ state: 'connecting', attempt: this.attempt });
    const socket = this.createSocket(this.options.host, this.options.port);
    this.socket = socket;
    const mine = () => generation === this.generation;

    this.timer = this.timers.setTimeout(() => {
      if (!mine()) return;
      this.lastError = { code: 'ETIMEDOUT' };
      socket.destroy();
      this.onClose();
    }, this.connectTimeoutMs);

    socket.on('connect', () => {
      if (!mine()) return;
      this.timers.clearTimeout(this.timer);
      this.setStatus({ state: 'logging-in', attempt: this.attempt });
      socket.write(encodeLogin(this.options.name, this.password));
      this.timer = this.timers.setTimeout(() => {
        if (!mine()) return;
        this.lastError = new Error('no answer to LOGIN');
        socket.destroy();
        this.onClose();
      }, this.loginTimeoutMs);
    });
    socket.on('data', (chunk) => {
      if (!mine()) return;
      this.lastReceivedAt = this.timers.now();
      this.timers.clearTimeout(this.heartbeatDeadline);
      this.heartbeatDeadline = undefined;
      this.decoder.push(chunk, (event) => {
        if (!mine()) return;
        if (event.kind === 'line') this.onLine(event.text);
        else if (event.kind === 'too-long') this.options.events.badLine?.('too-long', `longer than ${event.limit} bytes`);
        else this.options.events.badLine?.('bad-encoding', 'not UTF-8');
      });
    });
    socket.on('error', (error) => {
      if (mine()) this.lastError = error;
    });
    socket.on('close', () => {
      const waiters = this.closeWaiters;
      this.closeWaiters = [];
      for (const resolve of waiters) resolve();
      if (mine()) this.onClose();
    });
  }

  private onLine(line: string): void {
    const frame = parseServerFrame(line);
    if (frame === undefined) {
      this.options.events.badLine?.('unknown-frame', line);
      return;
    }
    const state = this.statusValue.state;
    if (state === 'logging-in') {
      if (frame.type === 'SUCCESS') this.loggedIn(frame.text);
      else if (frame.type === 'ERROR') this.loginRefused(frame.code, frame.text);
      return;
    }
    if (state !== 'online') return;
    if (frame.type === 'PONG' && frame.token.startsWith(HEARTBEAT_TOKEN_PREFIX)) return;
    this.options.events.frame?.(frame);
    if (frame.type !== 'SYSTEM') return;
    const removal = parseRemoved(frame.text);
    const replaced = removal === undefined && isReplacedNotice(frame.text);
    // The server closes the connection after these notices; this side is done too, for good.
    if ((removal === undefined && !replaced) || this.statusValue.state !== 'online') return;
    this.dropSocket();
    this.finish(removal === undefined ? { kind: 'replaced', text: frame.text } : { kind: 'removed', ...removal, text: frame.text }, undefined);
  }

  private loggedIn(welcome: string): void {
    this.timers.clearTimeout(this.timer);
    const reconnected = this.everOnline;
    this.everOnline = true;
    this.attempt = 0;
    // Whichever password got in is the one; a fallback not needed is forgotten.
    this.fallbackPassword = undefined;
    this.setStatus({ state: 'online', reconnected, welcome });
    this.scheduleHeartbeat();
    const first = this.firstOpen;
    this.firstOpen = undefined;
    first?.resolve();
  }

  private loginRefused(code: string, text: string): void {
    this.timers.clearTimeout(this.timer);
    if (this.everOnline && code === 'BAD_PASSWORD' && this.fallbackPassword !== undefined) {
      this.password = this.fallbackPassword;
      this.fallbackPassword = undefined;
      this.lastError = new Error('the old password was refused; trying the new one');
      this.dropSocket();
      this.onClose();
      return;
    }
    if (this.everOnline && RETRYABLE_ON_RECONNECT.has(code)) {
      this.lastError = new Error(code === 'NAME_TAKEN' ? `the name is still held by the old session (${code})` : `${text} (${code})`);
      this.dropSocket();
      this.onClose();
      return;
    }
    this.dropSocket();
    this.finish({ kind: 'login-refused', code, text }, new ConnectError('login', code, text));
  }

  /** The socket closed or failed: reconnect after a delay, or give up. */
  private onClose(): void {
    if (this.statusValue.state === 'closed' || this.statusValue.state === 'waiting') return;
    this.clearTimers();
    this.socket = undefined;
    this.generation++;
    const failure = this.failure();
    const error = failure.message;
    const connectFailed = () =>
      this.finish({ kind: 'connect-failed', error: failure }, new ConnectError('connect', failure.code, failure.message));
    if (!this.everOnline && (!this.waitForServer || PERMANENT_CONNECT_ERRORS.has(failure.code))) {
      connectFailed();
      return;
    }
    this.attempt += 1;
    if (this.attempt > this.maxReconnects) {
      if (!this.everOnline) connectFailed();
      else this.finish({ kind: 'gave-up', attempts: this.attempt - 1, error }, undefined);
      return;
    }
    const delayMs = backoffDelay(this.attempt, this.backoff, this.random);
    this.setStatus({ state: 'waiting', attempt: this.attempt, delayMs, error });
    this.timer = this.timers.setTimeout(() => this.connectNow(), delayMs);
  }

  /** What went wrong with the socket that just closed. */
  private failure(): SocketFailure {
    const error = this.lastError;
    if (error === undefined) return { code: 'ECLOSED', message: 'closed by the server' };
    if (error instanceof Error && !('code' in error)) return { code: 'ECLOSED', message: error.message };
    return describeSocketError(error, this.options.host, this.options.port);
  }

  private finish(reason: CloseReason, error: ConnectError | undefined): void {
    this.clearTimers();
    this.setStatus({ state: 'closed', reason });
    const first = this.firstOpen;
    this.firstOpen = undefined;
    if (first !== undefined && error !== undefined) first.reject(error);
  }

  private scheduleHeartbeat(): void {
    if (this.heartbeatMs <= 0) return;
    this.timers.clearTimeout(this.heartbeatTimer);
    const generation = this.generation;
    this.heartbeatTimer = this.timers.setTimeout(() => {
      if (generation !== this.generation || this.statusValue.state !== 'online') return;
      const idle = this.timers.now() - this.lastReceivedAt;
      if (idle >= this.heartbeatMs && this.heartbeatDeadline === undefined) {
        this.heartbeatCount += 1;
        this.socket?.write(encodePing(`${HEARTBEAT_TOKEN_PREFIX}${this.heartbeatCount}`));
        this.heartbeatDeadline = this.timers.setTimeout(() => {
          if (generation !== this.generation) return;
          this.heartbeatDeadline = undefined;
          this.simulateDrop(`no answer from the server for ${Math.round((this.heartbeatMs + this.heartbeatTimeoutMs) / 1000)} s`);
        }, this.heartbeatTimeoutMs);
      }
      this.scheduleHeartbeat();
    }, Math.max(1000, this.heartbeatMs - Math.max(0, this.timers.now() - this.lastReceivedAt)));
  }

  private clearTimers(): void {
    this.timers.clearTimeout(this.timer);
    this.timers.clearTimeout(this.heartbeatTimer);
    this.timers.clearTimeout(this.heartbeatDeadline);
    this.timer = this.heartbeatTimer = this.heartbeatDeadline = undefined;
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) {
      this.generation++;
      socket.destroy();
    }
  }
}
