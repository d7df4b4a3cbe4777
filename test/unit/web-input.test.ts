import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/client/commands.js';
import { helpLines, planInput, type Plan } from '../../src/web/input.js';
import { MAX_FRAME_BYTES, linesOf, toMessage, utf8Length } from '../../src/web/wire.js';

const ctx = { room: 'lobby' };
const plan = (line: string): Plan => planInput(line, ctx);
const sent = (line: string): string[] => {
  const p = plan(line);
  if (p.kind !== 'send') throw new Error(`${line}: ${JSON.stringify(p)}`);
  return p.messages;
};

describe('typed lines → frames', () => {
  it('plain text is said in the room, one frame per message, no line ending', () => {
    expect(sent('hello | world')).toEqual(['TEXT|hello | world']);
    expect(sent('//slash first')).toEqual(['TEXT|/slash first']);
    expect(plan('   ')).toEqual({ kind: 'none' });
  });

  it('the terminal client\'s commands', () => {
    expect(sent('/msg bob hi there')).toEqual(['PRIVATE|bob|hi there']);
    expect(sent('/w bob hi')).toEqual(['PRIVATE|bob|hi']);
    expect(plan('/users')).toEqual({ kind: 'send', messages: ['USERS'], asked: 'USERS' });
    expect(plan('/rooms')).toEqual({ kind: 'send', messages: ['ROOMS'], asked: 'ROOMS' });
    expect(plan('/join dev')).toEqual({ kind: 'send', messages: ['JOIN|dev'], join: 'dev' });
    expect(sent('/history')).toEqual(['HISTORY']);
    expect(sent('/history 50')).toEqual(['HISTORY|50']);
    expect(plan('/topic')).toEqual({ kind: 'send', messages: ['TOPIC'], asked: 'TOPIC' });
    expect(sent('/topic new topic')).toEqual(['TOPIC|new topic']);
    expect(sent('/topic --clear')).toEqual(['TOPIC|']);
    expect(sent('/kick bob spam')).toEqual(['KICK|bob|spam']);
    expect(sent('/kick bob')).toEqual(['KICK|bob']);
    expect(sent('/ban bob 10 spam')).toEqual(['BAN|bob|10|spam']);
    expect(sent('/unban bob')).toEqual(['UNBAN|bob']);
    expect(sent('/mute bob 0')).toEqual(['MUTE|bob|0']);
    expect(sent('/unmute bob')).toEqual(['UNMUTE|bob']);
    expect(sent('/modlog 5')).toEqual(['MODLOG|5']);
    expect(plan('/ping')).toEqual({ kind: 'ping' });
    expect(plan('/quit')).toEqual({ kind: 'quit' });
    expect(plan('/help')).toEqual({ kind: 'help' });
    expect(plan('/password')).toEqual({ kind: 'password' });
  });

  it('mistakes are shown and nothing is sent; the text stays to be fixed', () => {
    expect(plan('/msg bob')).toMatchObject({ kind: 'local', level: 'warn', keep: true });
    expect(plan('/nope')).toMatchObject({ kind: 'local', lines: ['unknown command /nope; /help lists the commands'] });
    expect(plan('/password hunter2')).toMatchObject({ kind: 'local', keep: true });
    expect(plan('/msg bad|name hi')).toMatchObject({ kind: 'local' });
  });

  it('/join to the room we are in says so', () => {
    expect(planInput('/join LOBBY', ctx)).toEqual({ kind: 'local', level: 'info', lines: ['you are already in lobby'], keep: false });
  });

  it('never sends a line break inside a frame', () => {
    expect(sent('one\ntwo\r\nthree')).toEqual(['TEXT|one two three']);
    expect(sent('/msg bob a\nKICK|carol')).toEqual(['PRIVATE|bob|a KICK|carol']);
  });

  it('refuses a frame so long that the server would close the connection', () => {
    const long = plan('€'.repeat(MAX_FRAME_BYTES / 3 + 1));
    expect(long).toMatchObject({ kind: 'local', keep: true });
    expect((long as Extract<Plan, { kind: 'local' }>).lines[0]).toContain(`at most ${MAX_FRAME_BYTES}`);
    expect(sent('x'.repeat(MAX_FRAME_BYTES - 5))).toHaveLength(1);
  });

  it('/help lists every command of the terminal client', () => {
    const help = helpLines().join('\n');
    for (const command of COMMANDS) expect(help).toContain(command.usage);
    expect(help).toContain('//TEXT');
    expect(help).not.toContain('Ctrl-C');
  });
});

describe('frames as WebSocket messages', () => {
  it('takes the line ending off and refuses any other line break', () => {
    expect(toMessage('TEXT|hi\n')).toEqual({ ok: true, message: 'TEXT|hi' });
    expect(toMessage('TEXT|a\nb\n')).toMatchObject({ ok: false });
    expect(toMessage('TEXT|a\rb')).toMatchObject({ ok: false });
  });

  it('counts UTF-8 bytes', () => {
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
    expect(utf8Length('\ud800')).toBe(3);
  });

  it('reads one frame per message, tolerating line endings', () => {
    expect(linesOf('TEXT|bob|hi')).toEqual(['TEXT|bob|hi']);
    expect(linesOf('SYSTEM|a\r\nSYSTEM|b\n')).toEqual(['SYSTEM|a', 'SYSTEM|b']);
  });
});
