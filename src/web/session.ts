import { checkPasswordChange } from '../client/commands.js';
import { encodeBare, encodeJoin, encodePasswordChange, encodePing, encodeTopicRequest } from '../protocol/encode.js';
import { LOBBY, type ServerFrame } from '../protocol/frames.js';
import { PASSWORD_CHANGED, parsePresence } from '../protocol/notices.js';
import { checkNameShape, nameKey } from '../protocol/text.js';
import { Link, type LinkStatus, type OpenSocket } from './connection.js';
import { helpLines, planInput } from './input.js';
import { initialState, reduce, type ChatEvent, type ChatState, type ConnectionView } from './state.js';
import type { TimerHandle, Timers } from './timers.js';
import { toMessage } from './wire.js';

// One visit to the page: a Link, the state, and the follow-ups a frame
// calls for (the room's people and topic after entering it, the room list
// after someone comes or goes, the room again after a reconnect). Pure
// logic: the DOM layer calls in and renders what onChange hands it.

export interface SessionOptions {
  open: OpenSocket;
  timers: Timers;
  random: () => number;
  onChange(state: ChatState): void;
  hidden?: boolean;
  /** How often the room list is asked for while online. */
  roomsEveryMs?: number;
  /** Presence notices within this time cause one room list request. */
  roomsDebounceMs?: number;
}

/** What became of a submitted line. `keep`: leave it in the box (not sent, to fix or retry). */
export type SubmitResult = 'sent' | 'keep' | 'clear' | 'password';

const PING_TOKEN = '~ping';

export class ChatSession {
  private stateValue: ChatState;
  private link: Link | undefined;
  private roomsTimer: TimerHandle | undefined;
  private roomsSoon: TimerHandle | undefined;
  private readonly pings = new Map<string, number>();
  private pingCount = 0;
  private roomsAskedAt = -Infinity;
  /** The new password of a change sent and not yet confirmed. */
  private pendingPassword: string | undefined;

  constructor(private readonly options: SessionOptions) {
    this.stateValue = initialState(options.hidden ?? false);
  }

  get state(): ChatState {
    return this.stateValue;
  }

  /** Whether the current login has a password (a guest has none to change). */
  get hasPassword(): boolean {
    return this.link?.hasPassword ?? false;
  }

  /** Connects and logs in; the outcome arrives as state. */
  login(rawName: string, rawPassword: string): void {
    const check = checkNameShape(rawName.trim());
    if (!check.ok) {
      this.dispatch({ type: 'login-refused', code: 'BAD_NAME', text: check.reason });
      return;
    }
    this.stopLink();
    this.dispatch({ type: 'login-started', name: check.name });
    const link = new Link({
      open: this.options.open,
      timers: this.options.timers,
      random: this.options.random,
      events: {
        status: (status) => {
          if (this.link === link) this.onStatus(status);
        },
        frame: (frame) => {
          if (this.link === link) this.onFrame(frame);
        },
      },
    });
    this.link = link;
    link.open(check.name, rawPassword === '' ? undefined : rawPassword);
  }

  /** Handles a line typed in the message box. */
  submit(line: string): SubmitResult {
    const plan = planInput(line, { room: this.stateValue.room });
    switch (plan.kind) {
      case 'none':
        return 'clear';
      case 'help':
        this.dispatch({ type: 'notice', level: 'info', text: helpLines().join('\n'), block: true });
        return 'clear';
      case 'local':
        this.dispatch({ type: 'notice', level: plan.level, text: plan.lines.join('\n'), block: plan.lines.length > 1 });
        return plan.keep ? 'keep' : 'clear';
      case 'password':
        if (!this.hasPassword) {
          this.dispatch({ type: 'notice', level: 'warn', text: 'you are a guest (logged in without a password): there is no password to change' });
          return 'clear';
        }
        return 'password';
      case 'quit':
        this.logout();
        return 'clear';
      case 'ping': {
        const token = `${PING_TOKEN}${++this.pingCount}`;
        const ping = toMessage(encodePing(token));
        if (!ping.ok || !this.sendMessages([ping.message])) return 'keep';
        this.pings.set(token, this.options.timers.now());
        return 'sent';
      }
      case 'send':
        if (!this.sendMessages(plan.messages)) return 'keep';
        if (plan.asked !== undefined) this.dispatch({ type: 'asked', what: plan.asked });
        if (plan.join !== undefined) this.dispatch({ type: 'join-sent', room: plan.join });
        return 'sent';
    }
  }

  /** A click in the room list. */
  join(room: string): void {
    this.submit(`/join ${room}`);
  }

  /** Sends PASSWORD|old|new; returns why it was not sent, or undefined. */
  changePassword(old: string, password: string, again: string): string | undefined {
    const problem = checkPasswordChange(old, password, again);
    if (problem !== undefined) return problem;
    if (old === '' || password === '') return 'both passwords are needed; nothing was sent';
    const out = toMessage(encodePasswordChange(old, password));
    if (!out.ok) return out.reason;
    if (this.link?.send(out.message) !== true) return 'offline: nothing was sent; try again once reconnected';
    this.pendingPassword = password;
    return undefined;
  }

  setHidden(hidden: boolean): void {
    this.dispatch({ type: 'visibility', hidden });
  }

  /** The page got the focus back: fresh room list, and no waiting if the connection is down. */
  focused(): void {
    this.link?.retryNow();
    if (this.link?.online) this.refreshRooms();
  }

  /** The browser says the network is back. */
  networkBack(): void {
    this.link?.retryNow();
  }

  retryNow(): void {
    this.link?.retryNow();
  }

  logout(): void {
    this.stopLink();
    this.dispatch({ type: 'show-login', note: 'you logged out' });
  }

  /** After the connection ended for good: the login form again, the name filled in. */
  backToLogin(): void {
    this.stopLink();
    this.dispatch({ type: 'show-login' });
  }

  // ——— internals ———

  private dispatch(event: ChatEvent): void {
    this.stateValue = reduce(this.stateValue, event, this.options.timers.now());
    this.options.onChange(this.stateValue);
  }

  /** What the user typed; offline, nothing is sent and they are told. */
  private sendMessages(messages: readonly string[]): boolean {
    if (this.link?.online !== true) {
      this.dispatch({ type: 'notice', level: 'warn', text: 'offline: not sent; it is still in the box, send it again once reconnected' });
      return false;
    }
    for (const message of messages) this.link.send(message);
    return true;
  }

  /** The page's own questions: only the lists change, no line is shown. */
  private sendQuietly(encoded: readonly string[]): void {
    if (this.link?.online !== true) return;
    for (const frame of encoded) {
      const out = toMessage(frame);
      if (out.ok) this.link.send(out.message);
    }
  }

  /** Ends the current link (LOGOUT when online) and everything timed for it. */
  private stopLink(): void {
    const timers = this.options.timers;
    timers.clearTimeout(this.roomsTimer);
    timers.clearTimeout(this.roomsSoon);
    this.roomsTimer = this.roomsSoon = undefined;
    const link = this.link;
    // Detached first: the old link's last status is not ours to show.
    this.link = undefined;
    link?.quit();
    this.pendingPassword = undefined;
    this.pings.clear();
  }

  private onStatus(status: LinkStatus): void {
    switch (status.state) {
      case 'online': {
        this.dispatch({ type: 'logged-in', welcome: status.welcome, reconnected: status.reconnected });
        const target = this.stateValue.entering?.target ?? LOBBY;
        // Back to the room we were in; the lobby's USERS and TOPIC follow our arrival (onFrame).
        if (nameKey(target) !== nameKey(LOBBY)) this.sendQuietly([encodeJoin(target)]);
        this.scheduleRooms();
        return;
      }
      case 'closed': {
        const reason = status.reason;
        this.options.timers.clearTimeout(this.roomsTimer);
        this.options.timers.clearTimeout(this.roomsSoon);
        if (reason.kind === 'unreachable') {
          // The reason goes next to the form, which is where the user is.
          this.dispatch({ type: 'unreachable', text: `cannot reach the chat server: ${reason.error}` });
          this.dispatch({ type: 'connection', connection: { state: 'idle' } });
          this.link = undefined;
          return;
        }
        if (reason.kind === 'refused') {
          this.dispatch({ type: 'login-refused', code: reason.code, text: reason.text });
          const view: ConnectionView = this.stateValue.view === 'login' ? { state: 'idle' } : { state: 'closed', reason: `login refused: ${reason.text}` };
          this.dispatch({ type: 'connection', connection: view });
          if (this.stateValue.view === 'login') this.link = undefined;
          return;
        }
        if (reason.kind === 'removed') this.dispatch({ type: 'connection', connection: { state: 'closed', reason: reason.text } });
        return;
      }
      case 'waiting':
        this.options.timers.clearTimeout(this.roomsTimer);
        this.dispatch({
          type: 'connection',
          connection: { state: 'waiting', attempt: status.attempt, retryAt: status.retryAt, error: status.error },
        });
        return;
      case 'connecting':
        this.dispatch({ type: 'connection', connection: { state: 'connecting', attempt: status.attempt } });
        return;
      case 'idle':
        return;
    }
  }

  private onFrame(frame: ServerFrame): void {
    const before = this.stateValue;
    this.dispatch({ type: 'frame', frame });
    const after = this.stateValue;
    if (frame.type === 'PONG' && this.pings.has(frame.token)) {
      const ms = this.options.timers.now() - this.pings.get(frame.token)!;
      this.pings.delete(frame.token);
      this.dispatch({ type: 'notice', level: 'ok', text: `pong from the server in ${ms} ms` });
    }
    if (frame.type === 'SYSTEM' && frame.text === PASSWORD_CHANGED && this.pendingPassword !== undefined) {
      // Only the server's word makes the new password the one reconnects send.
      this.link?.setPassword(this.pendingPassword);
      this.pendingPassword = undefined;
    }
    if (frame.type === 'ERROR' && frame.code === 'BAD_PASSWORD' && this.pendingPassword !== undefined) this.pendingPassword = undefined;
    const arrived = (before.entering !== null && after.entering === null) || nameKey(before.room) !== nameKey(after.room);
    if (arrived) {
      // In a room (again): who is here, its topic, and the rooms.
      this.sendQuietly([encodeBare('USERS'), encodeTopicRequest(), encodeBare('ROOMS')]);
      return;
    }
    if (frame.type === 'SYSTEM' && parsePresence(frame.text) !== undefined) this.roomsChanged();
  }

  /** Someone came or went: one room list request for a burst of such notices. */
  private roomsChanged(): void {
    if (this.roomsSoon !== undefined) return;
    this.roomsSoon = this.options.timers.setTimeout(() => {
      this.roomsSoon = undefined;
      this.refreshRooms();
    }, this.options.roomsDebounceMs ?? 2000);
  }

  /** At most one room list request a second (focus and visibility come together). */
  private refreshRooms(): void {
    const now = this.options.timers.now();
    if (now - this.roomsAskedAt < 1000) return;
    this.roomsAskedAt = now;
    this.sendQuietly([encodeBare('ROOMS')]);
  }

  /** The room list every roomsEveryMs while online (counts change without notices to us). */
  private scheduleRooms(): void {
    const timers = this.options.timers;
    timers.clearTimeout(this.roomsTimer);
    this.roomsTimer = timers.setTimeout(() => {
      this.roomsTimer = undefined;
      if (this.link?.online !== true) return;
      this.refreshRooms();
      this.scheduleRooms();
    }, this.options.roomsEveryMs ?? 30_000);
  }
}
