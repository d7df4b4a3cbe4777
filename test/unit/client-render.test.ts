import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../src/protocol/frames.js';
import {
  NAME_PALETTE,
  clockTime,
  colorForName,
  displayWidth,
  renderFrame,
  renderNotice,
  renderPrompt,
  stamp,
  type RenderContext,
} from '../../src/client/render.js';
import { noticeLevel, removedNotice, replacedNotice } from '../../src/protocol/index.js';

const NOW = new Date(2024, 4, 17, 9, 5, 30); // local time 09:05
const plain = new Chalk({ level: 0 });
const color = new Chalk({ level: 1 });
const ctx = (chalk = plain, self = 'alice'): RenderContext => ({ chalk, now: () => NOW, self, room: 'lobby' });

const SGR = /\u001b\[[0-9;]*m/g;
/** The contract's unsafe set: C0 except TAB, DEL, C1, bidi controls. */
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

describe('time stamps', () => {
  it('formats local HH:MM', () => {
    expect(clockTime(new Date(2024, 0, 1, 0, 0))).toBe('00:00');
    expect(clockTime(new Date(2024, 0, 1, 23, 59))).toBe('23:59');
  });

  it('adds the date for a time on another day, and survives a bad time', () => {
    expect(stamp(new Date(2024, 4, 17, 8, 1), NOW)).toBe('[08:01]');
    expect(stamp(new Date(2024, 4, 16, 22, 7), NOW)).toBe('[2024-05-16 22:07]');
    expect(stamp(new Date('not a time'), NOW)).toBe('[--:--]');
  });
});

describe('renderFrame without colour', () => {
  const cases: Array<[ServerFrame, string]> = [
    [{ type: 'TEXT', from: 'bob', message: 'hi all' }, '[09:05] bob: hi all'],
    [{ type: 'TEXT', from: 'alice', message: 'mine' }, '[09:05] alice: mine'],
    [{ type: 'PRIVATE', from: 'bob', message: 'psst' }, '[09:05] [private] bob → you: psst'],
    [{ type: 'SENT', to: 'carol', message: 'hey' }, '[09:05] [private] you → carol: hey'],
    [{ type: 'SYSTEM', text: 'bob joined lobby' }, '[09:05] * bob joined lobby'],
    [{ type: 'SUCCESS', text: 'Welcome, alice!' }, '[09:05] * Welcome, alice!'],
    [{ type: 'ERROR', code: 'NO_SUCH_USER', text: 'zed is not online' }, '[09:05] ! zed is not online [NO_SUCH_USER]'],
    [{ type: 'USERS', count: 2, names: ['alice', 'bob'] }, '[09:05] * 2 people in lobby: alice, bob'],
    [{ type: 'USERS', count: 1, names: ['alice'] }, '[09:05] * 1 person in lobby: alice'],
    [{ type: 'ROOMS', rooms: [{ room: 'lobby', count: 3 }, { room: 'dev', count: 1 }] }, '[09:05] * rooms: lobby (3), dev (1)'],
    [
      { type: 'HISTORY', time: new Date(2024, 4, 17, 8, 3).toISOString(), from: 'bob', message: 'earlier' },
      '[08:03] (history) bob: earlier',
    ],
    [
      { type: 'HISTORY', time: new Date(2024, 4, 1, 8, 3).toISOString(), from: 'bob', message: 'long ago' },
      '[2024-05-01 08:03] (history) bob: long ago',
    ],
  ];
  it.each(cases)('%j', (frame, expected) => {
    expect(renderFrame(frame, ctx())).toBe(expected);
  });

  it('has no escape sequences at all', () => {
    for (const [frame] of cases) expect(renderFrame(frame, ctx())).not.toContain('\u001b');
    expect(renderPrompt({ name: 'alice', room: 'lobby', connection: 'online', queued: 0 }, plain)).toBe('alice@lobby> ');
  });
});

describe('renderFrame with colour', () => {
  it('colours senders by name, marks our own messages, dims notices and history', () => {
    const theirs = renderFrame({ type: 'TEXT', from: 'bob', message: 'hi' }, ctx(color))!;
    const mine = renderFrame({ type: 'TEXT', from: 'alice', message: 'hi' }, ctx(color))!;
    expect(theirs).toContain('\u001b[');
    expect(theirs.replace(SGR, '')).toBe('[09:05] bob: hi');
    expect(mine.replace(SGR, '')).toBe('[09:05] alice: hi');
    // Our own name is styled differently from anyone else's.
    const nameStyle = (line: string, name: string) => line.slice(0, line.indexOf(name));
    expect(nameStyle(mine, 'alice')).not.toBe(nameStyle(theirs, 'bob'));
    expect(mine).toContain(color.bold.whiteBright('alice'));
    expect(theirs).toContain(color.bold[colorForName('bob')]('bob'));

    const system = renderFrame({ type: 'SYSTEM', text: 'bob joined lobby' }, ctx(color))!;
    expect(system).toContain(color.dim('* bob joined lobby'));
    const history = renderFrame({ type: 'HISTORY', time: NOW.toISOString(), from: 'bob', message: 'old' }, ctx(color))!;
    expect(history).toContain(color.dim('(history)'));
    const error = renderFrame({ type: 'ERROR', code: 'BAD_FRAME', text: 'no' }, ctx(color))!;
    expect(error).toContain(color.red('! no [BAD_FRAME]'));
  });

  it('marks private messages in both directions', () => {
    const incoming = renderFrame({ type: 'PRIVATE', from: 'bob', message: 'x' }, ctx(color))!;
    const outgoing = renderFrame({ type: 'SENT', to: 'bob', message: 'x' }, ctx(color))!;
    expect(incoming).toContain(color.magenta('→ you'));
    expect(outgoing).toContain(color.magenta('you →'));
  });

  it('derives a stable colour from the name, the same for any case', () => {
    expect(colorForName('bob')).toBe(colorForName('bob'));
    expect(colorForName('Bob')).toBe(colorForName('bob'));
    expect(NAME_PALETTE).toContain(colorForName('小明'));
    const used = new Set(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'].map(colorForName));
    expect(used.size).toBeGreaterThan(3);
  });

  it('shows the connection state and the queue in the prompt', () => {
    const p = (connection: 'online' | 'waiting' | 'connecting' | 'closed', queued = 0) =>
      renderPrompt({ name: 'alice', room: 'dev', connection, queued }, color).replace(SGR, '');
    expect(p('online')).toBe('alice@dev> ');
    expect(p('waiting', 2)).toBe('alice@dev [offline, reconnecting, 2 queued]> ');
    expect(p('connecting')).toBe('alice@dev [connecting]> ');
    expect(p('closed')).toBe('alice@dev [disconnected]> ');
  });
});

describe('moderation and password notices and errors', () => {
  const until = Date.UTC(2026, 11, 2, 3, 10);
  const line = (frame: ServerFrame, chalk = plain) => renderFrame(frame, ctx(chalk))!;

  it('shows a kick or ban of ourselves as an error, a mute as a warning, the lifting and confirmations as ok', () => {
    const cases: Array<[string, string, (s: string) => string]> = [
      [removedNotice('kicked', 'bob', 'spam'), '[09:05] ! you were kicked by bob: spam', color.red],
      [removedNotice('banned', 'bob', 'go away', until), '[09:05] ! you were banned by bob until 2026-12-02T03:10:00Z: go away', color.red],
      [removedNotice('banned', 'bob', '', 0), '[09:05] ! you were banned by bob until lifted', color.red],
      ['bob muted you until 2026-12-02T03:10:00Z: calm down; you can still read', '[09:05] ! bob muted you until 2026-12-02T03:10:00Z: calm down; you can still read', color.yellow],
      ['bob unmuted you; you can talk again', '[09:05] * bob unmuted you; you can talk again', color.green],
      ['your password was changed; use the new one from now on', '[09:05] * your password was changed; use the new one from now on', color.green],
      ['you kicked carol: spam', '[09:05] * you kicked carol: spam', color.green],
      ['you banned carol for 10 minutes (until 2026-12-02T03:10:00Z): spam', '[09:05] * you banned carol for 10 minutes (until 2026-12-02T03:10:00Z): spam', color.green],
      ['carol is no longer muted', '[09:05] * carol is no longer muted', color.green],
      // Everyone else's removal and the log are ordinary notices.
      ['carol left lobby (kicked by alice: spam)', '[09:05] * carol left lobby (kicked by alice: spam)', color.dim],
      ['2026-12-02T03:00:00Z alice banned carol until lifted', '[09:05] * 2026-12-02T03:00:00Z alice banned carol until lifted', color.dim],
      ['carol is not banned', '[09:05] * carol is not banned', color.dim],
    ];
    for (const [text, expected, style] of cases) {
      expect(line({ type: 'SYSTEM', text })).toBe(expected);
      expect(line({ type: 'SYSTEM', text }, color)).toContain(style(expected.slice('[09:05] '.length)));
    }
  });

  it('tells the kinds apart', () => {
    expect(noticeLevel('you were kicked by bob')).toBe('error');
    expect(noticeLevel('bob muted you until lifted; you can still read')).toBe('warn');
    expect(noticeLevel('bob joined lobby')).toBe('info');
    expect(noticeLevel(replacedNotice('alice'))).toBe('error');
    // Text that only mentions the words is not one of them.
    expect(noticeLevel('they say you were kicked by bob')).toBe('info');
  });

  it('shows NOT_ALLOWED, BANNED and MUTED like every server error: red, with the code', () => {
    const errors: Array<[ServerFrame, string]> = [
      [{ type: 'ERROR', code: 'NOT_ALLOWED', text: 'only operators may send KICK' }, '! only operators may send KICK [NOT_ALLOWED]'],
      [{ type: 'ERROR', code: 'BANNED', text: 'bob is banned until lifted: spam' }, '! bob is banned until lifted: spam [BANNED]'],
      [
        { type: 'ERROR', code: 'MUTED', text: 'you are muted until 2026-12-02T03:10:00Z by alice; you can still read' },
        '! you are muted until 2026-12-02T03:10:00Z by alice; you can still read [MUTED]',
      ],
    ];
    for (const [frame, expected] of errors) {
      expect(line(frame)).toBe(`[09:05] ${expected}`);
      expect(line(frame, color)).toContain(color.red(expected));
    }
  });
});

describe('hostile input never reaches the terminal raw', () => {
  const hostile = [
    '\u001b[2J\u001b[H', // clear screen, cursor home
    '\u001b]0;pwned\u0007', // set window title
    'fake\rline', // lone CR overwrites the line
    'two\nlines',
    '\u009b31m', // C1 CSI
    'evil\u202egnp.exe', // right-to-left override
    '\u2066isolate\u2069',
    'bell\u0007 del\u007f nul\u0000',
  ];
  const frames = (s: string): ServerFrame[] => [
    { type: 'TEXT', from: s, message: s },
    { type: 'PRIVATE', from: s, message: s },
    { type: 'SENT', to: s, message: s },
    { type: 'SYSTEM', text: s },
    { type: 'SUCCESS', text: s },
    { type: 'ERROR', code: s, text: s },
    { type: 'HISTORY', time: s, from: s, message: s },
    { type: 'USERS', count: 1, names: [s] },
    { type: 'ROOMS', rooms: [{ room: s, count: 1 }] },
    { type: 'PONG', token: s },
    { type: 'STATS', stats: { [s]: s } },
  ];

  it.each(hostile)('%j is shown escaped, with and without colour', (s) => {
    for (const chalk of [plain, color]) {
      for (const frame of frames(s)) {
        const out = renderFrame(frame, { ...ctx(chalk), room: s })!;
        // Only chalk's own colour codes may remain; nothing else unsafe.
        expect(out.replace(SGR, '')).not.toMatch(UNSAFE);
        if (chalk === plain) expect(out).not.toMatch(UNSAFE);
      }
      expect(renderNotice('info', s, ctx(chalk)).replace(SGR, '')).not.toMatch(UNSAFE);
      expect(renderPrompt({ name: s, room: s, connection: 'online', queued: 0 }, chalk).replace(SGR, '')).not.toMatch(UNSAFE);
    }
  });

  it('makes the escapes visible rather than hiding them', () => {
    expect(renderFrame({ type: 'TEXT', from: 'bob', message: 'a\u001b[2Jb' }, ctx())).toBe('[09:05] bob: a\\x1b[2Jb');
    expect(renderFrame({ type: 'TEXT', from: 'bob', message: 'x\u202ey' }, ctx())).toBe('[09:05] bob: x\\u202ey');
  });
});

describe('displayWidth', () => {
  it('counts columns as a terminal does', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth(color.red('abc'))).toBe(3);
    expect(displayWidth('小明')).toBe(4);
    expect(displayWidth('Ame\u0301lie')).toBe(6);
    expect(displayWidth('')).toBe(0);
  });
});
