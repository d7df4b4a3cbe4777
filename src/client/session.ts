import type { ChalkInstance } from 'chalk';
import {
  encodeBan,
  encodeBare,
  encodeHistoryRequest,
  encodeJoin,
  encodeKick,
  encodeModlog,
  encodeMute,
  encodePasswordChange,
  encodePing,
  encodeSay,
  encodeTopicRequest,
  encodeUnban,
  encodeUnmute,
  encodeWhisper,
  nameKey,
  type ServerFrame,
} from '../protocol/index.js';
import { helpLines, parseInput, type Action } from './commands.js';
import { KnownRooms, OnlineNames, SeenNames, complete, completionContext, parsePresence } from './completion.js';
import {
  Connection,
  type CloseReason,
  type ConnectionOptions,
  type ConnectionState,
  type ConnectionStatus,
} from './connection.js';
import { DEFAULT_ROOM } from './options.js';
import { Outbox, type OutboxItem } from './outbox.js';
import { isPasswordChanged, renderFrame, renderNotice, type NoticeKind, type RenderContext } from './render.js';
import { RecentMessages } from './recent.js';
import { realTimers, type Timers } from '../cli/timers.js';

// The chat session both front ends share (the terminal REPL and scripting
// mode): it turns typed lines into frames through the outbox, server frames
// into printed lines, keeps name, room and the online list, and restores the
// room after a reconnect. It prints through an output it is given.

/** chat: what people and the server said; notice: the client's own remarks; error: refusals and failures. */
export type LineKind = 'chat' | 'notice' | 'error';

export interface SessionOutput {
  print(line: string, kind: LineKind): void;
  /** Name, room, connection state or queue length changed. */
  statusChanged?(): void;
}

export interface SessionOptions {
  host: string;
  port: number;
  name: string;
  password?: string;
  /** The room to be in; entered after every login. */
  room: string;
  chalk: ChalkInstance;
  output: SessionOutput;
  queueLimit: number;
  now?: () => Date;
  timers?: Timers;
  /** Passed on to the connection (reconnect policy, heartbeat, fake sockets). */
  connection?: Partial<Omit<ConnectionOptions, 'host' | 'port' | 'name' | 'password' | 'events' | 'timers'>>;
  /** Outbox pacing; defaults to a little under the server's default rate. */
  sendRate?: number;
  sendBurst?: number;
  /** false: the history the server replays after a login and a JOIN is not shown (--no-history); /history still is. */
  showReplayedHistory?: boolean;
  /** How long Tab after `/join ` waits for the server's ROOMS answer before completing from what is known. */
  roomsWaitMs?: number;
}

export interface SessionStatus {
  name: string;
  room: string;
  connection: ConnectionState;
  /** Lines typed but not yet confirmed by the server. */
  queued: number;
  /** While waiting to reconnect: the delay until the next attempt. */
  retryInMs?: number;
}

/** 'password': the user asked to change the password; the front end asks for it (hidden) and calls changePassword(). */
export type InputResult = 'continue' | 'quit' | 'password';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** node:readline's asynchronous completer: called with the line up to the cursor. */
export type Completer = (line: string, callback: (error: null, result: [string[], string]) => void) => void;

const DEFAULT_ROOMS_WAIT_MS = 1000;

export class ChatSession {
  readonly name: string;
  private room = DEFAULT_ROOM;
  private targetRoom: string;
  /** People in the current room. */
  private readonly names = new OnlineNames();
  /** Everyone seen online, for /msg completion. */
  private readonly seen = new SeenNames();
  private readonly rooms = new KnownRooms();
  private readonly recent = new RecentMessages();
  private readonly connection: Connection;
  private readonly outbox: Outbox;
  private readonly timers: Timers;
  private readonly now: () => Date;
  /** Between a login and being in the target room: the lobby we pass through is not shown. */
  private entering = false;
  /** Still in the lobby's login replay on the way to another room. */
  private passing = false;
  /** The current login is a reconnect: history already on screen is skipped. */
  private reconnected = false;
  private closeReason: CloseReason | undefined;
  /** HISTORY lines received so far, so /history can tell when there were none. */
  private historySeen = 0;
  /** Notices waiting for the frame being handled to be printed first. */
  private deferred: Array<() => void> | undefined;
  /** Logged in at least once (a later refusal is news; a first one is main's to explain). */
  private wasOnline = false;
  private closedWaiters: Array<(reason: CloseReason) => void> = [];
  /** The new password of a PASSWORD change sent and not yet answered. */
  private passwordChange: string | undefined;

  constructor(private readonly options: SessionOptions) {
    this.name = options.name;
    this.targetRoom = options.room;
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? (() => new Date(this.timers.now()));
    this.connection = new Connection({
      ...options.connection,
      host: options.host,
      port: options.port,
      name: options.name,
      ...(options.password !== undefined ? { password: options.password } : {}),
      timers: this.timers,
      events: {
        status: (status, previous) => this.onStatus(status, previous),
        frame: (frame) => this.onFrame(frame),
        badLine: (what, detail) => {
          if (what === 'unknown-frame') this.notice('warn', `ignored a line the client does not understand: ${detail.slice(0, 80)}`);
          else this.notice('warn', `ignored a line from the server: ${detail}`);
        },
      },
    });
    this.outbox = new Outbox({
      write: (line) => this.connection.send(line),
      timers: this.timers,
      limit: options.queueLimit,
      ...(options.sendRate !== undefined ? { rate: options.sendRate } : {}),
      ...(options.sendBurst !== undefined ? { burst: options.sendBurst } : {}),
      events: {
        rateLimited: (item, delayMs) => {
          if (!item.silent) this.notice('warn', `sending too fast; the server asked to slow down, retrying in ${seconds(delayMs)}`);
        },
        unanswered: (item) => {
          if (!item.silent) this.notice('warn', `no answer from the server to: ${item.label}`);
          this.changed();
        },
      },
    });
  }

  get status(): SessionStatus {
    const c = this.connection.status;
    return {
      name: this.name,
      room: this.room,
      connection: c.state,
      queued: this.outbox.pendingUserItems,
      ...(c.state === 'waiting' ? { retryInMs: c.delayMs } : {}),
    };
  }

  /** Names known to be online, for completion. */
  onlineNames(): string[] {
    return this.names.list();
  }

  /** Everyone seen online since the start, in any room. */
  knownNames(): string[] {
    return this.seen.list();
  }

  /**
   * node:readline completer. After `/join ` it first asks the server for its
   * rooms (waiting at most roomsWaitMs), so a room opened a moment ago
   * completes too; everything else completes at once.
   */
  completer: Completer = (line, callback) => {
    const answer = () =>
      callback(null, complete(line, { roomNames: this.names.list(), knownNames: this.seen.list(), rooms: this.rooms.list(this.room) }));
    if (completionContext(line) !== 'room' || !this.connection.online) {
      answer();
      return;
    }
    void this.refreshRooms().then(answer);
  };

  /** Connects and logs in; rejects with ConnectError when the first attempt fails. */
  async open(): Promise<void> {
    await this.connection.open();
  }

  /** Resolves when the connection has ended for good (quit, refused, gave up). */
  closed(): Promise<CloseReason> {
    if (this.closeReason !== undefined) return Promise.resolve(this.closeReason);
    return new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  /** Handles one typed line. */
  input(line: string): InputResult {
    const action = parseInput(line);
    switch (action.kind) {
      case 'none':
        return 'continue';
      case 'quit':
        return 'quit';
      case 'password':
        return 'password';
      case 'help':
        for (const text of helpLines()) this.options.output.print(renderNotice('info', text, this.ctx()), 'notice');
        return 'continue';
      case 'invalid':
        this.notice('warn', action.message);
        return 'continue';
      case 'join':
        if (nameKey(action.room) === nameKey(this.targetRoom)) {
          this.notice('info', `you are already in ${this.targetRoom}`);
          return 'continue';
        }
        this.enqueue(this.itemFor(action));
        return 'continue';
      default:
        this.enqueue(this.itemFor(action));
        return 'continue';
    }
  }

  /** Why /password cannot be used now (a one-line notice), or undefined when it can. */
  passwordChangeBlocked(): string | undefined {
    if (this.connection.currentPassword === undefined) {
      return 'you are a guest (logged in without a password): there is no password to change';
    }
    if (!this.connection.online) return '/password needs the connection; try again once reconnected';
    if (this.passwordChange !== undefined) return 'a password change is already on its way; wait for its answer';
    return undefined;
  }

  /**
   * Sends PASSWORD|old|new. Only the server's confirmation makes the new
   * password the one later logins (reconnects) send. Neither password is
   * ever printed: the item's label is just "/password".
   */
  changePassword(old: string, password: string): void {
    const blocked = this.passwordChangeBlocked();
    if (blocked !== undefined) {
      this.notice('warn', `not sent: ${blocked}`);
      return;
    }
    this.passwordChange = password;
    this.enqueue({
      kind: 'password',
      label: '/password',
      silent: false,
      // Never sent again after a reconnect: if the first one went through, its old password is wrong now.
      ephemeral: true,
      // A throttled password check is shown, not retried: retrying only keeps it throttled.
      rateLimitIsAnswer: true,
      encode: () => encodePasswordChange(old, password),
      answers: (f) => f.type === 'ERROR' || (f.type === 'SYSTEM' && isPasswordChanged(f.text)),
      done: (answer) => {
        if (this.passwordChange !== password) return;
        if (answer?.type === 'ERROR') this.passwordChange = undefined;
        // No answer in time: a late confirmation still counts, and a reconnect tries the new one if the old fails.
        else if (answer === undefined) this.connection.setFallbackPassword(password);
      },
      lost: (sent) => this.passwordChangeLost(password, sent),
    });
  }

  /** Prints a notice in the session's style (for the front ends' own remarks). */
  remark(kind: NoticeKind, text: string): void {
    this.notice(kind, text);
  }

  /** Resolves once every line typed so far is confirmed by the server (or given up on). */
  whenSent(): Promise<void> {
    return this.outbox.whenIdle();
  }

  /** Resolves once every typed line is confirmed and a PING round trip shows the server has done all. */
  async flush(): Promise<void> {
    await this.outbox.whenIdle();
    if (this.closeReason !== undefined) return;
    await new Promise<void>((resolve) => {
      this.outbox.push(
        {
          kind: 'sync',
          label: 'PING',
          silent: true,
          encode: (token) => encodePing(token),
          answers: (frame, token) => frame.type === 'PONG' && frame.token === token,
          done: () => resolve(),
        },
        { front: true },
      );
      void this.closed().then(() => resolve());
    });
  }

  /** Lines not yet confirmed by the server. */
  get unsent(): number {
    return this.outbox.pendingUserItems;
  }

  /** Logs out (LOGOUT when online) and closes. Returns how many typed lines were never confirmed. */
  async quit(): Promise<number> {
    const dropped = this.outbox.clear().filter((item) => !item.silent);
    await this.connection.quit();
    return dropped.length;
  }

  // ——— internals ———

  private ctx(): RenderContext {
    return { chalk: this.options.chalk, now: this.now, self: this.name, room: this.room };
  }

  private notice(kind: NoticeKind, text: string): void {
    this.options.output.print(renderNotice(kind, text, this.ctx()), kind === 'error' ? 'error' : 'notice');
  }

  private changed(): void {
    this.options.output.statusChanged?.();
  }

  private enqueue(item: OutboxItem): void {
    const online = this.connection.online && this.outbox.isOnline;
    if (this.outbox.push(item) === 'full') {
      this.notice('error', `not sent: ${this.options.queueLimit} lines are already waiting for the connection; this one was dropped: ${item.label}`);
      return;
    }
    if (!online) {
      const waiting = this.outbox.pendingUserItems;
      this.notice('warn', `offline: queued, will be sent after reconnecting (${waiting} waiting)`);
    }
    this.changed();
  }

  private isSelf(name: string): boolean {
    return nameKey(name) === nameKey(this.name);
  }

  private itemFor(action: Exclude<Action, { kind: 'none' | 'quit' | 'help' | 'invalid' | 'password' }>): OutboxItem {
    switch (action.kind) {
      case 'say':
        return {
          kind: 'say',
          label: action.text,
          silent: false,
          encode: () => encodeSay(action.text),
          answers: (f) => (f.type === 'TEXT' && this.isSelf(f.from)) || f.type === 'ERROR',
        };
      case 'whisper':
        return {
          kind: 'whisper',
          label: `/msg ${action.to} ${action.text}`,
          silent: false,
          encode: () => encodeWhisper(action.to, action.text),
          answers: (f) => f.type === 'SENT' || f.type === 'ERROR',
        };
      case 'users':
        return this.usersItem(false);
      case 'rooms':
        return {
          kind: 'rooms',
          label: '/rooms',
          silent: false,
          encode: () => encodeBare('ROOMS'),
          answers: (f) => f.type === 'ROOMS' || f.type === 'ERROR',
        };
      case 'join':
        return this.joinItem(action.room, false);
      case 'history': {
        let seenBefore = 0;
        return {
          kind: 'history',
          label: '/history',
          silent: false,
          // The HISTORY lines have no end marker: a PING behind them marks it.
          encode: (token) => {
            seenBefore = this.historySeen;
            return encodeHistoryRequest(action.count) + encodePing(token);
          },
          answers: (f, token) => (f.type === 'PONG' && f.token === token) || f.type === 'ERROR',
          done: (answer) => {
            if (answer?.type === 'PONG' && this.historySeen === seenBefore) this.notice('info', `no messages in ${this.room} yet`);
          },
        };
      }
      case 'ping':
        return {
          kind: 'ping',
          label: '/ping',
          silent: false,
          encode: (token) => encodePing(token),
          answers: (f, token) => (f.type === 'PONG' && f.token === token) || f.type === 'ERROR',
          done: (answer, ms) => {
            if (answer?.type === 'PONG') this.notice('ok', `pong from ${this.options.host}:${this.options.port} in ${ms} ms`);
          },
        };
      case 'kick':
        return this.moderationItem(`/kick ${action.name} ${action.reason}`, encodeKick(action.name, action.reason));
      case 'ban':
        return this.moderationItem(`/ban ${action.name} ${action.minutes} ${action.reason}`, encodeBan(action.name, action.minutes, action.reason));
      case 'unban':
        return this.moderationItem(`/unban ${action.name}`, encodeUnban(action.name));
      case 'mute':
        return this.moderationItem(`/mute ${action.name} ${action.minutes} ${action.reason}`, encodeMute(action.name, action.minutes, action.reason));
      case 'unmute':
        return this.moderationItem(`/unmute ${action.name}`, encodeUnmute(action.name));
      case 'modlog':
        return this.moderationItem(action.count === undefined ? '/modlog' : `/modlog ${action.count}`, encodeModlog(action.count));
      case 'topic':
        if (action.topic === undefined) {
          return { kind: 'topic', label: '/topic', silent: false, encode: () => encodeTopicRequest(), answers: (f) => f.type === 'TOPIC' || f.type === 'ERROR' };
        }
        // Set or cleared, the room's notice is the answer everyone sees; a PING behind it marks the end.
        return {
          kind: 'topic',
          label: action.topic === '' ? '/topic --clear' : `/topic ${action.topic}`,
          silent: false,
          encode: (token) => encodeTopicRequest(action.topic) + encodePing(token),
          answers: (f, token) => (f.type === 'PONG' && f.token === token) || f.type === 'ERROR',
        };
    }
  }

  /**
   * KICK, BAN, UNBAN, MUTE, UNMUTE, MODLOG: the answer is SYSTEM lines (one,
   * or the log's) or an ERROR, in the server's words; a PING behind the
   * frame marks where it ends.
   */
  private moderationItem(label: string, frame: string): OutboxItem {
    return {
      kind: 'moderation',
      label: label.trimEnd(),
      silent: false,
      encode: (token) => frame + encodePing(token),
      answers: (f, token) => (f.type === 'PONG' && f.token === token) || f.type === 'ERROR',
    };
  }

  /** The PASSWORD item went with its connection: unsent, it changed nothing; sent, the next login tells. */
  private passwordChangeLost(password: string, sent: boolean): void {
    if (this.passwordChange !== password) return;
    if (!sent || this.closeReason !== undefined) {
      this.passwordChange = undefined;
      this.notice(
        'warn',
        sent
          ? 'the connection ended before the server answered /password: your password may or may not have been changed'
          : 'not sent: /password (the connection was lost); your password was not changed',
      );
      return;
    }
    this.connection.setFallbackPassword(password);
    this.notice('warn', 'the connection was lost before the server answered /password; logging in again will show whether it was changed');
  }

  /** After a reconnect: which password got in settles a change whose answer never came. */
  private settlePasswordChange(): void {
    const password = this.passwordChange;
    if (password === undefined) return;
    this.passwordChange = undefined;
    if (this.connection.currentPassword === password) this.notice('ok', 'your password was changed: the new one logged in');
    else this.notice('warn', 'your password was not changed (the old one still logs in); /password to try again');
  }

  /** Sends a silent ROOMS; resolves on its answer, or after roomsWaitMs. */
  private refreshRooms(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.timers.setTimeout(resolve, this.options.roomsWaitMs ?? DEFAULT_ROOMS_WAIT_MS);
      const done = () => {
        this.timers.clearTimeout(timer);
        resolve();
      };
      this.outbox.push(
        {
          kind: 'rooms',
          label: '/rooms',
          silent: true,
          ephemeral: true,
          encode: () => encodeBare('ROOMS'),
          answers: (f) => f.type === 'ROOMS' || f.type === 'ERROR',
          done,
        },
        { front: true },
      );
    });
  }

  private usersItem(silent: boolean): OutboxItem {
    return {
      kind: 'users',
      label: '/users',
      silent,
      ephemeral: silent,
      encode: () => encodeBare('USERS'),
      answers: (f) => f.type === 'USERS' || f.type === 'ERROR',
    };
  }

  private joinItem(room: string, silent: boolean): OutboxItem {
    return {
      kind: 'join',
      label: `/join ${room}`,
      silent,
      ephemeral: silent,
      encode: () => encodeJoin(room),
      answers: (f) => {
        if (f.type === 'ERROR') return true;
        if (f.type !== 'SYSTEM') return false;
        if (f.text.startsWith('you are already in')) return true;
        const p = parsePresence(f.text);
        return p !== undefined && p.event === 'joined' && this.isSelf(p.name) && nameKey(p.room) === nameKey(room);
      },
      done: (answer) => {
        if (answer?.type === 'SYSTEM') {
          const p = parsePresence(answer.text);
          this.enterRoom(p?.room ?? room);
          this.outbox.pushFront([this.usersItem(true)]);
        } else if (this.entering) {
          // Could not get into the room: stay where the server put us.
          this.entering = false;
          this.targetRoom = this.room;
          this.notice('warn', `could not enter ${room}; you are in ${this.room}`);
        }
        this.changed();
      },
    };
  }

  private enterRoom(room: string): void {
    this.room = room;
    this.targetRoom = room;
    this.rooms.visit(room);
    this.names.clear();
    this.names.add(this.name);
    this.arrived();
  }

  /** The login is complete: we are in the room we want. */
  private arrived(): void {
    if (!this.entering) return;
    this.entering = false;
    if (this.reconnected) this.afterFrame(() => this.notice('ok', `back in ${this.room} as ${this.name}`));
  }

  private onStatus(status: ConnectionStatus, previous: ConnectionStatus): void {
    switch (status.state) {
      case 'online': {
        this.room = DEFAULT_ROOM;
        this.names.clear();
        this.names.add(this.name);
        const needJoin = nameKey(this.targetRoom) !== nameKey(DEFAULT_ROOM);
        this.wasOnline = true;
        this.entering = true;
        this.passing = needJoin;
        this.reconnected = status.reconnected;
        if (status.reconnected) {
          this.notice('ok', `reconnected to ${this.options.host}:${this.options.port}`);
          this.settlePasswordChange();
        } else {
          this.notice('ok', status.welcome === '' ? `logged in as ${this.name}` : status.welcome);
        }
        const first: OutboxItem[] = [];
        if (needJoin) first.push(this.joinItem(this.targetRoom, true));
        else first.push(this.usersItem(true));
        this.outbox.pushFront(first);
        this.outbox.setOnline(true);
        const waiting = this.outbox.pendingUserItems;
        if (status.reconnected && waiting > 0) this.notice('info', `sending ${waiting} queued line${waiting === 1 ? '' : 's'}`);
        break;
      }
      case 'waiting':
        this.outbox.setOnline(false);
        if (previous.state === 'online') {
          this.notice('error', `connection lost (${status.error}); reconnecting in ${seconds(status.delayMs)}`);
        } else if (!this.wasOnline) {
          // Started before the server was up: waiting for it.
          this.notice('warn', `cannot connect: ${status.error}; retrying in ${seconds(status.delayMs)}`);
        } else {
          this.notice('warn', `still offline (${status.error}); retrying in ${seconds(status.delayMs)}`);
        }
        break;
      case 'closed':
        // Before the outbox lets go of its items: their notices say the connection is gone for good.
        this.closeReason = status.reason;
        this.outbox.setOnline(false);
        if (status.reason.kind === 'removed') {
          this.notice('error', `not reconnecting after a ${status.reason.action === 'kicked' ? 'kick' : 'ban'}`);
        } else if (status.reason.kind === 'replaced') {
          this.notice('error', 'not reconnecting: the other connection has the name now');
        } else if (status.reason.kind === 'gave-up') {
          this.notice('error', `gave up reconnecting after ${status.reason.attempts} attempts: ${status.reason.error}`);
        } else if (status.reason.kind === 'login-refused' && this.wasOnline) {
          this.notice('error', `the server refused the login: ${status.reason.text} [${status.reason.code}]`);
        }
        for (const resolve of this.closedWaiters.splice(0)) resolve(status.reason);
        break;
      default:
        break;
    }
    this.changed();
  }

  /** Runs `fn` once the frame being handled is printed (or now, outside frame handling). */
  private afterFrame(fn: () => void): void {
    if (this.deferred === undefined) fn();
    else this.deferred.push(fn);
  }

  private onFrame(frame: ServerFrame): void {
    this.deferred = [];
    try {
      this.handleFrame(frame);
    } finally {
      const deferred = this.deferred;
      this.deferred = undefined;
      for (const fn of deferred) fn();
    }
  }

  private handleFrame(frame: ServerFrame): void {
    // The confirmation alone makes the new password the one for reconnects (also when it comes late).
    if (frame.type === 'SYSTEM' && this.passwordChange !== undefined && isPasswordChanged(frame.text)) {
      this.connection.setPassword(this.passwordChange);
      this.passwordChange = undefined;
    }
    if (frame.type === 'HISTORY') {
      // Only a /history in flight asks for HISTORY lines; any others are the replay after a login or JOIN.
      if (this.options.showReplayedHistory === false && this.outbox.inFlightKind !== 'history') return;
      this.historySeen++;
    }
    // The lists first: an item's done() (the Tab after /join) may read them.
    const namesChanged = this.names.apply(frame);
    this.seen.apply(frame);
    this.rooms.apply(frame);
    const result = this.outbox.onFrame(frame);
    if (namesChanged || result.answered !== undefined) this.changed();
    // The notice of our own arrival answers an internal JOIN but is worth showing.
    if (result.swallow && result.answered?.kind !== 'join') return;
    // PONGs to the client's own PINGs are never shown (a /ping prints its round trip).
    if (frame.type === 'PONG' && frame.token.startsWith('~')) return;
    const show = this.shouldShowWhileEntering(frame);
    if (show) {
      if (frame.type === 'TEXT' || frame.type === 'HISTORY') this.recent.add(frame.from, frame.message);
      const line = renderFrame(frame, this.ctx());
      if (line !== undefined) this.options.output.print(line, frame.type === 'ERROR' ? 'error' : 'chat');
    }
    // Our own arrival in the target room without a JOIN (the lobby) ends the login.
    if (this.entering && frame.type === 'SYSTEM') {
      const p = parsePresence(frame.text);
      if (p?.event === 'joined' && this.isSelf(p.name) && nameKey(p.room) === nameKey(this.targetRoom)) {
        this.room = p.room;
        this.rooms.visit(p.room);
        this.arrived();
        this.changed();
      }
    }
  }

  /**
   * Between login and arrival: the lobby we only pass through on the way to
   * another room is not shown, and after a reconnect history already on
   * screen is skipped (what was said while we were away is shown).
   */
  private shouldShowWhileEntering(frame: ServerFrame): boolean {
    if (!this.entering) return true;
    if (frame.type === 'HISTORY') {
      if (this.passing) return false;
      return !(this.reconnected && this.recent.take(frame.from, frame.message));
    }
    if (frame.type === 'SYSTEM' && this.passing) {
      const p = parsePresence(frame.text);
      if (p?.event === 'joined' && this.isSelf(p.name)) {
        // The end of the lobby's replay: what follows belongs to the target room.
        this.passing = false;
        return false;
      }
    }
    return true;
  }
}
