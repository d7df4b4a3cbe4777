import { describe, expect, it } from 'vitest';
import {
  KnownRooms,
  OnlineNames,
  SeenNames,
  complete,
  completionContext,
  parsePresence,
  type CompletionSources,
} from '../../src/client/completion.js';

const none: CompletionSources = { roomNames: [], knownNames: [], rooms: [] };
/** The same names everywhere, for the tests that are not about where names come from. */
const everywhere = (names: string[]): CompletionSources => ({ roomNames: names, knownNames: names, rooms: [] });

describe('complete: slash commands', () => {
  it('completes a unique command with a trailing space', () => {
    expect(complete('/us', none)).toEqual([['/users '], '/us']);
    expect(complete('/jo', none)).toEqual([['/join '], '/jo']);
    expect(complete('/HIS', none)).toEqual([['/history '], '/HIS']);
  });

  it('offers every match when the typed part is ambiguous', () => {
    const [hits, part] = complete('/', none);
    expect(part).toBe('/');
    expect(hits).toEqual(expect.arrayContaining(['/msg', '/w', '/users', '/join', '/rooms', '/history', '/ping', '/quit', '/help']));
  });

  it('completes the new commands, and narrows where several share a prefix', () => {
    expect(complete('/ki', none)).toEqual([['/kick '], '/ki']);
    expect(complete('/ba', none)).toEqual([['/ban '], '/ba']);
    expect(complete('/unb', none)).toEqual([['/unban '], '/unb']);
    expect(complete('/mu', none)).toEqual([['/mute '], '/mu']);
    expect(complete('/unm', none)).toEqual([['/unmute '], '/unm']);
    expect(complete('/mo', none)).toEqual([['/modlog '], '/mo']);
    expect(complete('/pa', none)).toEqual([['/password '], '/pa']);
    expect(complete('/un', none)).toEqual([['/unban', '/unmute'], '/un']);
    expect(complete('/p', none)).toEqual([['/ping', '/password'], '/p']);
  });

  it('offers nothing for an unknown command or a // line', () => {
    expect(complete('/zz', none)).toEqual([[], '/zz']);
    expect(complete('//us', everywhere(['usain']))).toEqual([[], '//us']);
  });
});

describe('complete: names', () => {
  const names = everywhere(['alice', 'bob', 'bobby', 'carol', '小明']);

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
    expect(complete('/msg bob thanks car', names)).toEqual([['carol '], 'car']);
  });

  it('offers nothing on an empty word in a plain line, or an unknown name', () => {
    expect(complete('', names)).toEqual([[], '']);
    expect(complete('hello ', names)).toEqual([[], '']);
    expect(complete('/msg zed', names)).toEqual([[], 'zed']);
  });

  it('completes /msg from everyone seen online, a plain line from the room only', () => {
    const sources: CompletionSources = { roomNames: ['alice', 'bob'], knownNames: ['alice', 'bob', 'dave'], rooms: [] };
    expect(complete('/msg d', sources)).toEqual([['dave '], 'd']);
    expect(complete('/w D', sources)).toEqual([['dave '], 'D']);
    expect(complete('da', sources)).toEqual([[], 'da']);
    // An empty addressee lists everyone.
    expect(complete('/msg ', sources)).toEqual([['alice', 'bob', 'dave'], '']);
  });
});

describe('complete: the NAME of the moderation commands', () => {
  const sources: CompletionSources = { roomNames: ['alice'], knownNames: ['alice', 'bob', 'bobby', 'dave'], rooms: ['dev'] };

  it('completes from everyone seen online, as after /msg', () => {
    for (const command of ['/kick', '/ban', '/unban', '/mute', '/unmute', '/KICK']) {
      expect(complete(`${command} d`, sources)).toEqual([['dave '], 'd']);
      expect(complete(`${command} b`, sources)).toEqual([['bob'], 'b']);
      expect(complete(`${command} `, sources)).toEqual([['alice', 'bob', 'bobby', 'dave'], '']);
      expect(completionContext(`${command} `)).toBe('addressee');
    }
  });

  it('completes only the first argument as a NAME', () => {
    expect(completionContext('/ban bob ')).toBe('mention');
    expect(completionContext('/kick bob spa')).toBe('mention');
    expect(complete('/ban bob 1', sources)).toEqual([[], '1']);
    expect(complete('/mute bob 5 d', sources)).toEqual([[], 'd']);
    // /modlog and /password take no name.
    expect(completionContext('/modlog ')).toBe('mention');
    expect(complete('/password ', sources)).toEqual([[], '']);
  });
});

describe('complete: rooms after /join', () => {
  const sources: CompletionSources = { roomNames: ['dev-null'], knownNames: ['devon'], rooms: ['design', 'dev', 'random'] };

  it('completes a room, not a name', () => {
    expect(complete('/join r', sources)).toEqual([['random '], 'r']);
    expect(complete('/JOIN R', sources)).toEqual([['random '], 'R']);
    expect(complete('/join de', sources)).toEqual([['design', 'dev'], 'de']);
    expect(complete('/join dev', sources)).toEqual([['dev '], 'dev']);
    expect(complete('/join ', sources)).toEqual([['design', 'dev', 'random'], '']);
    expect(complete('/join zz', sources)).toEqual([[], 'zz']);
  });

  it('knows which list a word is completed from', () => {
    expect(completionContext('/jo')).toBe('command');
    expect(completionContext('/join ')).toBe('room');
    expect(completionContext('/join d')).toBe('room');
    expect(completionContext('/join dev x')).toBe('mention');
    expect(completionContext('/msg ')).toBe('addressee');
    expect(completionContext('/w bo')).toBe('addressee');
    expect(completionContext('/msg bob hi')).toBe('mention');
    expect(completionContext('hello')).toBe('mention');
    expect(completionContext('//join d')).toBe('mention');
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

describe('SeenNames', () => {
  it('keeps everyone seen online: USERS of any room, join and leave notices, senders', () => {
    const seen = new SeenNames();
    expect(seen.apply({ type: 'USERS', count: 2, names: ['bob', 'alice'] })).toBe(true);
    expect(seen.apply({ type: 'SYSTEM', text: 'carol joined dev' })).toBe(true);
    expect(seen.apply({ type: 'SYSTEM', text: 'erin left dev (connection lost)' })).toBe(true);
    expect(seen.apply({ type: 'TEXT', from: 'dave', message: 'hi' })).toBe(true);
    expect(seen.apply({ type: 'PRIVATE', from: 'frank', message: 'psst' })).toBe(true);
    // A later USERS of another room does not forget the first one, nor does a leave notice.
    expect(seen.apply({ type: 'USERS', count: 1, names: ['zed'] })).toBe(true);
    expect(seen.apply({ type: 'SYSTEM', text: 'BOB left lobby' })).toBe(false);
    expect(seen.list()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'zed']);
  });

  it('does not learn names from history or other notices', () => {
    const seen = new SeenNames();
    expect(seen.apply({ type: 'HISTORY', time: '2024-01-01T00:00:00Z', from: 'ghost', message: 'boo' })).toBe(false);
    expect(seen.apply({ type: 'SYSTEM', text: 'the server is shutting down; goodbye' })).toBe(false);
    expect(seen.list()).toEqual([]);
  });
});

describe('KnownRooms', () => {
  it('lists the last ROOMS answer and the rooms visited, without the current room', () => {
    const rooms = new KnownRooms();
    rooms.visit('lobby');
    rooms.apply({ type: 'ROOMS', rooms: [{ room: 'dev', count: 2 }, { room: 'lobby', count: 3 }] });
    expect(rooms.list('lobby')).toEqual(['dev']);
    expect(rooms.list('dev')).toEqual(['lobby']);
    // A newer answer replaces the older one; visited rooms stay.
    rooms.apply({ type: 'ROOMS', rooms: [{ room: 'ops', count: 1 }] });
    expect(rooms.list('ops')).toEqual(['lobby']);
    expect(rooms.list('LOBBY')).toEqual(['ops']);
  });
});
