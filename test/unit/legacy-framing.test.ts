// Legacy framing on a fake clock: the earlier client's frames without LF
// (`1|alice`) end after a quiet spell, and its login reply gets a write of
// its own followed by a gap. The decoder is fed the way Session.receive feeds
// it (push, then received()).

import { describe, expect, it } from 'vitest';
import { LineDecoder, type LineEvent } from '../../src/protocol/index.js';
import { LEGACY_QUIET_MS, LEGACY_SUCCESS_GAP_MS, LegacyFraming } from '../../src/server/legacy-framing.js';
import { Outbox } from '../../src/server/output-turn.js';
import { FakeConnection } from '../helpers/fake-socket.js';
import { FakeTimers } from '../helpers/fake-timers.js';

function setup() {
  const timers = new FakeTimers(1_000_000);
  const decoder = new LineDecoder(64);
  const connection = new FakeConnection();
  const dirty: Outbox[] = [];
  const outbox = new Outbox({ markDirty: (o) => dirty.push(o) }, connection, { outputCapBytes: 1 << 16, turnOutputFactor: 4 }, () => timers.now(), {
    outputOverflowed: () => {
      throw new Error('overflow');
    },
  });
  const events: LineEvent[] = [];
  const emit = (event: LineEvent): void => {
    events.push(event);
  };
  const legacy = new LegacyFraming(decoder, outbox, timers, emit);
  /** Bytes from the peer, as Session.receive hands them on. */
  const receive = (data: string): void => {
    decoder.push(Buffer.from(data), emit);
    legacy.received();
  };
  const lines = (): string[] => events.map((e) => (e.kind === 'line' ? e.text : `<${e.kind}>`));
  return { timers, decoder, connection, outbox, dirty, legacy, receive, lines };
}

describe('LegacyFraming: frames without LF', () => {
  it(`'1|alice' without LF becomes a line after ${LEGACY_QUIET_MS} ms of quiet, and not before`, () => {
    const s = setup();
    s.receive('1|alice');
    expect(s.legacy.active).toBe(true);
    expect(s.timers.pendingDelays()).toEqual([LEGACY_QUIET_MS]);
    s.timers.advance(LEGACY_QUIET_MS - 1);
    expect(s.lines()).toEqual([]);
    s.timers.advance(1);
    expect(s.lines()).toEqual(['1|alice']);
    // Once: nothing more comes of more quiet.
    s.timers.advance(10 * LEGACY_QUIET_MS);
    expect(s.lines()).toEqual(['1|alice']);
    expect(s.timers.pendingDelays()).toEqual([]);
  });

  it('each frame of the earlier client ends after its own quiet spell', () => {
    const s = setup();
    s.receive('1|alice');
    s.timers.advance(LEGACY_QUIET_MS);
    s.receive('3|alice:hello');
    s.timers.advance(LEGACY_QUIET_MS);
    s.receive('2|alice');
    s.timers.advance(LEGACY_QUIET_MS);
    expect(s.lines()).toEqual(['1|alice', '3|alice:hello', '2|alice']);
  });

  it('more data starts the quiet spell again', () => {
    const s = setup();
    s.receive('1|al');
    s.timers.advance(LEGACY_QUIET_MS - 10);
    s.receive('ic');
    s.timers.advance(LEGACY_QUIET_MS - 10);
    s.receive('e');
    s.timers.advance(LEGACY_QUIET_MS - 1);
    expect(s.lines()).toEqual([]);
    expect(s.timers.pendingDelays()).toEqual([1]); // one timer, not one per chunk
    s.timers.advance(1);
    expect(s.lines()).toEqual(['1|alice']);
  });

  it('bytes that do not start like an earlier-client frame wait for their LF', () => {
    const s = setup();
    s.receive('LOGIN|alice');
    expect(s.timers.pendingDelays()).toEqual([]);
    s.timers.advance(10 * LEGACY_QUIET_MS);
    expect(s.lines()).toEqual([]);
    s.receive('\n');
    expect(s.lines()).toEqual(['LOGIN|alice']);
  });

  it('after the first LF legacy framing is off for good', () => {
    const s = setup();
    s.receive('PING\n');
    expect(s.legacy.active).toBe(false);
    s.receive('1|alice');
    expect(s.timers.pendingDelays()).toEqual([]);
    s.timers.advance(10 * LEGACY_QUIET_MS);
    s.legacy.ended();
    expect(s.lines()).toEqual(['PING']);
  });

  it('an LF arriving during the quiet spell ends the line at once, and the timer with it', () => {
    const s = setup();
    s.receive('1|alice');
    s.timers.advance(LEGACY_QUIET_MS / 2);
    s.receive('\n');
    expect(s.lines()).toEqual(['1|alice']);
    expect(s.timers.pendingDelays()).toEqual([]);
    s.timers.advance(LEGACY_QUIET_MS);
    expect(s.lines()).toEqual(['1|alice']);
  });

  it('ended(): the peer closed its side, and a pending frame is a line at once', () => {
    const s = setup();
    s.receive('3|alice:bye');
    s.legacy.ended();
    expect(s.lines()).toEqual(['3|alice:bye']);
    expect(s.timers.pendingDelays()).toEqual([]);
    // Nothing pending: ended() emits nothing.
    const t = setup();
    t.legacy.ended();
    expect(t.lines()).toEqual([]);
  });

  it('stop() cancels the quiet spell (the session closed)', () => {
    const s = setup();
    s.receive('1|alice');
    s.legacy.stop();
    s.timers.advance(10 * LEGACY_QUIET_MS);
    expect(s.lines()).toEqual([]);
  });
});

describe('LegacyFraming: the login reply', () => {
  it(`separateLoginReply() writes the outbox at once and resolves after ${LEGACY_SUCCESS_GAP_MS} ms on the clock`, async () => {
    const s = setup();
    s.receive('1|alice');
    s.timers.advance(LEGACY_QUIET_MS);
    s.outbox.line(Buffer.from('SUCCESS|Welcome, alice!\n'));
    const gap = s.legacy.separateLoginReply();
    expect(gap).toBeInstanceOf(Promise);
    // Written ahead of the turn, as a write of its own.
    expect(s.connection.writes.map((w) => w.map((b) => b.toString()))).toEqual([['SUCCESS|Welcome, alice!\n']]);
    let over = false;
    void gap!.then(() => (over = true));
    s.timers.advance(LEGACY_SUCCESS_GAP_MS - 1);
    await Promise.resolve();
    expect(over).toBe(false);
    s.timers.advance(1);
    await gap;
    expect(over).toBe(true);
    // What follows goes in a later write.
    s.outbox.line(Buffer.from('SYSTEM|alice joined lobby\n'));
    s.outbox.flushNow();
    expect(s.connection.writes).toHaveLength(2);
  });

  it('a client that sends LF gets no separate reply and no gap', () => {
    const s = setup();
    s.receive('LOGIN|alice\n');
    s.outbox.line(Buffer.from('SUCCESS|Welcome, alice!\n'));
    expect(s.legacy.separateLoginReply()).toBeUndefined();
    expect(s.connection.writes).toEqual([]); // it waits for the turn like any output
    expect(s.timers.pendingDelays()).toEqual([]);
  });
});
