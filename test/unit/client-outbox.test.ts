import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxItem } from '../../src/client/outbox.js';
import { FakeTimers } from '../helpers/fake-timers.js';
import type { ServerFrame } from '../../src/protocol/frames.js';

const say = (text: string, done?: OutboxItem['done']): OutboxItem => ({
  kind: 'say',
  label: text,
  silent: false,
  encode: () => `TEXT|${text}\n`,
  answers: (f) => (f.type === 'TEXT' && f.from === 'me') || f.type === 'ERROR',
  ...(done ? { done } : {}),
});
const echo = (text: string): ServerFrame => ({ type: 'TEXT', from: 'me', message: text });
const limited: ServerFrame = { type: 'ERROR', code: 'RATE_LIMITED', text: 'slow down' };

function setup(options: { rate?: number; burst?: number; limit?: number } = {}) {
  const timers = new FakeTimers(0);
  const written: string[] = [];
  let connected = true;
  const events: string[] = [];
  const outbox = new Outbox({
    write: (line) => {
      if (!connected) return false;
      written.push(line);
      return true;
    },
    timers,
    limit: options.limit ?? 100,
    rate: options.rate ?? 0,
    burst: options.burst ?? 8,
    ackTimeoutMs: 10_000,
    retryBaseMs: 300,
    retryMaxMs: 3000,
    events: {
      rateLimited: (item, ms) => events.push(`limited ${item.label} ${ms}`),
      unanswered: (item) => events.push(`unanswered ${item.label}`),
    },
  });
  outbox.setOnline(true);
  return {
    timers,
    written,
    outbox,
    events,
    setConnected: (c: boolean) => {
      connected = c;
      outbox.setOnline(c);
    },
  };
}

describe('Outbox', () => {
  it('sends one frame at a time, the next once the previous is answered', () => {
    const { outbox, written } = setup();
    outbox.push(say('a'));
    outbox.push(say('b'));
    expect(written).toEqual(['TEXT|a\n']);
    expect(outbox.onFrame({ type: 'TEXT', from: 'bob', message: 'a' })).toEqual({ swallow: false });
    expect(written).toEqual(['TEXT|a\n']);
    expect(outbox.onFrame(echo('a')).answered?.label).toBe('a');
    expect(written).toEqual(['TEXT|a\n', 'TEXT|b\n']);
  });

  it('resends a frame refused as RATE_LIMITED after a growing delay, and hides the refusal', () => {
    const { outbox, written, timers, events } = setup();
    outbox.push(say('a'));
    expect(outbox.onFrame(limited)).toEqual({ swallow: true });
    expect(events).toEqual(['limited a 300']);
    timers.advance(299);
    expect(written).toEqual(['TEXT|a\n']);
    timers.advance(1);
    expect(written).toEqual(['TEXT|a\n', 'TEXT|a\n']);
    outbox.onFrame(limited);
    timers.advance(600);
    expect(written).toHaveLength(3);
    outbox.onFrame(echo('a'));
    expect(outbox.size).toBe(0);
  });

  it('passes other errors on as the answer', () => {
    const { outbox } = setup();
    const answers: Array<ServerFrame | undefined> = [];
    outbox.push(say('a', (f) => answers.push(f)));
    const result = outbox.onFrame({ type: 'ERROR', code: 'MESSAGE_TOO_LONG', text: 'too long' });
    expect(result.swallow).toBe(false);
    expect(answers).toEqual([{ type: 'ERROR', code: 'MESSAGE_TOO_LONG', text: 'too long' }]);
  });

  it('keeps lines while offline and sends the unanswered one again after reconnecting', () => {
    const { outbox, written, setConnected } = setup();
    outbox.push(say('a'));
    setConnected(false); // lost before the echo of 'a'
    expect(outbox.push(say('b'))).toBe('accepted');
    expect(outbox.pendingUserItems).toBe(2);
    setConnected(true);
    expect(written).toEqual(['TEXT|a\n', 'TEXT|a\n']);
    outbox.onFrame(echo('a'));
    expect(written.at(-1)).toBe('TEXT|b\n');
  });

  it('is bounded: past the limit a line is refused, not silently lost', () => {
    const { outbox, setConnected } = setup({ limit: 2 });
    setConnected(false);
    expect(outbox.push(say('1'))).toBe('accepted');
    expect(outbox.push(say('2'))).toBe('accepted');
    expect(outbox.push(say('3'))).toBe('full');
    expect(outbox.size).toBe(2);
  });

  it('paces sends after the burst', () => {
    const { outbox, written, timers } = setup({ rate: 4, burst: 2 });
    for (const t of ['a', 'b', 'c', 'd']) outbox.push(say(t));
    outbox.onFrame(echo('a'));
    outbox.onFrame(echo('b'));
    expect(written).toEqual(['TEXT|a\n', 'TEXT|b\n']);
    timers.advance(249);
    expect(written).toHaveLength(2);
    timers.advance(1);
    expect(written).toEqual(['TEXT|a\n', 'TEXT|b\n', 'TEXT|c\n']);
    outbox.onFrame(echo('c'));
    timers.advance(250);
    expect(written.at(-1)).toBe('TEXT|d\n');
  });

  it('moves on when no answer comes, and says so', () => {
    const { outbox, written, timers, events } = setup();
    outbox.push(say('a'));
    outbox.push(say('b'));
    timers.advance(10_000);
    expect(events).toEqual(['unanswered a']);
    expect(written.at(-1)).toBe('TEXT|b\n');
  });

  it('resolves whenIdle once everything is answered', async () => {
    const { outbox } = setup();
    outbox.push(say('a'));
    let idle = false;
    const waiting = outbox.whenIdle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    outbox.onFrame(echo('a'));
    await waiting;
    expect(idle).toBe(true);
  });

  it('gives every attempt a fresh token for PING-answered items', () => {
    const { outbox, written, timers } = setup();
    outbox.push({
      kind: 'ping',
      label: '/ping',
      silent: false,
      encode: (token) => `PING|${token}\n`,
      answers: (f, token) => f.type === 'PONG' && f.token === token,
    });
    outbox.onFrame(limited);
    timers.advance(300);
    expect(written).toEqual(['PING|~o1\n', 'PING|~o2\n']);
    expect(outbox.onFrame({ type: 'PONG', token: '~o1' }).answered).toBeUndefined();
    expect(outbox.onFrame({ type: 'PONG', token: '~o2' }).answered?.label).toBe('/ping');
  });
});
