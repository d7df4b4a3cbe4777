import { describe, expect, it } from 'vitest';
import { NAME_PALETTE, colorForName } from '../../src/client/render.js';
import { nameColorIndex, nameClass, NAME_COLORS } from '../../src/web/colors.js';
import { initialState, type ChatMessage, type ChatState } from '../../src/web/state.js';
import { stampFor } from '../../src/web/time.js';
import { pageTitle } from '../../src/web/title.js';
import { headerView, messageList, messageView, roomList, statusView, userList, type MessageView } from '../../src/web/view.js';

const NOW = new Date(2026, 2, 4, 10, 30).getTime();

const shown = (view: MessageView): string => view.parts.map((p) => p.text).join('');

const chat = (id: number, from: string, text: string, extra: Partial<Extract<ChatMessage, { kind: 'chat' }>> = {}): ChatMessage => ({
  id,
  at: new Date(2026, 2, 4, 9, 5).getTime(),
  kind: 'chat',
  room: 'lobby',
  from,
  text,
  history: false,
  self: false,
  ...extra,
});

const withMessages = (messages: ChatMessage[], extra: Partial<ChatState> = {}): ChatState => ({
  ...initialState(),
  view: 'chat',
  name: 'alice',
  messages,
  nextId: messages.length + 1,
  ...extra,
});

describe('rendering to a view model', () => {
  it('a room line: time, coloured name, text', () => {
    const view = messageView(chat(1, 'bob', 'hello'), 'alice', NOW);
    expect(view.key).toBe('m1');
    expect(shown(view)).toBe('09:05bob: hello');
    expect(view.parts[0]).toMatchObject({ kind: 'time', text: '09:05' });
    expect(view.parts[1]).toMatchObject({ kind: 'name', text: 'bob', name: 'bob', className: `name ${nameClass('bob', 'alice')}` });
    expect(view.className).toBe('msg msg-chat');
  });

  it('markup and terminal escapes stay literal text', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const view = messageView(chat(1, 'bob', `${evil}\u001b[2J\u001b[31mred\u202eevil`), 'alice', NOW);
    const text = view.parts.find((p) => p.kind === 'text')!.text;
    expect(text).toBe('<img src=x onerror=alert(1)>\\x1b[2J\\x1b[31mred\\u202eevil');
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u);
  });

  it('escapes names, error codes, notices, rooms and the connection error too', () => {
    const state = withMessages(
      [
        chat(1, 'b\u001bob', 'x'),
        { id: 2, at: NOW, kind: 'error', code: 'X\u0007', text: 'bad\u0000' },
        { id: 3, at: NOW, kind: 'notice', level: 'info', text: 'n\u009b1m', block: false },
        { id: 4, at: NOW, kind: 'room', room: 'r\u0008' },
      ],
      { users: ['e\u001bve'], rooms: [{ room: 'd\u001bev', count: 1 }], topic: 't\u001b' },
    );
    const all = [
      ...messageList(state, NOW).map(shown),
      ...userList(state).map((u) => u.text),
      ...roomList(state).map((r) => r.text),
      headerView(state).topic,
      statusView({ state: 'closed', reason: 'bye\u001b[2J' }, NOW).text,
      statusView({ state: 'waiting', attempt: 1, retryAt: NOW, error: 'e\u0007' }, NOW).text,
    ];
    for (const text of all) expect(text).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/u);
    expect(all[0]).toBe('09:05b\\x1bob: x');
    expect(all[1]).toContain('[X\\x07]');
  });

  it('private lines say who to whom', () => {
    const state = withMessages([
      { id: 1, at: NOW, kind: 'private-in', from: 'bob', text: 'psst' },
      { id: 2, at: NOW, kind: 'private-out', to: 'carol', text: 'hey' },
    ]);
    const [incoming, outgoing] = messageList(state, NOW);
    expect(shown(incoming!)).toBe('10:30private bob → you: psst');
    expect(shown(outgoing!)).toBe('10:30private you → carol: hey');
    expect(incoming!.className).toContain('msg-private');
  });

  it('marks history and our own lines', () => {
    const view = messageView(chat(1, 'alice', 'me', { history: true, self: true }), 'alice', NOW);
    expect(view.className).toBe('msg msg-chat msg-history msg-self');
    expect(view.parts[1]).toMatchObject({ className: 'name name-self' });
  });

  it('puts the "new" divider before the first unread line', () => {
    const state = withMessages([chat(1, 'bob', 'a'), chat(2, 'bob', 'b'), chat(3, 'bob', 'c')], { unreadFrom: 2 });
    expect(messageList(state, NOW).map((v) => v.key)).toEqual(['m1', 'unread', 'm2', 'm3']);
    expect(messageList({ ...state, unreadFrom: null }, NOW).map((v) => v.key)).toEqual(['m1', 'm2', 'm3']);
  });

  it('lists rooms with ours marked, ours included when the list predates our JOIN', () => {
    const state = withMessages([], { room: 'dev', users: ['alice'], rooms: [{ room: 'lobby', count: 3 }, { room: 'zoo', count: 1 }] });
    expect(roomList(state).map((r) => [r.text, r.count, r.current])).toEqual([
      ['dev', '1', true],
      ['lobby', '3', false],
      ['zoo', '1', false],
    ]);
  });

  it('lists people with ourselves marked', () => {
    const users = userList(withMessages([], { users: ['alice', 'bob'] }));
    expect(users.map((u) => [u.text, u.self])).toEqual([
      ['alice', true],
      ['bob', false],
    ]);
  });

  it('shows the connection state in words, with the seconds left before a retry', () => {
    expect(statusView({ state: 'idle' }, NOW).text).toBe('not connected');
    expect(statusView({ state: 'connecting', attempt: 0 }, NOW).text).toBe('connecting…');
    expect(statusView({ state: 'connecting', attempt: 3 }, NOW).text).toBe('reconnecting… (attempt 3)');
    expect(statusView({ state: 'online' }, NOW)).toEqual({ state: 'online', text: 'online', action: null });
    const waiting = statusView({ state: 'waiting', attempt: 2, retryAt: NOW + 3200, error: 'the connection was lost' }, NOW);
    expect(waiting).toEqual({ state: 'waiting', text: 'offline (the connection was lost), retrying in 4 s', action: 'retry' });
    expect(statusView({ state: 'closed', reason: 'you were kicked by op: spam' }, NOW)).toEqual({
      state: 'closed',
      text: 'closed: you were kicked by op: spam',
      action: 'relogin',
    });
  });
});

describe('time stamps', () => {
  it('HH:MM in local time today, with the date on other days', () => {
    expect(stampFor(new Date(2026, 2, 4, 0, 7).getTime(), NOW).text).toBe('00:07');
    expect(stampFor(new Date(2026, 2, 4, 23, 59).getTime(), NOW).text).toBe('23:59');
    expect(stampFor(new Date(2026, 2, 3, 22, 1).getTime(), NOW).text).toBe('2026-03-03 22:01');
    const stamp = stampFor(new Date(2026, 2, 4, 9, 5, 7).getTime(), NOW);
    expect(stamp.title).toBe('2026-03-04 09:05:07');
    expect(new Date(stamp.iso).getTime()).toBe(new Date(2026, 2, 4, 9, 5, 7).getTime());
  });

  it('a bad HISTORY time shows as --:--', () => {
    expect(stampFor(Date.parse('not a time'), NOW)).toEqual({ text: '--:--', iso: '', title: 'unknown time' });
  });
});

describe('name colours', () => {
  it('are stable, case-insensitive, and one of twelve classes', () => {
    expect(nameColorIndex('bob')).toBe(nameColorIndex('bob'));
    expect(nameColorIndex('BOB')).toBe(nameColorIndex('bob'));
    expect(nameColorIndex('STRASSE')).toBe(nameColorIndex('straße'));
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const index = nameColorIndex(`user${i}`);
      expect(index).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(NAME_COLORS);
      seen.add(index);
    }
    expect(seen.size).toBe(NAME_COLORS);
    expect(nameClass('bob', 'alice')).toMatch(/^name-c([0-9]|1[01])$/);
  });

  it('match the terminal client: the same place in its palette', () => {
    for (const name of ['bob', 'alice', 'Ωmega', '小明', 'dave.k']) {
      expect(nameColorIndex(name), name).toBe(NAME_PALETTE.indexOf(colorForName(name)));
    }
  });

  it('our own name has its own class, in any case', () => {
    expect(nameClass('Alice', 'alice')).toBe('name-self');
    expect(nameClass('bob', '')).not.toBe('name-self');
  });
});

describe('the title', () => {
  it('puts the unread count in front', () => {
    expect(pageTitle(0)).toBe('pipechat');
    expect(pageTitle(3)).toBe('(3) pipechat');
    expect(pageTitle(5000)).toBe('(999+) pipechat');
  });

  it('follows the state', () => {
    expect(headerView({ ...initialState(), unread: 2 }).title).toBe('(2) pipechat');
  });
});

describe('multi-line notices', () => {
  it('/help comes as one escaped line part per line', () => {
    const view = messageView({ id: 1, at: NOW, kind: 'notice', level: 'info', text: 'one\ntwo\u001b', block: true }, 'alice', NOW);
    expect(view.parts.filter((p) => p.kind === 'line').map((p) => p.text)).toEqual(['one', 'two\\x1b']);
    expect(view.className).toContain('msg-block');
  });
});
