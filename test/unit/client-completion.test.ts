import { describe, expect, it } from 'vitest';
import { OnlineNames, complete, parsePresence } from '../../src/client/completion.js';

describe('complete: slash commands', () => {
  it('completes a unique command with a trailing space', () => {
    expect(complete('/us', [])).toEqual([['/users '], '/us']);
    expect(complete('/jo', [])).toEqual([['/join '], '/jo']);
    expect(complete('/HIS', [])).toEqual([['/history '], '/HIS']);
  });

  it('offers every match when the typed part is ambiguous', () => {
    const [hits, part] = complete('/', []);
    expect(part).toBe('/');
    expect(hits).toEqual(expect.arrayContaining(['/msg', '/w', '/users', '/join', '/rooms', '/history', '/ping', '/quit', '/help']));
  });

  it('offers nothing for an unknown command or a // line', () => {
    expect(complete('/zz', [])).toEqual([[], '/zz']);
    expect(complete('//us', ['usain'])).toEqual([[], '//us']);
  });
});

describe('complete: names', () => {
  const names = ['alice', 'bob', 'bobby', 'carol', '小明'];

  it('completes the name after /msg and /w', () => {
    expect(complete('/msg ca', names)).toEqual([['carol '], 'ca']);
    expect(complete('/w 小', names)).toEqual([['小明 '], '小']);
    expect(complete('/msg CA', names)).toEqual([['carol '], 'CA']);
  });

  it('narrows to the shared prefix, then lists the choices', () => {
    expect(complete('/msg b', names)).toEqual([['bob'], 'b']);
    expect(complete('/msg bob', names)).toEqual([['bob', 'bobby'], 'bob']);
  });

  it('completes a name at the start of a plain line irc-style, and inside a line', () => {
    expect(complete('car', names)).toEqual([['carol: '], 'car']);
    expect(complete('thanks car', names)).toEqual([['carol '], 'car']);
  });

  it('offers nothing on an empty word or an unknown name', () => {
    expect(complete('', names)).toEqual([[], '']);
    expect(complete('hello ', names)).toEqual([[], '']);
    expect(complete('/msg zed', names)).toEqual([[], 'zed']);
  });
});

describe('parsePresence', () => {
  it('reads join and leave notices', () => {
    expect(parsePresence('bob joined lobby')).toEqual({ name: 'bob', event: 'joined', room: 'lobby' });
    expect(parsePresence('bob left lobby')).toEqual({ name: 'bob', event: 'left', room: 'lobby' });
    expect(parsePresence('bob left lobby (connection lost)')).toEqual({ name: 'bob', event: 'left', room: 'lobby' });
    expect(parsePresence('bob left my.room (timeout)')).toEqual({ name: 'bob', event: 'left', room: 'my.room' });
  });

  it('ignores other notices', () => {
    expect(parsePresence('the server is shutting down; goodbye')).toBeUndefined();
    expect(parsePresence('you are already in lobby')).toBeUndefined();
    expect(parsePresence('goodbye, bob')).toBeUndefined();
  });
});

describe('OnlineNames', () => {
  it('is replaced by USERS and kept current by join/leave notices and speakers', () => {
    const names = new OnlineNames();
    expect(names.apply({ type: 'USERS', count: 2, names: ['bob', 'alice'] })).toBe(true);
    expect(names.list()).toEqual(['alice', 'bob']);
    expect(names.apply({ type: 'SYSTEM', text: 'carol joined lobby' })).toBe(true);
    expect(names.apply({ type: 'SYSTEM', text: 'bob left lobby (quit)' })).toBe(true);
    expect(names.list()).toEqual(['alice', 'carol']);
    expect(names.apply({ type: 'PRIVATE', from: 'dave', message: 'hi' })).toBe(true);
    expect(names.apply({ type: 'TEXT', from: 'dave', message: 'hi' })).toBe(false);
    expect(names.apply({ type: 'SYSTEM', text: 'the server is shutting down' })).toBe(false);
    expect(names.list()).toEqual(['alice', 'carol', 'dave']);
    // Case-insensitive identity: a leave in another case removes the name.
    names.apply({ type: 'SYSTEM', text: 'CAROL left lobby' });
    expect(names.list()).toEqual(['alice', 'dave']);
    expect(names.apply({ type: 'USERS', count: 1, names: ['zed'] })).toBe(true);
    expect(names.list()).toEqual(['zed']);
  });

  it('does not learn names from history', () => {
    const names = new OnlineNames();
    expect(names.apply({ type: 'HISTORY', time: '2024-01-01T00:00:00Z', from: 'ghost', message: 'boo' })).toBe(false);
    expect(names.list()).toEqual([]);
  });
});
