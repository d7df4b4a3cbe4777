import { describe, expect, it } from 'vitest';
import {
  encodeBare,
  encodeError,
  encodeHistory,
  encodeHistoryRequest,
  encodeJoin,
  encodeLogin,
  encodePing,
  encodePong,
  encodePrivate,
  encodeRooms,
  encodeSay,
  encodeSent,
  encodeStats,
  encodeSuccess,
  encodeSystem,
  encodeText,
  encodeUsers,
  encodeWhisper,
} from '../../src/protocol/encode.js';
import type { ClientFrame, ServerFrame } from '../../src/protocol/frames.js';
import { parseClientFrame, parseServerFrame } from '../../src/protocol/parse.js';

const T = '2024-01-02T03:04:05.000Z';
const T_MS = Date.UTC(2024, 0, 2, 3, 4, 5);

describe('server frame encoders', () => {
  const cases: Array<[string, string, ServerFrame]> = [
    [encodeSuccess('welcome, bob'), 'SUCCESS|welcome, bob\n', { type: 'SUCCESS', text: 'welcome, bob' }],
    [
      encodeError('NAME_TAKEN', 'bob is online|pick another'),
      'ERROR|NAME_TAKEN|bob is online|pick another\n',
      { type: 'ERROR', code: 'NAME_TAKEN', text: 'bob is online|pick another' },
    ],
    [encodeSystem('bob joined lobby'), 'SYSTEM|bob joined lobby\n', { type: 'SYSTEM', text: 'bob joined lobby' }],
    [encodeText('bob', 'hi|there'), 'TEXT|bob|hi|there\n', { type: 'TEXT', from: 'bob', message: 'hi|there' }],
    [encodePrivate('bob', 'psst'), 'PRIVATE|bob|psst\n', { type: 'PRIVATE', from: 'bob', message: 'psst' }],
    [encodeSent('小明', 'a|b'), 'SENT|小明|a|b\n', { type: 'SENT', to: '小明', message: 'a|b' }],
    [encodeHistory(T_MS, 'bob', 'hi|x'), `HISTORY|${T}|bob|hi|x\n`, { type: 'HISTORY', time: T, from: 'bob', message: 'hi|x' }],
    [encodeHistory(new Date(T), 'bob', ''), `HISTORY|${T}|bob|\n`, { type: 'HISTORY', time: T, from: 'bob', message: '' }],
    [encodeUsers(['alice', 'bob']), 'USERS|2|alice,bob\n', { type: 'USERS', count: 2, names: ['alice', 'bob'] }],
    [encodeUsers([]), 'USERS|0|\n', { type: 'USERS', count: 0, names: [] }],
    [
      encodeRooms([
        { room: 'lobby', count: 3 },
        { room: 'dev', count: 1 },
      ]),
      'ROOMS|lobby:3,dev:1\n',
      { type: 'ROOMS', rooms: [{ room: 'lobby', count: 3 }, { room: 'dev', count: 1 }] },
    ],
    [encodeRooms([]), 'ROOMS|\n', { type: 'ROOMS', rooms: [] }],
    [encodePong('tok'), 'PONG|tok\n', { type: 'PONG', token: 'tok' }],
    [encodePong(''), 'PONG|\n', { type: 'PONG', token: '' }],
    [
      encodeStats([
        ['users', 3],
        ['rooms', '2'],
      ]),
      'STATS|users=3|rooms=2\n',
      { type: 'STATS', stats: { users: '3', rooms: '2' } },
    ],
  ];

  it.each(cases)('%j is the contract line', (actual, expected) => {
    expect(actual).toBe(expected);
  });

  it.each(cases)('%j round-trips through parseServerFrame', (line, _, frame) => {
    expect(line.endsWith('\n')).toBe(true);
    expect(parseServerFrame(line.slice(0, -1))).toStrictEqual(frame);
  });
});

describe('client frame encoders', () => {
  const cases: Array<[string, string, ClientFrame]> = [
    [encodeLogin('bob'), 'LOGIN|bob\n', { type: 'LOGIN', name: 'bob' }],
    [encodeLogin('bob', 'p|w'), 'LOGIN|bob|p|w\n', { type: 'LOGIN', name: 'bob', password: 'p|w' }],
    [encodeSay('a|b'), 'TEXT|a|b\n', { type: 'TEXT', message: 'a|b', seed: false }],
    [encodeWhisper('bob', 'hi|there'), 'PRIVATE|bob|hi|there\n', { type: 'PRIVATE', to: 'bob', message: 'hi|there' }],
    [encodeJoin('dev'), 'JOIN|dev\n', { type: 'JOIN', room: 'dev' }],
    [encodeHistoryRequest(), 'HISTORY\n', { type: 'HISTORY' }],
    [encodeHistoryRequest(5), 'HISTORY|5\n', { type: 'HISTORY', count: 5 }],
    [encodePing(), 'PING\n', { type: 'PING', token: '' }],
    [encodePing('t1'), 'PING|t1\n', { type: 'PING', token: 't1' }],
    [encodeBare('USERS'), 'USERS\n', { type: 'USERS' }],
    [encodeBare('ROOMS'), 'ROOMS\n', { type: 'ROOMS' }],
    [encodeBare('LOGOUT'), 'LOGOUT\n', { type: 'LOGOUT' }],
    [encodeBare('STATS'), 'STATS\n', { type: 'STATS' }],
    [encodeBare('HELP'), 'HELP\n', { type: 'HELP' }],
  ];

  it.each(cases)('%j is the contract line and parses back', (line, expected, frame) => {
    expect(line).toBe(expected);
    expect(parseClientFrame(line.slice(0, -1))).toStrictEqual({ ok: true, frame });
  });
});
