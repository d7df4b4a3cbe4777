import { countIn, type ServerContext } from './context.js';
import { handleEvent } from './dispatch.js';
import { leaveRoom } from './membership.js';
import { LINE_DIALECT } from './events.js';
import { IrcClient, IrcServer } from './irc/irc-client.js';
import { handleIrcEvent } from './irc/irc-dispatch.js';
import { IRC_NETWORK, serverName } from './irc/irc-names.js';
import { PACKAGE_VERSION } from './version.js';
import type { Room } from './presence.js';
import { Session, TURN_OUTPUT_FACTOR, type CloseReason, type InputEvent, type SessionDeps, type SessionState } from './session.js';
import type { TimerHandle } from '../cli/timers.js';
import type { Connection } from './transports/connection.js';

// A session's life, from a transport's connection to its last notice: the
// login deadline, the write deadline, taking a leaving session out of its
// room (with a notice saying why) and of the name directory, and the
// shutdown of every session.

/** How long shutdown waits for clients to take their last lines. */
const CLOSE_GRACE_MS = 1500;

/** Why a session left its room, as the room is told. */
export const LEAVE_NOTE: Partial<Record<CloseReason, string>> = {
  'peer-closed': 'connection closed',
  'socket-error': 'connection lost',
  'slow-consumer': 'too slow to keep up',
  flood: 'flooding',
  replaced: 'logged in again elsewhere',
  'write-timeout': 'not reading',
  kicked: 'kicked',
  banned: 'banned',
  shutdown: 'server shutting down',
};

export class SessionLifecycle {
  private nextId = 1;
  private readonly loginTimers = new Map<Session, TimerHandle>();
  private readonly stallCheck: NodeJS.Timeout;
  private readonly deps: SessionDeps;
  /** IRC connections' deps: their decoder, dispatch and a dialect each. */
  private readonly ircDeps: SessionDeps;
  /** Shared by every outbox, so a new cap (SIGHUP) reaches them all. */
  private readonly outboxLimits: { outputCapBytes: number; turnOutputFactor: number };

  constructor(private readonly ctx: ServerContext) {
    this.outboxLimits = { outputCapBytes: ctx.options.outputCapBytes, turnOutputFactor: TURN_OUTPUT_FACTOR };
    this.deps = {
      limits: ctx.options,
      outboxLimits: this.outboxLimits,
      turn: ctx.turn,
      clock: ctx.clock,
      timers: ctx.timers,
      dispatch: (session: Session, event: InputEvent): void => handleEvent(ctx, session, event),
      onStateChange: (session, from, to) => this.onStateChange(session, from, to),
      errors: ctx.stats.errors,
      protocol: 'line',
      dialect: LINE_DIALECT,
    };
    const irc = new IrcServer({
      name: serverName(ctx.options),
      network: IRC_NETWORK,
      version: `pipechat-${PACKAGE_VERSION}`,
      createdAt: ctx.stats.startedAt,
      clock: ctx.clock,
    });
    this.ircDeps = {
      ...this.deps,
      dispatch: (session: Session, event: InputEvent): void => handleIrcEvent(ctx, session, event),
      protocol: 'irc',
      dialect: (session) => new IrcClient(irc, session),
    };
    this.stallCheck = setInterval(() => this.dropStalled(), Math.min(1000, ctx.options.writeTimeoutMs)).unref();
  }

  /** Makes a session of a transport's connection (the line protocol's). */
  readonly open = (connection: Connection): Session => this.openAs(connection, this.deps);

  /** Makes a session of an IRC listener's connection. */
  readonly openIrc = (connection: Connection): Session => this.openAs(connection, this.ircDeps);

  private openAs(connection: Connection, deps: SessionDeps): Session {
    const { ctx } = this;
    ctx.turn.noteArrival();
    const session = new Session(this.nextId++, connection, ctx.clock(), deps);
    ctx.sessions.add(session);
    ctx.stats.peakConnections = Math.max(ctx.stats.peakConnections, ctx.sessions.size);
    ctx.log.info('connect', { session: session.id, address: session.address, connections: ctx.sessions.size, ...(deps.protocol === 'line' ? {} : { protocol: deps.protocol }) });
    const timeoutMs = ctx.options.loginTimeoutMs;
    this.loginTimers.set(
      session,
      ctx.timers.setTimeout(() => {
        const kind = session.state.kind;
        if (kind !== 'greeting') return;
        session.endWith('login-timeout', 'TIMEOUT', `no login within ${timeoutMs / 1000} s; closing`);
      }, timeoutMs),
    );
    connection.attach(session);
    return session;
  }

  /** The settings changed (SIGHUP): the output cap every outbox shares follows them. */
  limitsChanged(): void {
    this.outboxLimits.outputCapBytes = this.ctx.options.outputCapBytes;
  }

  /** Tells everyone this node stops, ends every session; resolves with the messages lost on the way. */
  async shutdown(): Promise<number> {
    const { ctx } = this;
    clearInterval(this.stallCheck);
    ctx.relay.toThisNode('the server is shutting down; goodbye');
    const open = [...ctx.sessions];
    const closed = Promise.all(
      open.map((s) => new Promise<void>((resolve) => (s.state.kind === 'closed' ? resolve() : s.connection.on('close', () => resolve())))),
    );
    const refusedBefore = ctx.stats.messagesNotStored;
    for (const session of open) session.end('shutdown');
    ctx.turn.flushNow(true);
    await ctx.turn.settled();
    // Their senders are already leaving and cannot be told: these are lost.
    const lost = ctx.stats.messagesNotStored - refusedBefore;
    const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
    await Promise.race([closed, grace]);
    for (const session of ctx.sessions) session.connection.destroy();
    return lost;
  }

  private onStateChange(session: Session, from: SessionState, to: SessionState): void {
    // Logged in: the login deadline is over (and its timer need not be kept).
    if (to.kind === 'joining') this.clearLoginTimer(session);
    if (to.kind === 'closing' || (to.kind === 'closed' && from.kind !== 'closing')) this.retire(session, to.rooms);
    if (to.kind !== 'closed') return;
    const { ctx } = this;
    ctx.sessions.delete(session);
    countIn(ctx.stats.disconnects, session.closeReason ?? 'peer-closed');
    ctx.log.info('disconnect', {
      session: session.id,
      name: session.name,
      address: session.address,
      reason: session.closeReason ?? 'peer-closed',
      seconds: Math.round((ctx.clock() - session.connectedAt) / 1000),
    });
  }

  private clearLoginTimer(session: Session): void {
    const timer = this.loginTimers.get(session);
    if (timer === undefined) return;
    this.ctx.timers.clearTimeout(timer);
    this.loginTimers.delete(session);
  }

  /** Takes a leaving session out of the directory and tells its room, once. */
  private retire(session: Session, rooms: readonly Room<Session>[]): void {
    const { ctx } = this;
    this.clearLoginTimer(session);
    const user = session.user;
    if (user === undefined || ctx.presence.user(user.key) !== session) return;
    const reason = session.closeReason ?? 'peer-closed';
    ctx.directory.release(session, user.key);
    ctx.departed.remember(user.key, session.address);
    const note = session.leaveNote ?? LEAVE_NOTE[reason];
    // Deferred so a drop in the middle of a broadcast does not interleave its notice.
    for (const room of rooms) queueMicrotask(() => leaveRoom(ctx, session, user, room, note, true));
    ctx.log.info('logout', { session: session.id, name: user.name, reason });
  }

  /** The write deadline: a peer that takes nothing of its output for --write-timeout is gone. */
  private dropStalled(): void {
    const { ctx } = this;
    for (const session of ctx.sessions) {
      if (!session.outbox.stalled(ctx.options.writeTimeoutMs)) continue;
      ctx.log.warn('write-timeout', { session: session.id, name: session.name, address: session.address, pending: session.connection.pendingBytes });
      session.drop('write-timeout');
    }
  }
}
