import { describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../src/protocol/frames.js';
import { parseServerFrame } from '../../src/protocol/parse.js';
import { MESSAGE_LIMIT, initialState, reduce, type ChatEvent, type ChatState } from '../../src/web/state.js';

const T0 = new Date(2026, 2, 4, 10, 30).getTime();

const frame = (line: string): ChatEvent => {
  const parsed: ServerFrame | undefined = parseServerFrame(line);
  if (parsed === undefined) throw new Error(`not a frame: ${line}`);
  return { type: 'frame', frame: parsed };
};

function run(events: ChatEvent[], state: ChatState = initialState()): ChatState {
  return events.reduce((s, e, i) => reduce(s, e, T0 + i * 1000), state);
}

/** alice logged in to the lobby, with bob and carol there. */
function loggedIn(): ChatState {
  return run([
    { type: 'login-started', name: 'alice' },
    { type: 'connection', connection: { state: 'connecting', attempt: 0 } },
    { type: 'logged-in', welcome: 'Welcome, alice! You are in lobby.', reconnected: false },
    frame('HISTORY|2026-03-04T08:00:00.000Z|bob|earlier'),
    frame('SYSTEM|alice joined lobby'),
    frame('USERS|3|alice,bob,carol'),
    frame('ROOMS|dev:1,lobby:3'),
  ]);
}

const texts = (state: ChatState): string[] =>
  state.messages.map((m) => (m.kind === 'room' ? `#${m.room}` : m.kind === 'chat' ? `${m.from}: ${m.text}` : m.text));

describe('the state reducer', () => {
  it('a login: the welcome, the history, the join notice, the lists', () => {
    const state = loggedIn();
    expect(state.view).toBe('chat');
    expect(state.connection).toEqual({ state: 'online' });
    expect(state.room).toBe('lobby');
    expect(texts(state)).toEqual(['Welcome, alice! You are in lobby.', 'bob: earlier', 'alice joined lobby']);
    const history = state.messages[1]!;
    expect(history).toMatchObject({ kind: 'chat', history: true, at: Date.parse('2026-03-04T08:00:00.000Z') });
    expect(state.users).toEqual(['alice', 'bob', 'carol']);
    expect(state.rooms).toEqual([{ room: 'dev', count: 1 }, { room: 'lobby', count: 3 }]);
    expect(state.entering).toBeNull();
  });

  it('keeps the people of the room current from join and leave notices and from who speaks', () => {
    const state = run([frame('SYSTEM|dave joined lobby'), frame('SYSTEM|bob left lobby (connection lost)'), frame('TEXT|erin|hi')], loggedIn());
    expect(state.users).toEqual(['alice', 'carol', 'dave', 'erin']);
    // A notice about another room (an IRC user in two rooms) changes nobody here.
    expect(run([frame('SYSTEM|carol left dev')], state).users).toContain('carol');
  });

  it('sorts people without regard to case and keeps one entry per name', () => {
    const state = run([frame('USERS|4|Zed,alice,bob,ALICE')], loggedIn());
    expect(state.users).toEqual(['ALICE', 'bob', 'Zed']);
  });

  it('room messages, private messages both ways, errors', () => {
    const state = run([frame('TEXT|bob|hello'), frame('TEXT|alice|mine'), frame('PRIVATE|carol|psst'), frame('SENT|carol|back'), frame('ERROR|NO_SUCH_USER|zed is not online')], loggedIn());
    const last = state.messages.slice(-5);
    expect(last.map((m) => m.kind)).toEqual(['chat', 'chat', 'private-in', 'private-out', 'error']);
    expect(last[0]).toMatchObject({ from: 'bob', self: false, history: false, room: 'lobby' });
    expect(last[1]).toMatchObject({ self: true });
    expect(last[4]).toMatchObject({ code: 'NO_SUCH_USER', text: 'zed is not online' });
  });

  it('a JOIN: a divider, the new room\'s history, the arrival; then the new room\'s people', () => {
    const state = run([
      { type: 'join-sent', room: 'dev' },
      frame('HISTORY|2026-03-04T09:00:00.000Z|dan|in dev'),
      frame('SYSTEM|alice joined dev'),
    ], loggedIn());
    expect(texts(state).slice(-3)).toEqual(['#dev', 'dan: in dev', 'alice joined dev']);
    expect(state.messages.at(-2)).toMatchObject({ room: 'dev' });
    expect(state.room).toBe('dev');
    expect(state.users).toEqual(['alice']);
    expect(state.pendingJoin).toBeNull();
  });

  it('shows the answers the user asked for, and only updates the lists for the page\'s own', () => {
    const quiet = run([frame('USERS|2|alice,bob')], loggedIn());
    expect(quiet.messages.length).toBe(loggedIn().messages.length);
    const asked = run([{ type: 'asked', what: 'USERS' }, frame('USERS|2|alice,bob'), { type: 'asked', what: 'ROOMS' }, frame('ROOMS|lobby:2')], loggedIn());
    expect(texts(asked).slice(-2)).toEqual(['2 people in lobby: alice, bob', 'rooms: lobby (2)']);
    expect(asked.asked).toEqual({ USERS: 0, ROOMS: 0, TOPIC: 0 });
  });

  it('keeps the topic from TOPIC answers and from change notices', () => {
    let state = run([frame('TOPIC|lobby|welcome all')], loggedIn());
    expect(state.topic).toBe('welcome all');
    state = run([frame('SYSTEM|bob set the topic of lobby: new | topic')], state);
    expect(state.topic).toBe('new | topic');
    state = run([frame('SYSTEM|bob cleared the topic of lobby')], state);
    expect(state.topic).toBe('');
  });

  it('counts unread messages while hidden and marks where they start', () => {
    let state = run([{ type: 'visibility', hidden: true }, frame('SYSTEM|dave joined lobby'), frame('TEXT|alice|my own'), frame('TEXT|bob|one'), frame('PRIVATE|carol|two'), frame('TEXT|bob|three')], loggedIn());
    expect(state.unread).toBe(3);
    const first = state.messages.find((m) => m.kind === 'chat' && m.text === 'one')!;
    expect(state.unreadFrom).toBe(first.id);
    state = run([{ type: 'visibility', hidden: false }], state);
    expect(state.unread).toBe(0);
    // The divider stays where the unseen lines began until the page is hidden again.
    expect(state.unreadFrom).toBe(first.id);
    state = run([frame('TEXT|bob|seen at once')], state);
    expect(state.unread).toBe(0);
    state = run([{ type: 'visibility', hidden: true }], state);
    expect(state.unreadFrom).toBeNull();
  });

  it('does not count history lines as unread', () => {
    const state = run([{ type: 'visibility', hidden: true }, { type: 'asked', what: 'USERS' }, frame('HISTORY|2026-03-04T08:00:00.000Z|bob|old')], loggedIn());
    expect(state.unread).toBe(0);
  });

  it('keeps at most MESSAGE_LIMIT lines, the divider at the top when its line fell off', () => {
    let state = run([{ type: 'visibility', hidden: true }, frame('TEXT|bob|first unread')], loggedIn());
    const events = Array.from({ length: MESSAGE_LIMIT + 5 }, (_, i) => frame(`TEXT|alice|line ${i}`));
    state = run(events, state);
    expect(state.messages.length).toBe(MESSAGE_LIMIT);
    expect(state.unreadFrom).toBe(state.messages[0]!.id);
  });

  it('after a reconnect: passes through the lobby unseen, skips what is on screen, shows what was missed', () => {
    const before = run([
      { type: 'join-sent', room: 'dev' },
      frame('HISTORY|2026-03-04T09:00:00.000Z|dan|old one'),
      frame('SYSTEM|alice joined dev'),
      frame('TEXT|dan|live one'),
      { type: 'connection', connection: { state: 'waiting', attempt: 1, retryAt: T0 + 60_000, error: 'the connection was lost' } },
    ], loggedIn());
    const shown = before.messages.length;
    const after = run([
      { type: 'logged-in', welcome: 'Welcome, alice! You are in lobby.', reconnected: true },
      frame('HISTORY|2026-03-04T08:00:00.000Z|bob|earlier'),
      frame('SYSTEM|alice joined lobby'),
      frame('TEXT|bob|lobby chatter'),
      frame('HISTORY|2026-03-04T09:00:00.000Z|dan|old one'),
      frame('HISTORY|2026-03-04T09:01:00.000Z|dan|live one'),
      frame('HISTORY|2026-03-04T09:02:00.000Z|dan|said while away'),
      frame('SYSTEM|alice joined dev'),
    ], before);
    expect(texts(after).slice(shown)).toEqual(['reconnected as alice', 'dan: said while away', 'alice joined dev']);
    expect(after.room).toBe('dev');
    expect(after.entering).toBeNull();
    expect(after.connection).toEqual({ state: 'online' });
  });

  it('after a reconnect whose JOIN is refused: says so and stays in the lobby', () => {
    const inDev = run([{ type: 'join-sent', room: 'dev' }, frame('SYSTEM|alice joined dev')], loggedIn());
    const after = run([
      { type: 'logged-in', welcome: 'Welcome', reconnected: true },
      frame('SYSTEM|alice joined lobby'),
      frame('ERROR|MUTED|you are muted until lifted by op'),
    ], inDev);
    expect(after.room).toBe('lobby');
    expect(after.entering).toBeNull();
    expect(texts(after).slice(-2)).toEqual(['could not get back into dev; you are in lobby', 'you are muted until lifted by op']);
  });

  it('a refused first login goes next to the form; a refused re-login goes in the conversation', () => {
    const form = run([{ type: 'login-started', name: 'bob' }, { type: 'login-refused', code: 'NAME_TAKEN', text: 'bob is online' }]);
    expect(form.view).toBe('login');
    expect(form.loginMessage).toEqual({ level: 'error', code: 'NAME_TAKEN', text: 'bob is online' });
    const chat = run([{ type: 'login-refused', code: 'BANNED', text: 'bob is banned until lifted' }], loggedIn());
    expect(chat.messages.at(-1)).toMatchObject({ kind: 'error', code: 'BANNED' });
  });

  it('a new login starts afresh; /quit goes back to the form with the name kept', () => {
    const out = run([{ type: 'show-login', note: 'you logged out' }], loggedIn());
    expect(out).toMatchObject({ view: 'login', name: 'alice', messages: [], loginMessage: { level: 'info', text: 'you logged out' } });
    const again = run([{ type: 'logged-in', welcome: 'hi', reconnected: false }], out);
    expect(texts(again)).toEqual(['hi']);
  });

  it('keeps whatever arrived as it arrived (escaping is the view\'s job)', () => {
    const state = run([frame('TEXT|bob|<img src=x onerror=alert(1)>\u001b[2J')], loggedIn());
    expect(state.messages.at(-1)).toMatchObject({ text: '<img src=x onerror=alert(1)>\u001b[2J' });
  });

  it('classifies server notices: kicks stand out, confirmations are ok', () => {
    const state = run([frame('SYSTEM|you were kicked by op: spam'), frame('SYSTEM|you muted bob until lifted'), frame('SYSTEM|you logged in as alice from another connection; this one is closed')], loggedIn());
    expect(state.messages.slice(-3).map((m) => (m.kind === 'notice' ? m.level : m.kind))).toEqual(['error', 'ok', 'error']);
  });
});
