// The bench's IRC member: which server lines it counts as deliveries and
// what it makes of the others; and the rooms of the irc-fanout scenario.
import { describe, expect, it } from 'vitest';
import { planIrcScenarios } from '../../src/bench/irc.js';
import { memberFanoutPlan } from '../../src/bench/members.js';
import { ircJoin, ircPrivmsg, ircRegistration, isPrivmsg, readIrcLine, sameChannel } from '../../src/bench/irc-wire.js';
import { DEFAULT_SCENARIOS, defaultBenchOptions } from '../../src/bench/options.js';
import { parsePayloadBytes, type Payload } from '../../src/bench/payload.js';

/** A chunk with junk around the line, as the worker sees it: the line's [start, end) without CRLF. */
function framed(line: string): { buf: Buffer; start: number; end: number } {
  const buf = Buffer.from(`xx\r\n${line}\r\n:next 001 a :hi\r\n`);
  const start = 4;
  return { buf, start, end: start + Buffer.byteLength(line) + 1 }; // the CR stays, as the worker leaves it
}

describe('bench IRC lines', () => {
  it('counts a relayed PRIVMSG from its bytes, with or without tags', () => {
    for (const line of [':b0s1!b0s1@vm PRIVMSG #b0room :b:1:7:123', '@time=2026-12-02T10:00:00.000Z :b0s1!b0s1@vm PRIVMSG #b0room :b:1:7:123']) {
      const { buf, start, end } = framed(line);
      expect(isPrivmsg(buf, start, end)).toBe(true);
      const out: Payload = { sender: 0, seq: 0, sentNs: 0 };
      expect(parsePayloadBytes(buf, start, end, out)).toBe(true);
      expect(out).toEqual({ sender: 1, seq: 7, sentNs: 123 });
    }
  });

  it('does not count other lines', () => {
    for (const line of [
      ':b0s1!b0s1@vm JOIN #b0room',
      ':vm NOTICE b0r1 :slow down (RATE_LIMITED)',
      ':vm 366 b0r1 #b0room :End of /NAMES list.',
      'PING :vm',
      ':b0s1!b0s1@vm PRIVMSGX #b0room :x',
      ':b0s1!b0s1@vm',
      '@time=x',
    ]) {
      const { buf, start, end } = framed(line);
      expect(isPrivmsg(buf, start, end), line).toBe(false);
    }
  });

  it('does not read past the end of the line', () => {
    // The next line of the chunk holds ` PRIVMSG `: it is not this line's.
    const buf = Buffer.from(':vm\r\n:a!a@vm PRIVMSG #r :x\r\n');
    expect(isPrivmsg(buf, 0, 4)).toBe(false);
  });

  it('follows registration, NAMES and errors', () => {
    expect(readIrcLine(':vm 001 b0r1 :Welcome to the pipechat IRC network, b0r1!b0r1@vm')).toEqual({ kind: 'welcome' });
    expect(readIrcLine(':vm 366 b0r1 #b0Room :End of /NAMES list.')).toEqual({ kind: 'names-end', channel: '#b0Room' });
    expect(readIrcLine('PING :vm')).toEqual({ kind: 'ping', token: 'vm' });
    // No MOTD is part of a normal registration.
    expect(readIrcLine(':vm 422 b0r1 :MOTD File is missing')).toEqual({ kind: 'other' });
    expect(readIrcLine(':vm 433 * b0r1 :Nickname is already in use')).toEqual({ kind: 'refused', code: 'irc:433' });
    expect(readIrcLine(':vm NOTICE b0r1 :slow down: too many messages (RATE_LIMITED)')).toEqual({ kind: 'refused', code: 'RATE_LIMITED' });
    expect(readIrcLine('ERROR :Closing link: b0r1 (Flood)')).toEqual({ kind: 'refused', code: 'irc:ERROR' });
    expect(readIrcLine(':vm NOTICE b0r1 :b0x is offline; they will get your message when they next log in')).toEqual({ kind: 'other' });
  });

  it('tells a replayed message from a new one', () => {
    expect(readIrcLine(':a!a@vm PRIVMSG #r :[2026-12-02 10:15] b:1:2:3')).toEqual({ kind: 'message', text: '[2026-12-02 10:15] b:1:2:3', history: true });
    expect(readIrcLine(':a!a@vm PRIVMSG #r :b:1:2:3')).toEqual({ kind: 'message', text: 'b:1:2:3', history: false });
  });

  it('writes what a member sends', () => {
    expect(ircRegistration('b0r1')).toBe('NICK b0r1\r\nUSER b0r1 0 * :b0r1\r\n');
    expect(ircJoin('b0room')).toBe('JOIN #b0room\r\n');
    expect(ircPrivmsg('#b0room', '...b:1:2:3')).toBe('PRIVMSG #b0room :...b:1:2:3\r\n');
    expect(sameChannel('#B0Room', '#b0room')).toBe(true);
  });
});

describe('irc-fanout rooms', () => {
  it('splits a mixed room in half, tracked receivers of both kinds', () => {
    const plan = memberFanoutPlan('t', 1000, 10, 640, 2, 20, 'mixed', { protocol: 'irc', port: 6667 });
    const receivers = plan.conns.filter((c) => c.recvGroup === 0);
    const senders = plan.conns.filter((c) => c.sendGroup === 0);
    expect(receivers.filter((c) => c.protocol === 'irc')).toHaveLength(500);
    expect(senders.filter((c) => c.protocol === 'irc')).toHaveLength(5);
    const tracked = receivers.filter((c) => c.tracked === true);
    expect(tracked).toHaveLength(20);
    expect(tracked.filter((c) => c.protocol === 'irc')).toHaveLength(10);
  });
});

describe('irc scenarios', () => {
  it('run only when named, one per size', () => {
    expect(DEFAULT_SCENARIOS).not.toContain('irc-fanout');
    expect(planIrcScenarios(defaultBenchOptions(), 19_800)).toEqual([]);
    const options = { ...defaultBenchOptions(), scenario: ['irc-fanout' as const, 'irc-idle' as const] };
    expect(planIrcScenarios(options, 19_800).map((s) => s.id)).toEqual(['irc-fanout-100', 'irc-fanout-1000', 'irc-idle-10000']);
  });

  it('fit four rooms in the open-files limit and keep a message on one IRC line', () => {
    const options = { ...defaultBenchOptions(), scenario: ['irc-fanout' as const], messageBytes: 2000 };
    const [small, big] = planIrcScenarios(options, 2000);
    expect(small!.params).toMatchObject({ receivers: 100, messageBytes: 300 });
    expect(big!.params).toMatchObject({ receivers: 490 });
    expect(big!.id).toBe('irc-fanout-490');
  });
});
