import { describe, expect, it } from 'vitest';
import { COMMANDS, COMMAND_NAMES, checkPasswordChange, helpLines, mayHoldPassword, parseInput } from '../../src/client/commands.js';
import { MAX_SANCTION_MINUTES } from '../../src/protocol/index.js';

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

describe('parseInput: moderation commands', () => {
  it('parses /kick with and without a reason', () => {
    expect(parseInput('/kick bob spam and more')).toEqual({ kind: 'kick', name: 'bob', reason: 'spam and more' });
    expect(parseInput('/kick bob')).toEqual({ kind: 'kick', name: 'bob', reason: '' });
    expect(parseInput('/KICK  bob   a|b  ')).toEqual({ kind: 'kick', name: 'bob', reason: 'a|b' });
    expect(parseInput('/kick')).toEqual({ kind: 'invalid', message: 'usage: /kick NAME [REASON]' });
  });

  it('parses /ban and /mute with whole minutes, 0 meaning until lifted', () => {
    expect(parseInput('/ban bob 10 flooding the room')).toEqual({ kind: 'ban', name: 'bob', minutes: 10, reason: 'flooding the room' });
    expect(parseInput('/ban bob 0')).toEqual({ kind: 'ban', name: 'bob', minutes: 0, reason: '' });
    expect(parseInput('/mute carol 5 calm down')).toEqual({ kind: 'mute', name: 'carol', minutes: 5, reason: 'calm down' });
    expect(parseInput(`/mute carol ${MAX_SANCTION_MINUTES}`)).toEqual({ kind: 'mute', name: 'carol', minutes: MAX_SANCTION_MINUTES, reason: '' });
    for (const command of ['/ban', '/mute']) {
      for (const line of [command, `${command} bob`, `${command}   bob  `]) {
        expect(parseInput(line)).toEqual({
          kind: 'invalid',
          message: `usage: ${command} NAME MINUTES [REASON] (MINUTES a whole number, 0 = until lifted)`,
        });
      }
    }
  });

  it('refuses minutes that are not a whole number, with a hint', () => {
    for (const minutes of ['10m', '-1', '1.5', 'x', '+3', String(MAX_SANCTION_MINUTES + 1), '99999999']) {
      const action = parseInput(`/ban bob ${minutes} spam`);
      expect(action).toEqual({
        kind: 'invalid',
        message: `'${minutes}' is not a number of minutes: MINUTES is a whole number, 0 = until lifted (at most ${MAX_SANCTION_MINUTES})`,
      });
      expect(parseInput(`/mute bob ${minutes}`).kind).toBe('invalid');
    }
  });

  it('parses /unban and /unmute with exactly one name', () => {
    expect(parseInput('/unban bob')).toEqual({ kind: 'unban', name: 'bob' });
    expect(parseInput('/unmute 小明')).toEqual({ kind: 'unmute', name: '小明' });
    expect(parseInput('/unban')).toEqual({ kind: 'invalid', message: 'usage: /unban NAME' });
    expect(parseInput('/unmute bob now')).toEqual({ kind: 'invalid', message: 'usage: /unmute NAME' });
  });

  it('checks the NAME as /msg does, before anything is sent', () => {
    for (const line of ['/kick a|b spam', '/ban x 10', '/mute a|b 5', '/unban x', '/unmute a|b']) {
      expect(parseInput(line)).toMatchObject({ kind: 'invalid', message: expect.stringContaining('is not a valid name') });
    }
    expect(parseInput('/ban a|b 10')).toMatchObject({ kind: 'invalid', message: expect.stringMatching(/^'a\|b' is not a valid name: /) });
  });

  it('parses /topic: show, set (the rest of the line as typed), clear', () => {
    expect(parseInput('/topic')).toEqual({ kind: 'topic' });
    expect(parseInput('/topic release  on Friday')).toEqual({ kind: 'topic', topic: 'release  on Friday' });
    expect(parseInput('/topic --clear')).toEqual({ kind: 'topic', topic: '' });
  });

  it('parses /modlog with an optional positive count', () => {
    expect(parseInput('/modlog')).toEqual({ kind: 'modlog' });
    expect(parseInput('/modlog 5')).toEqual({ kind: 'modlog', count: 5 });
    for (const bad of ['/modlog 0', '/modlog -2', '/modlog many', '/modlog 9999999']) {
      expect(parseInput(bad)).toEqual({ kind: 'invalid', message: 'usage: /modlog [N] with N a positive whole number' });
    }
  });
});

describe('parseInput: /password', () => {
  it('takes no arguments: the passwords are asked for with hidden input', () => {
    expect(parseInput('/password')).toEqual({ kind: 'password' });
    expect(parseInput('/PASSWORD  ')).toEqual({ kind: 'password' });
    const typed = parseInput('/password hunter22 hunter23');
    expect(typed).toEqual({ kind: 'invalid', message: 'usage: /password (no arguments: it asks for the passwords with hidden input)' });
    // The hint does not repeat what was typed.
    expect(JSON.stringify(typed)).not.toContain('hunter2');
  });

  it('tells which lines may hold a password (kept out of the input history)', () => {
    expect(mayHoldPassword('/password hunter22')).toBe(true);
    expect(mayHoldPassword('/Password\thunter22')).toBe(true);
    expect(mayHoldPassword('/password')).toBe(false);
    expect(mayHoldPassword('/password   ')).toBe(false);
    expect(mayHoldPassword('/passwords are hard')).toBe(false);
    expect(mayHoldPassword('my /password x')).toBe(false);
  });

  it('checks the answers before anything is sent', () => {
    expect(checkPasswordChange('old-secret', 'new-secret', 'new-secret')).toBeUndefined();
    expect(checkPasswordChange('old-secret', 'new-secret', 'new-secreT')).toBe('the new passwords do not match; nothing was sent');
    expect(checkPasswordChange('old|secret', 'new-secret', 'new-secret')).toContain("'|'");
    expect(checkPasswordChange('old-secret', 'new|secret', 'new|secret')).toContain("'|'");
    expect(checkPasswordChange('same-secret', 'same-secret', 'same-secret')).toBe('the new password is the same as the old one; nothing was sent');
  });
});

describe('command table', () => {
  it('lists every command and alias for completion and /help', () => {
    expect(COMMAND_NAMES).toEqual(
      expect.arrayContaining(['/msg', '/w', '/users', '/join', '/rooms', '/history', '/ping', '/quit', '/help']),
    );
    expect(COMMAND_NAMES).toEqual(expect.arrayContaining(['/password', '/kick', '/ban', '/unban', '/mute', '/unmute', '/modlog']));
    const help = helpLines();
    for (const c of COMMANDS) expect(help.some((l) => l.startsWith(c.usage))).toBe(true);
    expect(help.some((l) => l.includes('//'))).toBe(true);
  });

  it('marks the moderation commands as for operators, and only those', () => {
    const moderation = ['/kick', '/ban', '/unban', '/mute', '/unmute', '/modlog'];
    for (const c of COMMANDS) expect(c.description.endsWith('(operators)'), c.names[0]).toBe(moderation.includes(c.names[0]!));
    expect(helpLines().find((l) => l.startsWith('/ban '))).toMatch(/^\/ban NAME MINUTES \[REASON\] +keep NAME out .*\(operators\)$/);
  });
});
