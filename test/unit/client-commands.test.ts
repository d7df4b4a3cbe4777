import { describe, expect, it } from 'vitest';
import { COMMANDS, COMMAND_NAMES, helpLines, parseInput } from '../../src/client/commands.js';

describe('parseInput: plain text', () => {
  it('says a plain line as it is', () => {
    expect(parseInput('hello there')).toEqual({ kind: 'say', text: 'hello there' });
    expect(parseInput('  leading space kept')).toEqual({ kind: 'say', text: '  leading space kept' });
    expect(parseInput('a|b|c')).toEqual({ kind: 'say', text: 'a|b|c' });
  });

  it('ignores empty and blank lines', () => {
    expect(parseInput('')).toEqual({ kind: 'none' });
    expect(parseInput('   \t ')).toEqual({ kind: 'none' });
  });

  it('drops the CR of a CRLF line from a piped file', () => {
    expect(parseInput('hi\r')).toEqual({ kind: 'say', text: 'hi' });
  });

  it("sends a line starting with '//' as text starting with '/'", () => {
    expect(parseInput('//shrug')).toEqual({ kind: 'say', text: '/shrug' });
    expect(parseInput('// spaced')).toEqual({ kind: 'say', text: '/ spaced' });
  });
});

describe('parseInput: slash commands', () => {
  it('parses /msg and its alias /w', () => {
    expect(parseInput('/msg bob hi there')).toEqual({ kind: 'whisper', to: 'bob', text: 'hi there' });
    expect(parseInput('/w bob  two  spaces')).toEqual({ kind: 'whisper', to: 'bob', text: 'two  spaces' });
    expect(parseInput('/MSG bob x')).toEqual({ kind: 'whisper', to: 'bob', text: 'x' });
    expect(parseInput('/msg 小明 你好')).toEqual({ kind: 'whisper', to: '小明', text: '你好' });
  });

  it('refuses /msg without a name or text, or with a name that could break the frame', () => {
    for (const line of ['/msg', '/msg bob', '/msg bob   ', '/w']) {
      expect(parseInput(line)).toMatchObject({ kind: 'invalid', message: expect.stringContaining('usage') });
    }
    expect(parseInput('/msg a|b hi')).toMatchObject({ kind: 'invalid' });
    expect(parseInput('/msg x hi')).toMatchObject({ kind: 'invalid' }); // too short a name
  });

  it('parses the commands without arguments', () => {
    expect(parseInput('/users')).toEqual({ kind: 'users' });
    expect(parseInput('/rooms')).toEqual({ kind: 'rooms' });
    expect(parseInput('/ping')).toEqual({ kind: 'ping' });
    expect(parseInput('/quit')).toEqual({ kind: 'quit' });
    expect(parseInput('/help')).toEqual({ kind: 'help' });
    expect(parseInput('/users  ')).toEqual({ kind: 'users' });
    // A leading space makes it text, as in irc clients.
    expect(parseInput(' /users')).toEqual({ kind: 'say', text: ' /users' });
    expect(parseInput('/users now')).toMatchObject({ kind: 'invalid' });
  });

  it('parses /join with any room, leaving the room rules to the server (it says what is wrong)', () => {
    expect(parseInput('/join dev')).toEqual({ kind: 'join', room: 'dev' });
    expect(parseInput('/join  dev ')).toEqual({ kind: 'join', room: 'dev' });
    expect(parseInput('/join')).toMatchObject({ kind: 'invalid', message: 'usage: /join ROOM' });
    expect(parseInput('/join bad room')).toEqual({ kind: 'join', room: 'bad room' });
    expect(parseInput('/join a|b')).toEqual({ kind: 'join', room: 'a|b' });
    expect(parseInput('/join x')).toEqual({ kind: 'join', room: 'x' });
  });

  it('parses /history with an optional positive count', () => {
    expect(parseInput('/history')).toEqual({ kind: 'history' });
    expect(parseInput('/history 5')).toEqual({ kind: 'history', count: 5 });
    for (const bad of ['/history 0', '/history -1', '/history x', '/history 1.5', '/history 9999999']) {
      expect(parseInput(bad)).toMatchObject({ kind: 'invalid' });
    }
  });

  it('answers an unknown command with a one-line hint and sends nothing', () => {
    const action = parseInput('/dance wildly');
    expect(action.kind).toBe('invalid');
    if (action.kind !== 'invalid') return;
    expect(action.message).toContain('/dance');
    expect(action.message).toContain('/help');
    expect(action.message).not.toContain('\n');
  });
});

describe('command table', () => {
  it('lists every command and alias for completion and /help', () => {
    expect(COMMAND_NAMES).toEqual(
      expect.arrayContaining(['/msg', '/w', '/users', '/join', '/rooms', '/history', '/ping', '/quit', '/help']),
    );
    const help = helpLines();
    for (const c of COMMANDS) expect(help.some((l) => l.startsWith(c.usage))).toBe(true);
    expect(help.some((l) => l.includes('//'))).toBe(true);
  });
});
