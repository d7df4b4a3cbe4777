import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { encodeError, encodeSystem, type LineEvent } from '../protocol/index.js';
import type { Bus } from './bus/bus.js';
import { LocalBus } from './bus/local-bus.js';
import type { ServerContext, ServerStats } from './context.js';
import { connectRedis, type RedisConnections } from './cluster.js';
import { LocalDirectory } from './directory/local-directory.js';
import { RedisDirectory, type ClusterNode, type NodeFigures } from './directory/redis-directory.js';
import { RedisBus, databaseOf } from './bus/redis-bus.js';
import { RedisStore } from './storage/redis-store.js';
import { handleEvent } from './dispatch.js';
import { RoomHistory } from './history.js';
import { createLogger, type Logger } from './log.js';
import { leaveRoom } from './membership.js';
import { defaultOptions, type ServerOptions } from './options.js';
import { Presence } from './presence.js';
import { connectionCap, openFileLimit } from './fd-limit.js';
import { FAILURE_WINDOW_MS, LoginGuard } from './login-guard.js';
import type { Clock } from './rate-limit.js';
import { Pledges, type Pledge } from './pledges.js';
import { Relay } from './relay.js';
import { Session, retractFrom, type CloseReason, type OutputScheduler, type SealedOutput, type SessionState } from './session.js';
import { SqliteStore } from './storage/sqlite-store.js';
import type { Store } from './storage/store.js';

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** Tells everyone, flushes history, closes the store; resolves when done. */
  close(): Promise<void>;
}

export interface ServerDeps {
  log?: Logger;
  clock?: Clock;
  store?: Store;
  bus?: Bus;
}

/** Legacy framing: a frame without LF ends after this much quiet. */
export const LEGACY_QUIET_MS = 250;
const LEGACY_PREFIXES = ['1|', '2|', '3|'];
/** Output waits while connections arrive closer together than this… */
const ACCEPT_QUIET_MS = 1;
/** …but never longer than this. */
const MAX_FLUSH_DEFER_MS = 50;
/** The kernel caps this at net.core.somaxconn (4096 on current Linux). */
const LISTEN_BACKLOG = 4096;
/** How long close() waits for clients to take their last lines. */
const CLOSE_GRACE_MS = 1500;

/** Why a session left its room, as the room is told. */
const LEAVE_NOTE: Partial<Record<CloseReason, string>> = {
  'peer-closed': 'connection closed',
  'socket-error': 'connection lost',
  'slow-consumer': 'too slow to keep up',
  flood: 'flooding',
  replaced: 'logged in again elsewhere',
  'write-timeout': 'not reading',
  shutdown: 'server shutting down',
};

export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** Starts a chat server; resolves once it listens. */
export async function startServer(overrides: Partial<ServerOptions> = {}, deps: ServerDeps = {}): Promise<RunningServer> {
  const options: ServerOptions = { ...defaultOptions(), ...overrides };
  const log = deps.log ?? createLogger({ level: options.logLevel, json: options.logJson });
  const clock = deps.clock ?? Date.now;
  const nodeId = deps.bus?.nodeId ?? randomUUID();
  let store = deps.store;
  let bus = deps.bus;
  let cluster: ClusterParts | undefined;
  if (options.redisUrl !== '' && store === undefined && bus === undefined) {
    const redis = await connectRedis(options.redisUrl, log);
    const redisBus = new RedisBus(
      nodeId,
      redis.client,
      redis.subscriber,
      (err) => log.warn('redis-publish-failed', { error: err instanceof Error ? err.message : String(err) }),
      databaseOf(options.redisUrl),
    );
    try {
      await redisBus.start();
    } catch (err) {
      await redis.close();
      throw err;
    }
    store = new RedisStore(redis.client);
    bus = redisBus;
    cluster = { redis, makeDirectory: (node) => new RedisDirectory(redis.client, redis.subscriber, node, log) };
  }
  store ??= new SqliteStore(options.dataDir, {
    checkpointThread: true,
    onCheckpointError: (message) => log.warn('checkpoint-failed', { error: message }),
  });
  bus ??= new LocalBus(nodeId);
  const chat = new ChatServer(options, log, clock, store, bus, cluster);
  try {
    await chat.start();
  } catch (err) {
    await chat.close();
    throw err;
  }
  return chat;
}

interface ClusterParts {
  redis: RedisConnections;
  makeDirectory(node: ClusterNode): RedisDirectory;
}

class ChatServer implements RunningServer, OutputScheduler, ClusterNode {
  private readonly server: net.Server;
  private readonly sessions = new Set<Session>();
  private readonly perAddress = new Map<string, number>();
  private readonly dirty: Session[] = [];
  private flushScheduled = false;
  private lastAcceptAt = -Infinity;
  private deferredSince: number | undefined;
  /** The last asynchronous commit-then-write; later turns write after it. */
  private writeChain: Promise<void> | undefined;
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private readonly ctx: ServerContext;
  private readonly stats: ServerStats;
  private readonly sweeper: NodeJS.Timeout;
  private readonly stallCheck: NodeJS.Timeout;
  readonly presence: Presence;
  private listening = false;
  /** --max-connections, or less where the open-file limit would not allow it. */
  private readonly connectionCap: number;
  private readonly fileLimit: number | undefined;

  constructor(
    private readonly options: ServerOptions,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly cluster?: ClusterParts,
  ) {
    const presence = new Presence();
    this.presence = presence;
    this.stats = { startedAt: clock(), peakConnections: 0, messagesRelayed: 0, messagesNotStored: 0 };
    const loginGuard = new LoginGuard(options.loginFailures, clock);
    this.fileLimit = openFileLimit();
    this.connectionCap = connectionCap(options.maxConnections, this.fileLimit);
    this.ctx = {
      options,
      log,
      clock,
      sessions: this.sessions,
      presence,
      directory: cluster ? cluster.makeDirectory(this) : new LocalDirectory(presence, bus.nodeId),
      relay: new Relay(presence, this.sessions, bus),
      history: new RoomHistory(store, Math.max(1, options.historyReplay), cluster === undefined),
      store,
      stats: this.stats,
      loginGuard,
      pledges: new Pledges(),
    };
    this.sweeper = setInterval(() => loginGuard.sweep(), FAILURE_WINDOW_MS).unref();
    this.stallCheck = setInterval(() => this.dropStalled(), Math.min(1000, options.writeTimeoutMs)).unref();
    this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.accept(socket));
    // Until it listens, listen() reports errors (a port in use) to the caller, once.
    this.server.on('error', (err) => {
      if (this.listening) log.error('server-error', { error: err.message });
    });
  }

  get host(): string {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.address : this.options.host;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  get nodeId(): string {
    return this.bus.nodeId;
  }

  figures(): NodeFigures {
    return { connections: this.sessions.size, users: this.presence.userCount, messages: this.stats.messagesRelayed };
  }

  announceInRoom(roomKey: string, line: string): void {
    this.ctx.relay.toRoomKey(roomKey, line);
  }

  async start(): Promise<void> {
    if (this.ctx.directory instanceof RedisDirectory) await this.ctx.directory.start();
    await this.listen();
    this.listening = true;
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      // A deep accept queue: a burst of logins must not lose handshakes (and cost
      // each client a SYN retry) before the event loop gets to accept them.
      this.server.listen({ port: this.options.port, host: this.options.host, backlog: LISTEN_BACKLOG }, () => {
        this.server.off('error', onError);
        this.log.info('listening', {
          host: this.host,
          port: this.port,
          ...(this.cluster ? { redis: this.options.redisUrl, node: this.nodeId } : { dataDir: path.resolve(this.options.dataDir) }),
        });
        if (this.connectionCap < this.options.maxConnections) {
          this.log.warn('connection-cap-lowered', {
            maxConnections: this.options.maxConnections,
            openFileLimit: this.fileLimit,
            cap: this.connectionCap,
            hint: 'raise the open-file limit (ulimit -n, LimitNOFILE=) to allow more',
          });
        }
        resolve();
      });
    });
  }

  /** Queues a session's output flush for the end of this turn. */
  markDirty(session: Session): void {
    this.dirty.push(session);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushTurn);
    }
  }

  /**
   * Commits the turn's stored messages, then writes the turn's output, so
   * nothing reaches a client before it is stored. With an asynchronous store
   * each turn's output is sealed and written, in turn order, once its
   * commit is done.
   */
  private readonly flushTurn = (): void => {
    // libuv accepts one connection per loop turn. While connections keep
    // arriving, turns stay short and output waits (briefly): a login storm
    // then costs one write per member for many joins instead of one per join.
    const now = performance.now();
    if (now - this.lastAcceptAt < ACCEPT_QUIET_MS) {
      this.deferredSince ??= now;
      if (now - this.deferredSince < MAX_FLUSH_DEFER_MS) {
        setImmediate(this.flushTurn);
        return;
      }
    }
    this.deferredSince = undefined;
    this.flushNow();
  };

  private flushNow(): void {
    this.flushScheduled = false;
    const dirty = this.dirty.splice(0);
    const pledges = this.ctx.pledges.take();
    let commit: void | Promise<void> = undefined;
    try {
      commit = this.store.flush();
    } catch (err) {
      // Nothing of it reaches anyone: its lines come out of this turn's output.
      this.notStored(pledges, err, (lines) => {
        for (const session of dirty) session.retract(lines);
      });
    }
    this.bus.flush();
    if (commit === undefined && this.writeChain === undefined) {
      for (const session of dirty) session.flush();
      return;
    }
    const sealed: Array<[Session, SealedOutput]> = [];
    for (const session of dirty) {
      const output = session.seal();
      if (output !== undefined) sealed.push([session, output]);
    }
    const stored = commit?.then(
      () => true,
      (err: unknown) => {
        this.notStored(pledges, err, (lines) => {
          for (const [, output] of sealed) output.items = retractFrom(output.items, lines);
        });
        return false;
      },
    );
    const chain: Promise<void> = Promise.all([this.writeChain, stored]).then(() => {
      for (const [session, output] of sealed) session.write(output);
      if (this.writeChain === chain) this.writeChain = undefined;
    });
    this.writeChain = chain;
  }

  /**
   * The store could not write this turn's messages: their lines are taken
   * out of the output (`retract`), and each sender is told.
   */
  private notStored(pledges: readonly Pledge[], err: unknown, retract: (lines: ReadonlySet<Buffer>) => void): void {
    const error = err instanceof Error ? err.message : String(err);
    this.log.error('store-flush-failed', { error, messages: pledges.length });
    if (pledges.length === 0) return;
    const lines = new Set<Buffer>();
    for (const pledge of pledges) for (const line of pledge.lines) lines.add(line);
    retract(lines);
    this.stats.messagesRelayed -= pledges.length;
    this.stats.messagesNotStored += pledges.length;
    for (const pledge of pledges) {
      if (pledge.record !== undefined) this.ctx.history.unrecord(pledge.record);
      pledge.sender.sendError('UNAVAILABLE', 'your message could not be stored, so nobody got it; try again later');
    }
  }

  private accept(socket: net.Socket): void {
    this.lastAcceptAt = performance.now();
    const address = socket.remoteAddress ?? 'unknown';
    socket.on('error', (err) => {
      this.log.debug('socket-error', { address, error: err.message });
    });
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    const refusal = this.admissionRefusal(address);
    if (refusal !== undefined) {
      this.log.warn('connection-refused', { address, reason: refusal });
      socket.end(encodeError('SERVER_FULL', refusal));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    const session = new Session(
      this.nextId++,
      socket,
      address,
      this.clock(),
      this.options,
      this,
      this.clock,
      this.onStateChange,
    );
    this.sessions.add(session);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    this.stats.peakConnections = Math.max(this.stats.peakConnections, this.sessions.size);
    socket.setKeepAlive(true, this.options.keepAliveMs);
    this.log.info('connect', { session: session.id, address, connections: this.sessions.size });

    session.loginTimer = setTimeout(() => {
      if (session.state === 'greeting') {
        session.end('login-timeout', encodeError('TIMEOUT', `no login within ${this.options.loginTimeoutMs / 1000} s; closing`));
      }
    }, this.options.loginTimeoutMs);
    session.loginTimer.unref();

    const emit = session.inOrder((event: LineEvent): void => handleEvent(this.ctx, session, event));
    socket.on('data', (chunk: Buffer) => {
      // Telnet commands are answered and removed there; they alone do not restart legacy framing's quiet.
      if (session.receive(chunk)) this.armLegacyTimer(session, emit);
    });
    socket.on('end', () => {
      // Half-close from the peer: a final unterminated legacy frame still counts.
      if (!session.decoder.sawLineFeed) this.fireLegacy(session, emit);
      // Frames already received are still answered before the session ends.
      if (session.busy) session.endWhenIdle = true;
      else session.end('peer-closed');
    });
    socket.on('error', () => {
      session.closeReason ??= 'socket-error';
    });
    socket.on('close', () => session.markClosed());
  }

  /** The write deadline: a peer that takes nothing of its output for --write-timeout is gone. */
  private dropStalled(): void {
    for (const session of this.sessions) {
      if (!session.writeStalled(this.options.writeTimeoutMs)) continue;
      this.log.warn('write-timeout', { session: session.id, name: session.name, address: session.address, pending: session.socket.writableLength });
      session.drop('write-timeout');
    }
  }

  private admissionRefusal(address: string): string | undefined {
    if (this.sessions.size >= this.connectionCap) return 'the server is full; try again later';
    if ((this.options.limitLoopback || !isLoopback(address)) && (this.perAddress.get(address) ?? 0) >= this.options.maxPerIp) {
      return `too many connections from ${address}`;
    }
    return undefined;
  }

  /** Legacy framing: until the first LF, pending `1|`/`2|`/`3|` bytes end after a quiet spell. */
  private armLegacyTimer(session: Session, emit: (event: LineEvent) => void): void {
    clearTimeout(session.legacyTimer);
    session.legacyTimer = undefined;
    const decoder = session.decoder;
    if (decoder.sawLineFeed) return;
    if (!LEGACY_PREFIXES.some((prefix) => decoder.pendingStartsWith(prefix))) return;
    session.legacyTimer = setTimeout(() => this.fireLegacy(session, emit), LEGACY_QUIET_MS);
  }

  private fireLegacy(session: Session, emit: (event: LineEvent) => void): void {
    clearTimeout(session.legacyTimer);
    session.legacyTimer = undefined;
    if (!LEGACY_PREFIXES.some((prefix) => session.decoder.pendingStartsWith(prefix))) return;
    session.decoder.flushPending(emit);
  }

  private readonly onStateChange = (session: Session, from: SessionState, to: SessionState): void => {
    if (to === 'closing' || (to === 'closed' && from !== 'closing')) this.retire(session);
    if (to === 'closed') {
      this.sessions.delete(session);
      const count = (this.perAddress.get(session.address) ?? 1) - 1;
      if (count <= 0) this.perAddress.delete(session.address);
      else this.perAddress.set(session.address, count);
      this.log.info('disconnect', {
        session: session.id,
        name: session.name,
        address: session.address,
        reason: session.closeReason ?? 'peer-closed',
        seconds: Math.round((this.clock() - session.connectedAt) / 1000),
      });
    }
  };

  /** Takes a closing session out of presence and tells its room, once. */
  private retire(session: Session): void {
    clearTimeout(session.loginTimer);
    if (session.key === undefined || this.ctx.presence.user(session.key) !== session) return;
    const reason = session.closeReason ?? 'peer-closed';
    this.ctx.directory.release(session);
    // Deferred so a drop in the middle of a broadcast does not interleave its notice.
    queueMicrotask(() => leaveRoom(this.ctx, session, LEAVE_NOTE[reason]));
    this.log.info('logout', { session: session.id, name: session.name, reason });
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // A server that never started (a port in use) closes quietly: the caller reports why.
    const started = this.listening;
    if (started) this.log.info('shutting-down', { connections: this.sessions.size });
    clearInterval(this.sweeper);
    clearInterval(this.stallCheck);
    const stopped = this.listening ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    this.ctx.relay.toThisNode(encodeSystem('the server is shutting down; goodbye'));
    const open = [...this.sessions];
    const closed = Promise.all(open.map((s) => new Promise<void>((resolve) => (s.state === 'closed' ? resolve() : s.socket.once('close', () => resolve())))));
    const refusedBefore = this.stats.messagesNotStored;
    for (const session of open) session.end('shutdown');
    this.flushNow();
    await this.writeChain;
    // Their senders are already leaving and cannot be told: these are lost.
    const lost = this.stats.messagesNotStored - refusedBefore;
    const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
    await Promise.race([closed, grace]);
    for (const session of this.sessions) session.socket.destroy();
    await stopped;
    try {
      await this.store.close();
    } catch (err) {
      this.log.error('store-close-failed', { error: err instanceof Error ? err.message : String(err) });
    }
    // Lines queued for other nodes (leave notices) go out before the node deregisters.
    this.bus.flush();
    await this.ctx.directory.close();
    await this.bus.close();
    await this.cluster?.redis.close();
    if (lost > 0) {
      this.log.error('messages-lost', { count: lost, reason: 'the store could not write them at shutdown' });
      throw new Error(`${lost} message${lost === 1 ? '' : 's'} sent just before shutdown could not be stored`);
    }
    if (started) this.log.info('stopped', { messages: this.stats.messagesRelayed });
  }
}
