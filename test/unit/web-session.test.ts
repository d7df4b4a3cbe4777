import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF } from '../../src/client/backoff.js';
import { Link, describeClose, type LinkStatus, type SocketHandlers } from '../../src/web/connection.js';
import { ChatSession } from '../../src/web/session.js';
import type { ChatState } from '../../src/web/state.js';
import { FakeTimers } from '../helpers/fake-timers.js';

/** A WebSocket stand-in: records what the page sends; the test plays the server. */
class Sockets {
  readonly opened: FakeWebSocket[] = [];
  open = (handlers: SocketHandlers): FakeWebSocket => {
    const socket = new FakeWebSocket(handlers);
    this.opened.push(socket);
    return socket;
  };
  get last(): FakeWebSocket {
    return this.opened.at(-1)!;
  }
}

class FakeWebSocket {
  readonly sent: string[] = [];
  closed = false;
  constructor(readonly handlers: SocketHandlers) {}
  send(message: string): void {
    this.sent.push(message);
  }
  close(): void {
    this.closed = true;
  }
  /** The server side. */
  accept(): void {
    this.handlers.open();
  }
  say(...lines: string[]): void {
    for (const line of lines) this.handlers.message(line);
  }
  drop(code = 1006, reason = ''): void {
    this.handlers.close(code, reason);
  }
}

const WELCOME = ['SUCCESS|Welcome, alice! You are in lobby.', 'SYSTEM|alice joined lobby'];

function setup(random = () => 1) {
  const timers = new FakeTimers(Date.UTC(2026, 2, 4, 10, 0));
  const sockets = new Sockets();
  const states: ChatState[] = [];
  const session = new ChatSession({ open: sockets.open, timers, random, onChange: (s) => states.push(s) });
  return { timers, sockets, session, states };
}

/** Logged in as alice (with `password`) and in the lobby. */
function online(password = '') {
  const t = setup();
  t.session.login('alice', password);
  t.sockets.last.accept();
  t.sockets.last.say(...WELCOME);
  return t;
}

describe('the web session', () => {
  it('logs in with the name and password, then asks for the room\'s people, topic and the rooms', () => {
    const { sockets, session } = online('secret pass');
    expect(sockets.last.sent).toEqual(['LOGIN|alice|secret pass', 'USERS', 'TOPIC', 'ROOMS']);
    expect(session.state.view).toBe('chat');
    expect(session.state.connection).toEqual({ state: 'online' });
  });

  it('logs in as a guest without a password', () => {
    const { sockets } = online();
    expect(sockets.last.sent[0]).toBe('LOGIN|alice');
  });

  it('checks the name before connecting', () => {
    const { session, sockets } = setup();
    session.login('a', '');
    expect(sockets.opened).toHaveLength(0);
    expect(session.state.loginMessage).toMatchObject({ level: 'error', code: 'BAD_NAME' });
  });

  it('shows a refused login next to the form and does not retry', () => {
    const { session, sockets, timers } = setup();
    session.login('alice', 'wrong');
    sockets.last.accept();
    sockets.last.say('ERROR|BAD_PASSWORD|wrong password for alice');
    expect(session.state.view).toBe('login');
    expect(session.state.loginMessage).toEqual({ level: 'error', code: 'BAD_PASSWORD', text: 'wrong password for alice' });
    expect(sockets.last.closed).toBe(true);
    timers.advance(60_000);
    expect(sockets.opened).toHaveLength(1);
  });

  it('an unreachable server is said next to the form', () => {
    const { session, sockets } = setup();
    session.login('alice', '');
    sockets.last.drop(1006);
    expect(session.state.view).toBe('login');
    expect(session.state.loginMessage?.text).toBe('cannot reach the chat server: the connection was lost');
    expect(session.state.connection).toEqual({ state: 'idle' });
  });

  it('a second login first ends the first connection', () => {
    const { session, sockets } = setup();
    session.login('alice', '');
    const first = sockets.last;
    first.accept();
    session.login('alicia', '');
    expect(first.closed).toBe(true);
    first.say(...WELCOME);
    expect(session.state.view).toBe('login');
    expect(sockets.opened).toHaveLength(2);
  });

  it('typed lines go out as frames; offline ones stay in the box', () => {
    const { session, sockets } = online();
    expect(session.submit('hello')).toBe('sent');
    expect(sockets.last.sent.at(-1)).toBe('TEXT|hello');
    sockets.last.drop();
    expect(session.submit('while away')).toBe('keep');
    expect(session.state.messages.at(-1)).toMatchObject({ kind: 'notice', level: 'warn' });
  });

  it('/join sends JOIN and follows the arrival with USERS, TOPIC and ROOMS', () => {
    const { session, sockets } = online();
    sockets.last.sent.length = 0;
    session.join('dev');
    sockets.last.say('HISTORY|2026-03-04T09:00:00.000Z|dan|hi', 'SYSTEM|alice joined dev');
    expect(sockets.last.sent).toEqual(['JOIN|dev', 'USERS', 'TOPIC', 'ROOMS']);
    expect(session.state.room).toBe('dev');
  });

  it('/ping reports the round trip', () => {
    const { session, sockets, timers } = online();
    session.submit('/ping');
    const ping = sockets.last.sent.at(-1)!;
    expect(ping).toMatch(/^PING\|~ping\d+$/);
    timers.advance(42);
    sockets.last.say(`PONG|${ping.slice(5)}`);
    expect(session.state.messages.at(-1)).toMatchObject({ text: 'pong from the server in 42 ms' });
  });

  it('/help lists the commands in the conversation', () => {
    const { session } = online();
    expect(session.submit('/help')).toBe('clear');
    const help = session.state.messages.at(-1)!;
    expect(help).toMatchObject({ kind: 'notice', block: true });
    expect(help.kind === 'notice' && help.text).toContain('/msg NAME TEXT');
  });

  it('asks for the room list once for a burst of comings and goings, and every 30 s', () => {
    const { sockets, timers } = online();
    sockets.last.sent.length = 0;
    sockets.last.say('SYSTEM|bob joined lobby', 'SYSTEM|carol joined lobby', 'SYSTEM|bob left lobby');
    timers.advance(2000);
    expect(sockets.last.sent).toEqual(['ROOMS']);
    timers.advance(28_000);
    expect(sockets.last.sent.filter((m) => !m.startsWith('PING|~hb'))).toEqual(['ROOMS', 'ROOMS']);
  });

  it('reconnects with backoff, logs in again with the same name and password, and goes back to the room', () => {
    const { session, sockets, timers } = online('secret pass');
    session.join('dev');
    sockets.last.say('SYSTEM|alice joined dev');
    sockets.last.drop(1001);
    expect(session.state.connection).toEqual({
      state: 'waiting',
      attempt: 1,
      retryAt: timers.now() + DEFAULT_BACKOFF.initialMs,
      error: 'the server went away',
    });
    timers.advance(DEFAULT_BACKOFF.initialMs - 1);
    expect(sockets.opened).toHaveLength(1);
    timers.advance(1);
    expect(sockets.opened).toHaveLength(2);
    expect(session.state.connection).toEqual({ state: 'connecting', attempt: 1 });
    sockets.last.accept();
    sockets.last.say(...WELCOME);
    expect(sockets.last.sent).toEqual(['LOGIN|alice|secret pass', 'JOIN|dev']);
    sockets.last.say('SYSTEM|alice joined dev');
    expect(sockets.last.sent.slice(2)).toEqual(['USERS', 'TOPIC', 'ROOMS']);
    expect(session.state.room).toBe('dev');
    expect(session.state.connection).toEqual({ state: 'online' });
  });

  it('a refusal worth retrying on a reconnect (the old connection holds the name) is retried', () => {
    const { session, sockets, timers } = online();
    sockets.last.drop();
    timers.advance(DEFAULT_BACKOFF.initialMs);
    sockets.last.accept();
    sockets.last.say('ERROR|NAME_TAKEN|alice is online');
    expect(session.state.connection).toMatchObject({ state: 'waiting', attempt: 2, error: 'the name is still held by the old connection' });
    timers.advance(DEFAULT_BACKOFF.initialMs * 2);
    expect(sockets.opened).toHaveLength(3);
  });

  it('never reconnects after a ban', () => {
    const { session, sockets, timers } = online();
    sockets.last.drop();
    timers.advance(DEFAULT_BACKOFF.initialMs);
    sockets.last.accept();
    sockets.last.say('ERROR|BANNED|alice is banned until lifted: spam');
    expect(session.state.connection).toEqual({ state: 'closed', reason: 'login refused: alice is banned until lifted: spam' });
    expect(session.state.view).toBe('chat');
    timers.advance(600_000);
    expect(sockets.opened).toHaveLength(2);
  });

  it('never reconnects after a kick, nor after the name logged in elsewhere', () => {
    for (const notice of ['SYSTEM|you were kicked by op: spam', 'SYSTEM|you logged in as alice from another connection; this one is closed']) {
      const { session, sockets, timers } = online();
      sockets.last.say(notice);
      sockets.last.drop(1000);
      expect(session.state.connection).toEqual({ state: 'closed', reason: notice.slice('SYSTEM|'.length) });
      timers.advance(600_000);
      expect(sockets.opened).toHaveLength(1);
    }
  });

  it('a confirmed password change is the password of later logins', () => {
    const { session, sockets, timers } = online('old password');
    expect(session.changePassword('old password', 'new password', 'other')).toMatch(/do not match/);
    expect(session.changePassword('old password', 'new password', 'new password')).toBeUndefined();
    expect(sockets.last.sent.at(-1)).toBe('PASSWORD|old password|new password');
    sockets.last.say('SYSTEM|your password was changed; use the new one from now on');
    sockets.last.drop();
    timers.advance(DEFAULT_BACKOFF.initialMs);
    sockets.last.accept();
    expect(sockets.last.sent[0]).toBe('LOGIN|alice|new password');
  });

  it('a guest has no password to change', () => {
    const { session } = online();
    expect(session.submit('/password')).toBe('clear');
    expect(session.state.messages.at(-1)).toMatchObject({ text: expect.stringContaining('guest') });
  });

  it('/quit logs out and goes back to the form', () => {
    const { session, sockets, timers } = online();
    session.submit('/quit');
    expect(sockets.last.sent.at(-1)).toBe('LOGOUT');
    expect(sockets.last.closed).toBe(true);
    expect(session.state.view).toBe('login');
    expect(session.state.loginMessage).toMatchObject({ text: 'you logged out' });
    timers.advance(600_000);
    expect(sockets.opened).toHaveLength(1);
  });

  it('counts unread lines while hidden', () => {
    const { session, sockets } = online();
    session.setHidden(true);
    sockets.last.say('TEXT|bob|one', 'TEXT|bob|two', 'PRIVATE|carol|three');
    expect(session.state.unread).toBe(3);
    session.setHidden(false);
    expect(session.state.unread).toBe(0);
  });
});

describe('the link: reconnect timing and heartbeat', () => {
  function link(random: () => number) {
    const timers = new FakeTimers(1_000_000);
    const sockets = new Sockets();
    const statuses: LinkStatus[] = [];
    const l = new Link({ open: sockets.open, timers, random, events: { status: (s) => statuses.push(s), frame: () => undefined } });
    l.open('alice', undefined);
    sockets.last.accept();
    sockets.last.say('SUCCESS|hi');
    return { l, timers, sockets, statuses };
  }

  it('waits longer after each failed attempt, up to the cap, with jitter from the given random', () => {
    const { timers, sockets, statuses } = link(() => 0);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      sockets.last.drop();
      const waiting = statuses.at(-1)!;
      if (waiting.state !== 'waiting') throw new Error(waiting.state);
      delays.push(waiting.delayMs);
      expect(waiting.retryAt).toBe(timers.now() + waiting.delayMs);
      timers.advance(waiting.delayMs);
    }
    // jitter 0.5 and random 0: half of 500, 1000, 2000, … capped at 15 s.
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 7500, 7500, 7500]);
    expect(sockets.opened).toHaveLength(9);
  });

  it('starts again from the shortest delay after a login', () => {
    const { timers, sockets, statuses } = link(() => 1);
    sockets.last.drop();
    timers.advance(500);
    sockets.last.drop();
    expect(statuses.at(-1)).toMatchObject({ state: 'waiting', delayMs: 1000 });
    timers.advance(1000);
    sockets.last.accept();
    sockets.last.say('SUCCESS|back');
    sockets.last.drop();
    expect(statuses.at(-1)).toMatchObject({ state: 'waiting', attempt: 1, delayMs: 500 });
  });

  it('retries at once when asked (the network came back)', () => {
    const { l, sockets } = link(() => 1);
    sockets.last.drop();
    l.retryNow();
    expect(sockets.opened).toHaveLength(2);
  });

  it('ignores what an old socket does', () => {
    const { sockets, timers, statuses } = link(() => 1);
    const old = sockets.last;
    old.drop();
    timers.advance(500);
    old.say('TEXT|bob|late');
    old.drop();
    expect(statuses.at(-1)).toEqual({ state: 'connecting', attempt: 1 });
  });

  it('pings after 25 s of silence and counts a missing answer as a lost connection', () => {
    const { sockets, timers, statuses } = link(() => 1);
    timers.advance(25_000);
    expect(sockets.last.sent.at(-1)).toBe('PING|~hb1');
    sockets.last.say('PONG|~hb1');
    timers.advance(25_000);
    expect(sockets.last.sent.at(-1)).toBe('PING|~hb2');
    timers.advance(10_000);
    expect(statuses.at(-1)).toMatchObject({ state: 'waiting', error: 'no answer from the server for 35 s' });
    expect(sockets.opened[0]!.closed).toBe(true);
  });

  it('gives up a connection that does not open or whose login gets no answer', () => {
    const timers = new FakeTimers(0);
    const sockets = new Sockets();
    const statuses: LinkStatus[] = [];
    new Link({ open: sockets.open, timers, random: () => 1, events: { status: (s) => statuses.push(s), frame: () => undefined } }).open('alice', undefined);
    sockets.last.accept();
    timers.advance(10_000);
    expect(statuses.at(-1)).toEqual({ state: 'closed', reason: { kind: 'unreachable', error: 'no answer to the login' } });
  });

  it('says what a close code means', () => {
    expect(describeClose(1009, '')).toBe('the server closed the connection: a message was too big (1009)');
    expect(describeClose(1006, '')).toBe('the connection was lost');
    expect(describeClose(4000, 'restart')).toBe('closed by the server (4000: restart)');
  });
});
