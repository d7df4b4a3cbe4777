import { describe, expect, it } from 'vitest';
import type { ClientFrame, ErrorCode, ServerFrame } from '../../src/protocol/frames.js';
import { parseClientFrame, parseServerFrame, splitFields, splitType } from '../../src/protocol/parse.js';

describe('parseClientFrame', () => {
  it.each<[string, ClientFrame]>([
    ['LOGIN|bob', { type: 'LOGIN', name: 'bob' }],
    ['LOGIN|bob|s3cret', { type: 'LOGIN', name: 'bob', password: 's3cret' }],
    ['LOGIN|bob|a|b||c', { type: 'LOGIN', name: 'bob', password: 'a|b||c' }],
    ['1|alice', { type: 'LOGIN', name: 'alice' }],
    ['TEXT|hello world', { type: 'TEXT', message: 'hello world', seed: false }],
    ['TEXT|a|b|c', { type: 'TEXT', message: 'a|b|c', seed: false }],
    ['3|hello', { type: 'TEXT', message: 'hello', seed: true }],
    ['3|alice:hello: there', { type: 'TEXT', message: 'alice:hello: there', seed: true }],
    ['PRIVATE|bob|hi|there', { type: 'PRIVATE', to: 'bob', message: 'hi|there' }],
    ['USERS', { type: 'USERS' }],
    ['JOIN|dev', { type: 'JOIN', room: 'dev' }],
    ['ROOMS', { type: 'ROOMS' }],
    ['HISTORY', { type: 'HISTORY' }],
    ['HISTORY|', { type: 'HISTORY' }],
    // Cut to the server's cap later, as docs/PROTOCOL.md says, never refused for being large.
    ['HISTORY|9999999999', { type: 'HISTORY', count: 9999999999 }],
    [`HISTORY|${'9'.repeat(400)}`, { type: 'HISTORY', count: Number.MAX_SAFE_INTEGER }],
    // Typed by hand: spaces and tabs around the type are ignored, the payload is kept as sent.
    [' text|hi', { type: 'TEXT', message: 'hi', seed: false }],
    ['TEXT |hi ', { type: 'TEXT', message: 'hi ', seed: false }],
    ['\tjoin\t| dev', { type: 'JOIN', room: ' dev' }],
    ['  users  ', { type: 'USERS' }],
    ['HISTORY|5', { type: 'HISTORY', count: 5 }],
    ['HISTORY|007', { type: 'HISTORY', count: 7 }],
    ['PING', { type: 'PING', token: '' }],
    ['PING|tok-1', { type: 'PING', token: 'tok-1' }],
    ['PING|a|b', { type: 'PING', token: 'a|b' }],
    ['LOGOUT', { type: 'LOGOUT' }],
    ['2|anything at all', { type: 'LOGOUT' }],
    ['2', { type: 'LOGOUT' }],
    ['STATS', { type: 'STATS' }],
    ['HELP', { type: 'HELP' }],
    // Types are case-insensitive; payloads keep their case.
    ['login|bob', { type: 'LOGIN', name: 'bob' }],
    ['Login|Bob|PassWord', { type: 'LOGIN', name: 'Bob', password: 'PassWord' }],
    ['text|Hi', { type: 'TEXT', message: 'Hi', seed: false }],
    ['private|Bob|Hi', { type: 'PRIVATE', to: 'Bob', message: 'Hi' }],
    ['join|Dev', { type: 'JOIN', room: 'Dev' }],
    ['HiStOrY|3', { type: 'HISTORY', count: 3 }],
    ['users', { type: 'USERS' }],
    ['ping|X', { type: 'PING', token: 'X' }],
    ['logout', { type: 'LOGOUT' }],
    // Added by this project: one's own password, and the operators' frames.
    ['PASSWORD|old|new|with bar', { type: 'PASSWORD', old: 'old', password: 'new|with bar' }],
    ['KICK|bob', { type: 'KICK', name: 'bob', reason: '' }],
    ['kick|bob|spam | and more', { type: 'KICK', name: 'bob', reason: 'spam | and more' }],
    ['BAN|bob|0', { type: 'BAN', name: 'bob', minutes: 0, reason: '' }],
    ['BAN|bob|90|flood|ing', { type: 'BAN', name: 'bob', minutes: 90, reason: 'flood|ing' }],
    ['BAN|bob|5270400|ten years', { type: 'BAN', name: 'bob', minutes: 5270400, reason: 'ten years' }],
    ['UNBAN|bob', { type: 'UNBAN', name: 'bob' }],
    ['MUTE|bob|15', { type: 'MUTE', name: 'bob', minutes: 15, reason: '' }],
    ['MUTE|bob|15|calm down', { type: 'MUTE', name: 'bob', minutes: 15, reason: 'calm down' }],
    ['UNMUTE|bob', { type: 'UNMUTE', name: 'bob' }],
    ['MODLOG', { type: 'MODLOG' }],
    ['MODLOG|3', { type: 'MODLOG', count: 3 }],
    ['TOPIC', { type: 'TOPIC' }],
    ['TOPIC|', { type: 'TOPIC', topic: '' }],
    ['topic|release on Friday | maybe', { type: 'TOPIC', topic: 'release on Friday | maybe' }],
  ])('%s', (line, frame) => {
    expect(parseClientFrame(line)).toStrictEqual({ ok: true, frame });
  });

  it.each<[string, ErrorCode]>([
    ['LOGIN', 'BAD_FRAME'],
    ['LOGIN|', 'BAD_FRAME'],
    ['PASSWORD', 'BAD_FRAME'],
    ['PASSWORD|onlyone', 'BAD_FRAME'],
    ['PASSWORD||new', 'BAD_FRAME'],
    ['PASSWORD|old|', 'BAD_PASSWORD'],
    ['KICK', 'BAD_FRAME'],
    ['KICK|', 'BAD_FRAME'],
    ['KICK||reason', 'BAD_FRAME'],
    ['BAN|bob', 'BAD_FRAME'],
    ['BAN|bob|', 'BAD_FRAME'],
    ['BAN|bob|1.5', 'BAD_FRAME'],
    ['BAN|bob|-1', 'BAD_FRAME'],
    ['BAN|bob|5270401', 'BAD_FRAME'],
    ['BAN||5', 'BAD_FRAME'],
    ['MUTE|bob|x', 'BAD_FRAME'],
    ['UNBAN', 'BAD_FRAME'],
    ['UNMUTE|', 'BAD_FRAME'],
    ['MODLOG|0', 'BAD_FRAME'],
    ['MODLOG|-2', 'BAD_FRAME'],
    ['LOGIN|bob|', 'BAD_PASSWORD'],
    ['1', 'BAD_FRAME'],
    ['1|', 'BAD_FRAME'],
    ['TEXT', 'BAD_FRAME'],
    ['TEXT|', 'BAD_FRAME'],
    ['3', 'BAD_FRAME'],
    ['3|', 'BAD_FRAME'],
    ['PRIVATE', 'BAD_FRAME'],
    ['PRIVATE|bob', 'BAD_FRAME'],
    ['PRIVATE|bob|', 'BAD_FRAME'],
    ['PRIVATE||hi', 'BAD_FRAME'],
    ['JOIN', 'BAD_FRAME'],
    ['JOIN|', 'BAD_FRAME'],
    ['HISTORY|0', 'BAD_FRAME'],
    ['HISTORY|-1', 'BAD_FRAME'],
    ['HISTORY|abc', 'BAD_FRAME'],
    ['HISTORY|1.5', 'BAD_FRAME'],
    ['HISTORY| 5', 'BAD_FRAME'],
    ['HISTORY|1e3', 'BAD_FRAME'],
    ['HISTORY|0x10', 'BAD_FRAME'],
    ['HELLO', 'UNKNOWN_TYPE'],
    ['FOO|bar', 'UNKNOWN_TYPE'],
    ['', 'UNKNOWN_TYPE'],
    ['|TEXT', 'UNKNOWN_TYPE'],
    ['\fJOIN|lobby', 'UNKNOWN_TYPE'],
    ['TE XT|hi', 'UNKNOWN_TYPE'],
    ['4|x', 'UNKNOWN_TYPE'],
    ['SUCCESS|server frames are not client frames', 'UNKNOWN_TYPE'],
    ['PONG', 'UNKNOWN_TYPE'],
    ['constructor', 'UNKNOWN_TYPE'],
    ['__proto__', 'UNKNOWN_TYPE'],
    ['__proto__|x', 'UNKNOWN_TYPE'],
    ['toString', 'UNKNOWN_TYPE'],
    ['hasOwnProperty|LOGIN', 'UNKNOWN_TYPE'],
    ['valueOf', 'UNKNOWN_TYPE'],
  ])('%j → %s', (line, code) => {
    const result = parseClientFrame(line);
    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok || result.message.length > 0).toBe(true);
  });

  it('echoes an unknown type as typed, with control characters shown, not dropped', () => {
    expect(parseClientFrame('FooBar|x')).toEqual({
      ok: false,
      code: 'UNKNOWN_TYPE',
      message: "unknown frame type 'FooBar'; send HELP for the list",
    });
    expect(parseClientFrame('\fJOIN|lobby')).toEqual({
      ok: false,
      code: 'UNKNOWN_TYPE',
      message: "unknown frame type '\\x0cJOIN'; send HELP for the list",
    });
    const bidi = parseClientFrame('\u202eNIOJ|x');
    expect(bidi.ok === false && bidi.message).toContain("'\\u202eNIOJ'");
  });

  it('a line without | that is no type is taken for a message: the error says how to send it', () => {
    expect(parseClientFrame('hello everyone')).toEqual({
      ok: false,
      code: 'UNKNOWN_TYPE',
      message: "unknown frame type 'hello everyone'; to say it in the room send TEXT|hello everyone (HELP lists every frame)",
    });
    // Too long or unsafe to repeat: a placeholder instead of a copy.
    const long = parseClientFrame('word '.repeat(30));
    expect(long.ok === false && long.message).toContain('send TEXT|your message');
    const unsafe = parseClientFrame('hi\u0007 there');
    expect(unsafe.ok === false && unsafe.message).toBe(
      "unknown frame type 'hi\\x07 there'; to say it in the room send TEXT|your message (HELP lists every frame)",
    );
    expect(parseClientFrame('   ')).toMatchObject({ ok: false, code: 'UNKNOWN_TYPE', message: expect.stringContaining('no frame type') });
  });

  it('quotes at most 40 characters of an unknown type back', () => {
    const result = parseClientFrame(`${'X'.repeat(5000)}|y`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message.length).toBeLessThan(120);
  });
});

describe('parseServerFrame', () => {
  const T = '2024-01-02T03:04:05.000Z';
  it.each<[string, ServerFrame]>([
    ['SUCCESS|welcome, bob', { type: 'SUCCESS', text: 'welcome, bob' }],
    ['SUCCESS|a|b', { type: 'SUCCESS', text: 'a|b' }],
    ['ERROR|NAME_TAKEN|bob is online|try another', { type: 'ERROR', code: 'NAME_TAKEN', text: 'bob is online|try another' }],
    ['ERROR|TIMEOUT', { type: 'ERROR', code: 'TIMEOUT', text: '' }],
    ['SYSTEM|bob joined|lobby', { type: 'SYSTEM', text: 'bob joined|lobby' }],
    ['TEXT|bob|hi|there', { type: 'TEXT', from: 'bob', message: 'hi|there' }],
    ['TEXT|bob|', { type: 'TEXT', from: 'bob', message: '' }],
    ['PRIVATE|bob|a|b', { type: 'PRIVATE', from: 'bob', message: 'a|b' }],
    ['SENT|alice|a|b', { type: 'SENT', to: 'alice', message: 'a|b' }],
    [`HISTORY|${T}|bob|hi|there`, { type: 'HISTORY', time: T, from: 'bob', message: 'hi|there' }],
    ['USERS|2|alice,bob', { type: 'USERS', count: 2, names: ['alice', 'bob'] }],
    ['USERS|1|小明', { type: 'USERS', count: 1, names: ['小明'] }],
    ['USERS|0|', { type: 'USERS', count: 0, names: [] }],
    ['ROOMS|lobby:3,dev:1', { type: 'ROOMS', rooms: [{ room: 'lobby', count: 3 }, { room: 'dev', count: 1 }] }],
    ['ROOMS|', { type: 'ROOMS', rooms: [] }],
    ['PONG|tok', { type: 'PONG', token: 'tok' }],
    ['PONG|', { type: 'PONG', token: '' }],
    ['PONG|a|b', { type: 'PONG', token: 'a|b' }],
    ['TOPIC|lobby|be nice | mostly', { type: 'TOPIC', room: 'lobby', topic: 'be nice | mostly' }],
    ['TOPIC|lobby|', { type: 'TOPIC', room: 'lobby', topic: '' }],
    ['STATS|users=3|rooms=2|note=a=b', { type: 'STATS', stats: { users: '3', rooms: '2', note: 'a=b' } }],
    ['text|bob|lower-case type', { type: 'TEXT', from: 'bob', message: 'lower-case type' }],
  ])('%s', (line, frame) => {
    expect(parseServerFrame(line)).toStrictEqual(frame);
  });

  it.each([
    '',
    'hello',
    'TEXT',
    'TEXT|bob',
    'PRIVATE|bob',
    'SENT|alice',
    `HISTORY|2024-01-02T03:04:05.000Z|bob`,
    'USERS|many|a,b',
    'ROOMS|lobby',
    'LOGIN|bob',
    'constructor',
    '__proto__|x',
    'toString|x',
  ])('%j → undefined', (line) => {
    expect(parseServerFrame(line)).toBeUndefined();
  });
});

describe('splitFields and splitType', () => {
  it.each<[string, number, string[]]>([
    ['a|b|c', 1, ['a|b|c']],
    ['a|b|c', 2, ['a', 'b|c']],
    ['a|b|c', 3, ['a', 'b', 'c']],
    ['a|b|c', 5, ['a', 'b', 'c']],
    ['abc', 2, ['abc']],
    ['', 2, ['']],
    ['|', 2, ['', '']],
    ['a||', 3, ['a', '', '']],
    ['||x|y', 3, ['', '', 'x|y']],
  ])('splitFields(%j, %i)', (payload, count, fields) => {
    expect(splitFields(payload, count)).toEqual(fields);
  });

  it('splitType upper-cases the type and keeps the payload as sent', () => {
    expect(splitType('login|Bob|x')).toEqual({ sent: 'login', type: 'LOGIN', payload: 'Bob|x' });
    expect(splitType('ping')).toEqual({ sent: 'ping', type: 'PING', payload: undefined });
    expect(splitType('ping|')).toEqual({ sent: 'ping', type: 'PING', payload: '' });
    expect(splitType(' \tping \t| x ')).toEqual({ sent: 'ping', type: 'PING', payload: ' x ' });
    expect(splitType('\vping\f|')).toEqual({ sent: '\vping\f', type: '\vPING\f', payload: '' });
  });
});
