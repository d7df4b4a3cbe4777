// The output turn without sockets: outboxes on FakeConnections, the turn's
// commit and publish as test doubles. What a peer got is read from
// FakeConnection.writes (one entry per write(), with the very Buffers given).

import { setImmediate as nextImmediate } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BIG_ROOM_MEMBERS,
  Outbox,
  OutputTurn,
  bigRoomDelayMs,
  type OutboxLimits,
  type Pledged,
  type RoomAudience,
  type TurnDeps,
  type TurnQueue,
} from '../../src/server/output-turn.js';
import { FakeConnection } from '../helpers/fake-socket.js';
import { FakeTimers } from '../helpers/fake-timers.js';

const LIMITS: OutboxLimits = { outputCapBytes: 1000, turnOutputFactor: 4 };

const line = (text: string): Buffer => Buffer.from(`${text}\n`);

/** What one write() carried, as text, Buffer by Buffer. */
const texts = (write: readonly Buffer[] | undefined): string[] => (write ?? []).map((b) => b.toString());

/** Lets the turn's setImmediate run, and the promise callbacks after it. */
async function turnEnds(): Promise<void> {
  await nextImmediate();
  await nextImmediate();
}

interface Peer {
  readonly connection: FakeConnection;
  readonly outbox: Outbox;
  overflows: number;
}

interface Harness {
  readonly turn: OutputTurn<Pledged>;
  /** The turn's timers: big rooms' deadlines. */
  readonly timers: FakeTimers;
  /** Pledges the next flush takes. */
  readonly pledges: Pledged[];
  readonly refused: Array<{ pledges: readonly Pledged[]; err: unknown }>;
  /** What happened, in order: commit, publish. */
  readonly calls: string[];
  now: number;
  peer(): Peer;
  room(...members: Peer[]): RoomAudience & { epoch: number; members: Peer[] };
}

function harness(commit: TurnDeps<Pledged>['commit'] = () => undefined): Harness {
  const pledges: Pledged[] = [];
  const refused: Harness['refused'] = [];
  const calls: string[] = [];
  const timers = new FakeTimers(1_000_000);
  const turn = new OutputTurn<Pledged>({
    commit: () => {
      calls.push('commit');
      return commit();
    },
    publish: () => calls.push('publish'),
    takePledges: () => pledges.splice(0),
    notStored: (p, err) => refused.push({ pledges: p, err }),
  }, timers);
  const h: Harness = {
    turn,
    timers,
    pledges,
    refused,
    calls,
    now: 0,
    peer() {
      const connection = new FakeConnection();
      const peer: Peer = {
        connection,
        overflows: 0,
        outbox: new Outbox(turn, connection, LIMITS, () => h.now, { outputOverflowed: () => peer.overflows++ }),
      };
      return peer;
    },
    room: (...members) => ({ epoch: 0, members }),
  };
  return h;
}

/** A promise the test settles by hand. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: unknown) => void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('OutputTurn: one write per connection per turn', () => {
  it("a turn's lines reach the peer as one write, in order, at the end of the turn", async () => {
    const h = harness();
    const alice = h.peer();
    const [a, b, c] = [line('one'), line('two'), line('three')];
    alice.outbox.line(a);
    alice.outbox.line(b);
    alice.outbox.line(c);
    expect(alice.connection.writes).toEqual([]); // not before the turn ends
    await turnEnds();
    expect(alice.connection.writes).toHaveLength(1);
    expect(alice.connection.writes[0]).toEqual([a, b, c]);
    expect(alice.connection.writes[0]![0]).toBe(a);
    expect(h.calls).toEqual(['commit', 'publish']);
    // The next turn is a write of its own.
    alice.outbox.line(line('four'));
    await turnEnds();
    expect(alice.connection.writes.map(texts)).toEqual([['one\n', 'two\n', 'three\n'], ['four\n']]);
  });

  it("a room's broadcast lines are joined once, and that one Buffer goes to every member", async () => {
    const h = harness();
    const [alice, bob, carol] = [h.peer(), h.peer(), h.peer()];
    const room = h.room(alice, bob, carol);
    h.turn.broadcast(room, line('TEXT|alice|hi'));
    h.turn.broadcast(room, line('TEXT|bob|hello'));
    await turnEnds();
    for (const peer of [alice, bob, carol]) {
      expect(peer.connection.writes).toHaveLength(1);
      expect(texts(peer.connection.writes[0])).toEqual(['TEXT|alice|hi\nTEXT|bob|hello\n']);
    }
    const shared = alice.connection.writes[0]![0];
    expect(bob.connection.writes[0]![0]).toBe(shared);
    expect(carol.connection.writes[0]![0]).toBe(shared);
  });

  it("a member's own line after a room batch closes the batch: everyone's lines keep their order", async () => {
    const h = harness();
    const [alice, bob] = [h.peer(), h.peer()];
    const room = h.room(alice, bob);
    h.turn.broadcast(room, line('SYSTEM|bob joined dev'));
    alice.outbox.line(line('PONG|1'));
    h.turn.broadcast(room, line('TEXT|bob|hi'));
    await turnEnds();
    expect(texts(alice.connection.writes[0])).toEqual(['SYSTEM|bob joined dev\n', 'PONG|1\n', 'TEXT|bob|hi\n']);
    expect(texts(bob.connection.writes[0])).toEqual(['SYSTEM|bob joined dev\n', 'TEXT|bob|hi\n']);
    // Both batches are still shared.
    expect(bob.connection.writes[0]![0]).toBe(alice.connection.writes[0]![0]);
    expect(bob.connection.writes[0]![1]).toBe(alice.connection.writes[0]![2]);
  });

  it('a membership change (the epoch moves on) opens a new batch: a newcomer gets only later lines, a leaver none', async () => {
    const h = harness();
    const [alice, bob, carol] = [h.peer(), h.peer(), h.peer()];
    const room = h.room(alice, bob);
    h.turn.broadcast(room, line('before'));
    // carol comes in, bob goes.
    room.members.splice(room.members.indexOf(bob), 1, carol);
    room.epoch++;
    h.turn.broadcast(room, line('after'));
    await turnEnds();
    expect(texts(alice.connection.writes[0])).toEqual(['before\n', 'after\n']);
    expect(texts(bob.connection.writes[0])).toEqual(['before\n']);
    expect(texts(carol.connection.writes[0])).toEqual(['after\n']);
    expect(carol.connection.writes[0]![0]).toBe(alice.connection.writes[0]![1]);
  });

  it('the next turn opens a new batch for the same room', async () => {
    const h = harness();
    const [alice, bob] = [h.peer(), h.peer()];
    const room = h.room(alice, bob);
    h.turn.broadcast(room, line('first turn'));
    await turnEnds();
    h.turn.broadcast(room, line('second turn'));
    await turnEnds();
    expect(alice.connection.writes.map(texts)).toEqual([['first turn\n'], ['second turn\n']]);
    expect(bob.connection.writes.map(texts)).toEqual([['first turn\n'], ['second turn\n']]);
  });
});

describe('OutputTurn: a line not for one member (an IRC sender without echo)', () => {
  it('a small room: the others share one joined Buffer; the sender gets the rest in order, its own lines between', async () => {
    const h = harness();
    const [alice, bob, carol] = [h.peer(), h.peer(), h.peer()];
    const room = h.room(alice, bob, carol);
    h.turn.broadcast(room, line('SYSTEM|carol joined lobby'));
    h.turn.broadcast(room, line('TEXT|alice|mine'), alice);
    alice.outbox.line(line('PONG|x'));
    h.turn.broadcast(room, line('TEXT|bob|yours'));
    h.turn.broadcast(room, line('TEXT|alice|again'), alice);
    h.turn.broadcast(room, line('TEXT|carol|last'));
    await turnEnds();
    expect(alice.connection.text()).toBe('SYSTEM|carol joined lobby\nPONG|x\nTEXT|bob|yours\nTEXT|carol|last\n');
    const all = 'SYSTEM|carol joined lobby\nTEXT|alice|mine\nTEXT|bob|yours\nTEXT|alice|again\nTEXT|carol|last\n';
    expect(bob.connection.text()).toBe(all);
    expect(carol.connection.text()).toBe(all);
  });

  it('a big room: one batch for everyone, the sender skips its line inside it, and a failed commit takes the line from the others', async () => {
    const failing = { now: false };
    const h = harness(() => {
      if (failing.now) throw new Error('disk full');
    });
    const members = Array.from({ length: BIG_ROOM_MEMBERS }, () => h.peer());
    const room = { epoch: 0, members: new Set<Peer>(members) };
    const [alice, bob] = members as [Peer, Peer];
    h.turn.broadcast(room, line('TEXT|x|1'));
    h.turn.broadcast(room, line('TEXT|alice|2'), alice);
    h.turn.broadcast(room, line('TEXT|x|3'));
    await turnEnds();
    failing.now = true;
    const lost = line('TEXT|alice|lost');
    h.turn.broadcast(room, lost, alice);
    h.pledges.push({ lines: [lost] });
    h.turn.broadcast(room, line('TEXT|x|4'));
    await turnEnds();
    h.timers.advance(bigRoomDelayMs(BIG_ROOM_MEMBERS));
    const got = (peer: Peer): string => peer.connection.writes.flat().map((b) => b.toString()).join('');
    expect(got(alice)).toBe('TEXT|x|1\nTEXT|x|3\nTEXT|x|4\n');
    expect(got(bob)).toBe('TEXT|x|1\nTEXT|alice|2\nTEXT|x|3\nTEXT|x|4\n');
    // Everyone else got a view of the same memory: no copy per member.
    const [mine, theirs] = [members[2]!.connection.writes[0]![0]!, bob.connection.writes[0]![0]!];
    expect([mine.buffer, mine.byteOffset]).toEqual([theirs.buffer, theirs.byteOffset]);
    expect(mine.buffer).toBe(theirs.buffer);
  });
});

describe('OutputTurn: nothing reaches anyone before it is stored', () => {
  it('a synchronous commit that throws takes the pledged lines out of every outbox and calls notStored', async () => {
    const failure = new Error('disk full');
    const h = harness(() => {
      throw failure;
    });
    const [alice, bob, carol] = [h.peer(), h.peer(), h.peer()];
    const room = h.room(alice, bob);
    const said = line('TEXT|alice|lost');
    const privately = line('PRIVATE|alice|lost too');
    const sent = line('SENT|carol|lost too');
    h.turn.broadcast(room, line('SYSTEM|bob joined lobby'));
    h.turn.broadcast(room, said);
    carol.outbox.line(privately);
    alice.outbox.line(sent);
    alice.outbox.line(line('PONG|kept'));
    const pledges: Pledged[] = [{ lines: [said] }, { lines: [privately, sent] }];
    h.pledges.push(...pledges);
    await turnEnds();

    expect(h.refused).toEqual([{ pledges, err: failure }]);
    expect(alice.connection.text()).toBe('SYSTEM|bob joined lobby\nPONG|kept\n');
    expect(bob.connection.text()).toBe('SYSTEM|bob joined lobby\n');
    // Nothing was left for carol: no write at all.
    expect(carol.connection.writes).toEqual([]);
    // The other nodes still get the turn's publish (PROTOCOL.md: published lines cannot be taken back).
    expect(h.calls).toEqual(['commit', 'publish']);
  });

  it('an outbox emptied by a failed commit still gets its next turn written', async () => {
    let failing = true;
    const h = harness(() => {
      if (failing) throw new Error('disk full');
    });
    const carol = h.peer();
    const privately = line('PRIVATE|alice|lost');
    carol.outbox.line(privately);
    h.pledges.push({ lines: [privately] });
    await turnEnds();
    expect(carol.connection.writes).toEqual([]);
    failing = false;
    carol.outbox.line(line('PRIVATE|alice|kept'));
    await turnEnds();
    expect(carol.connection.text()).toBe('PRIVATE|alice|kept\n');
  });

  it('a failed commit with no pledges still tells notStored, and writes the turn', async () => {
    const h = harness(() => {
      throw new Error('io');
    });
    const alice = h.peer();
    alice.outbox.line(line('PONG|1'));
    await turnEnds();
    expect(h.refused).toHaveLength(1);
    expect(h.refused[0]!.pledges).toEqual([]);
    expect(alice.connection.text()).toBe('PONG|1\n');
  });

  it('an asynchronous commit: output is written once it resolves, and a later turn waits for the earlier one', async () => {
    const commits = [deferred(), deferred()];
    let n = 0;
    const h = harness(() => commits[n++]!.promise);
    const [alice, bob] = [h.peer(), h.peer()];
    const room = h.room(alice, bob);
    h.turn.broadcast(room, line('turn 1'));
    await turnEnds();
    alice.outbox.line(line('turn 2'));
    await turnEnds();
    expect(n).toBe(2);
    expect(alice.connection.writes).toEqual([]);
    // The second turn's commit is done first: its output still waits for the first turn's.
    commits[1]!.resolve();
    await turnEnds();
    expect(alice.connection.writes).toEqual([]);
    expect(bob.connection.writes).toEqual([]);
    commits[0]!.resolve();
    await h.turn.settled();
    expect(alice.connection.writes.map(texts)).toEqual([['turn 1\n'], ['turn 2\n']]);
    expect(bob.connection.writes.map(texts)).toEqual([['turn 1\n']]);
  });

  it('a synchronous commit after a pending asynchronous one still writes in turn order', async () => {
    const first = deferred();
    const results: Array<Promise<void> | undefined> = [first.promise, undefined];
    let n = 0;
    const h = harness(() => results[n++]);
    const alice = h.peer();
    alice.outbox.line(line('one'));
    await turnEnds();
    alice.outbox.line(line('two'));
    await turnEnds();
    expect(alice.connection.writes).toEqual([]);
    first.resolve();
    await h.turn.settled();
    expect(alice.connection.writes.map(texts)).toEqual([['one\n'], ['two\n']]);
  });

  it('a rejected asynchronous commit takes the pledged lines out and calls notStored; the rest is written', async () => {
    const commit = deferred();
    const h = harness(() => commit.promise);
    const [alice, bob] = [h.peer(), h.peer()];
    const room = h.room(alice, bob);
    const said = line('TEXT|bob|not stored');
    h.turn.broadcast(room, line('SYSTEM|carol joined lobby'));
    h.turn.broadcast(room, said);
    bob.outbox.line(line('PONG|x'));
    h.pledges.push({ lines: [said] });
    await turnEnds();
    expect(h.refused).toEqual([]);
    const failure = new Error('redis said no');
    commit.reject(failure);
    await h.turn.settled();
    expect(h.refused).toEqual([{ pledges: [{ lines: [said] }], err: failure }]);
    expect(alice.connection.text()).toBe('SYSTEM|carol joined lobby\n');
    expect(bob.connection.text()).toBe('SYSTEM|carol joined lobby\nPONG|x\n');
  });
});

describe('Outbox', () => {
  /** An outbox whose turn is flushed by hand. */
  function alone(): { peer: Peer; dirty: Outbox[]; flush(): void; clock: { now: number } } {
    const dirty: Outbox[] = [];
    const turn: TurnQueue = { markDirty: (o) => dirty.push(o) };
    const connection = new FakeConnection();
    const clock = { now: 0 };
    const peer: Peer = { connection, overflows: 0, outbox: new Outbox(turn, connection, LIMITS, () => clock.now, { outputOverflowed: () => peer.overflows++ }) };
    return {
      peer,
      dirty,
      clock,
      flush: () => {
        for (const o of dirty.splice(0)) {
          const output = o.seal();
          if (output !== undefined) o.write(output);
        }
      },
    };
  }

  afterEach(async () => {
    // FakeConnection emits 'close' on a later tick.
    await nextImmediate();
  });

  it('marks itself dirty once per turn', () => {
    const { peer, dirty, flush } = alone();
    peer.outbox.line(line('a'));
    peer.outbox.line(line('b'));
    peer.outbox.end();
    expect(dirty).toEqual([peer.outbox]);
    flush();
    peer.outbox.line(line('c'));
    expect(dirty).toEqual([peer.outbox]);
  });

  it('end() ends the connection after the turn\u2019s output, not before', () => {
    const { peer, flush } = alone();
    peer.outbox.line(line('SYSTEM|goodbye'));
    peer.outbox.end();
    expect(peer.connection.ended).toBe(false);
    flush();
    expect(peer.connection.text()).toBe('SYSTEM|goodbye\n');
    expect(peer.connection.ended).toBe(true);
    expect(peer.connection.writesAfterClose).toBe(0);
  });

  it('end() alone ends the connection at the turn', () => {
    const { peer, flush, dirty } = alone();
    peer.outbox.end();
    expect(dirty).toHaveLength(1);
    flush();
    expect(peer.connection.writes).toEqual([]);
    expect(peer.connection.ended).toBe(true);
  });

  it('discard() drops what is queued and everything after', () => {
    const { peer, flush } = alone();
    peer.outbox.line(line('queued'));
    peer.outbox.end();
    peer.outbox.discard();
    peer.outbox.line(line('later'));
    peer.outbox.end();
    flush();
    expect(peer.connection.writes).toEqual([]);
    expect(peer.connection.ended).toBe(false);
  });

  it('flushNow() writes at once, ahead of the turn', () => {
    const { peer, flush } = alone();
    peer.outbox.line(line('SUCCESS|Welcome'));
    peer.outbox.flushNow();
    expect(peer.connection.writes.map(texts)).toEqual([['SUCCESS|Welcome\n']]);
    peer.outbox.line(line('SYSTEM|alice joined lobby'));
    flush();
    expect(peer.connection.writes.map(texts)).toEqual([['SUCCESS|Welcome\n'], ['SYSTEM|alice joined lobby\n']]);
  });

  it('drained() resolves once what is queued is written and the peer took it', async () => {
    const { peer, flush } = alone();
    peer.outbox.line(line('HISTORY|step 1'));
    let done = false;
    const drained = peer.outbox.drained().then(() => (done = true));
    await nextImmediate();
    expect(done).toBe(false); // not written yet
    peer.connection.backlog = 500; // the peer has not read it
    flush();
    await nextImmediate();
    expect(done).toBe(false);
    peer.connection.drainBacklog();
    await drained;
    expect(done).toBe(true);
  });

  it('drained() resolves right after the write when the peer keeps up, and at once when nothing is queued', async () => {
    const { peer, flush } = alone();
    await peer.outbox.drained();
    peer.outbox.line(line('x'));
    const drained = peer.outbox.drained();
    flush();
    await drained;
    expect(peer.connection.text()).toBe('x\n');
  });

  it('drained() resolves when the connection closes instead', async () => {
    const { peer } = alone();
    peer.outbox.line(line('never written'));
    const drained = peer.outbox.drained();
    peer.outbox.closed();
    await drained;
    expect(peer.connection.writes).toEqual([]);
  });

  it('stalled(): output waiting longer than the deadline with none of it taken', () => {
    const { peer, flush, clock } = alone();
    expect(peer.outbox.stalled(100)).toBe(false);
    clock.now = 1_000;
    expect(peer.outbox.stalled(100)).toBe(false); // nothing pending: idle is not stalled
    // Written when nothing was pending: the deadline counts from the write.
    const written = line('0123456789');
    peer.outbox.line(written);
    flush();
    peer.connection.backlog = written.length; // none of it taken
    clock.now = 1_100;
    expect(peer.outbox.stalled(100)).toBe(false);
    clock.now = 1_101;
    expect(peer.outbox.stalled(100)).toBe(true);
    // Some of it got to the kernel: progress, and the deadline counts from the look that saw it.
    peer.connection.backlog = 4;
    expect(peer.outbox.stalled(100)).toBe(false);
    clock.now = 1_201;
    expect(peer.outbox.stalled(100)).toBe(false);
    clock.now = 1_202;
    expect(peer.outbox.stalled(100)).toBe(true);
    // More written while the rest waits is not progress.
    peer.outbox.line(line('more'));
    flush();
    peer.connection.backlog = 4 + line('more').length;
    expect(peer.outbox.stalled(100)).toBe(true);
    peer.connection.drainBacklog();
    expect(peer.outbox.stalled(100)).toBe(false);
  });

  it('overflows when earlier output is left unread past the cap, or one turn queues too much', () => {
    const { peer } = alone();
    peer.outbox.line(Buffer.alloc(LIMITS.outputCapBytes * LIMITS.turnOutputFactor));
    expect(peer.overflows).toBe(0);
    peer.outbox.line(line('one more'));
    expect(peer.overflows).toBe(1);

    const other = alone();
    other.peer.connection.backlog = LIMITS.outputCapBytes + 1;
    other.peer.outbox.line(line('x'));
    expect(other.peer.overflows).toBe(1);
  });
});

describe('OutputTurn: big rooms are written on a short timer', () => {
  /** A room of `n` peers (big from BIG_ROOM_MEMBERS on), with the membership changes a presence makes. */
  function bigRoom(h: Harness, n = BIG_ROOM_MEMBERS) {
    const members = Array.from({ length: n }, () => h.peer());
    const room = { epoch: 0, members: new Set<Peer>(members) };
    return {
      room,
      members,
      join(peer: Peer) {
        room.members.add(peer);
        room.epoch++;
        h.turn.memberJoined(room, peer);
      },
      leave(peer: Peer) {
        room.members.delete(peer);
        room.epoch++;
        h.turn.memberLeft(room, peer);
      },
    };
  }

  /** Everything a peer got, as one string. */
  const got = (peer: Peer): string => peer.connection.writes.flat().map((b) => b.toString()).join('');
  const delay = bigRoomDelayMs(BIG_ROOM_MEMBERS);

  it('waits a millisecond per 100 members, at most 100 ms; rooms under the size are written every turn', () => {
    expect(bigRoomDelayMs(BIG_ROOM_MEMBERS - 1)).toBe(0);
    expect(bigRoomDelayMs(BIG_ROOM_MEMBERS)).toBe(5);
    expect(bigRoomDelayMs(2_000)).toBe(20);
    expect(bigRoomDelayMs(50_000)).toBe(100);
  });

  it('a member with nothing else pending gets the room’s lines of many turns in one write at the deadline', async () => {
    const h = harness();
    const { room, members } = bigRoom(h);
    h.turn.broadcast(room, line('SYSTEM|a joined lobby'));
    await turnEnds();
    h.turn.broadcast(room, line('TEXT|a|hi'));
    await turnEnds();
    expect(members.every((m) => m.connection.writes.length === 0)).toBe(true);
    expect(h.calls).toEqual(['commit', 'publish', 'commit', 'publish']); // each turn still commits its lines
    h.timers.advance(delay);
    for (const m of members) {
      expect(m.connection.writes).toHaveLength(1);
      expect(got(m)).toBe('SYSTEM|a joined lobby\nTEXT|a|hi\n');
    }
    // Later lines start a new batch, with a new deadline.
    h.turn.broadcast(room, line('TEXT|a|again'));
    await turnEnds();
    expect(got(members[0]!)).toBe('SYSTEM|a joined lobby\nTEXT|a|hi\n');
    h.timers.advance(delay);
    expect(got(members[0]!)).toBe('SYSTEM|a joined lobby\nTEXT|a|hi\nTEXT|a|again\n');
  });

  it('a line of its own sends what the member has of the room at once, in order; later lines follow at the deadline, none twice', async () => {
    const h = harness();
    const { room, members } = bigRoom(h);
    const [alice, bob] = members as [Peer, Peer];
    h.turn.broadcast(room, line('TEXT|x|1'));
    alice.outbox.line(line('PONG|'));
    h.turn.broadcast(room, line('TEXT|x|2'));
    await turnEnds();
    // Written with its turn, alice gets the room's lines so far too.
    expect(got(alice)).toBe('TEXT|x|1\nPONG|\nTEXT|x|2\n');
    expect(got(bob)).toBe('');
    h.turn.broadcast(room, line('TEXT|x|3'));
    await turnEnds();
    h.timers.advance(delay);
    expect(got(alice)).toBe('TEXT|x|1\nPONG|\nTEXT|x|2\nTEXT|x|3\n');
    expect(got(bob)).toBe('TEXT|x|1\nTEXT|x|2\nTEXT|x|3\n');
  });

  it('members given the same lines get the very same Buffer (a WebSocket frames it once for all of them)', async () => {
    const h = harness();
    const { room, members } = bigRoom(h);
    const [alice, ...others] = members as [Peer, ...Peer[]];
    h.turn.broadcast(room, line('TEXT|x|1'));
    alice.outbox.line(line('PONG|'));
    await turnEnds();
    h.turn.broadcast(room, line('TEXT|x|2'));
    await turnEnds();
    h.timers.advance(delay);
    const last = (peer: Peer): Buffer => peer.connection.writes.at(-1)!.at(-1)!;
    expect(others.every((m) => last(m) === last(others[0]!))).toBe(true);
    expect(last(others[0]!).toString()).toBe('TEXT|x|1\nTEXT|x|2\n');
    expect(last(alice).toString()).toBe('TEXT|x|2\n');
  });

  it('a newcomer gets the lines from its join notice on, a leaver none after its leave; the others all', async () => {
    const h = harness();
    const { room, members, join, leave } = bigRoom(h);
    const newcomer = h.peer();
    const leaver = members[1]!;
    h.turn.broadcast(room, line('TEXT|x|before'));
    newcomer.outbox.line(line('SUCCESS|welcome'));
    join(newcomer);
    h.turn.broadcast(room, line('SYSTEM|newcomer joined lobby'));
    leave(leaver);
    h.turn.broadcast(room, line('SYSTEM|leaver left lobby'));
    await turnEnds();
    // The newcomer had a line of its own: written at once, its join notice included.
    expect(got(newcomer)).toBe('SUCCESS|welcome\nSYSTEM|newcomer joined lobby\nSYSTEM|leaver left lobby\n');
    h.timers.advance(delay);
    expect(got(leaver)).toBe('TEXT|x|before\nSYSTEM|newcomer joined lobby\n');
    expect(got(members[0]!)).toBe('TEXT|x|before\nSYSTEM|newcomer joined lobby\nSYSTEM|leaver left lobby\n');
    expect(newcomer.connection.writes).toHaveLength(1);
  });

  it('a failed commit takes its lines out of held output too', async () => {
    let fail = false;
    const h = harness(() => {
      if (fail) throw new Error('disk full');
    });
    const { room, members } = bigRoom(h);
    h.turn.broadcast(room, line('TEXT|x|stored'));
    await turnEnds();
    fail = true;
    const lost = line('TEXT|x|lost');
    h.turn.broadcast(room, lost);
    h.pledges.push({ lines: [lost] });
    await turnEnds();
    expect(h.refused).toHaveLength(1);
    fail = false;
    h.timers.advance(delay);
    for (const m of members) expect(got(m)).toBe('TEXT|x|stored\n');
  });

  it('with an asynchronous commit that fails, lines held past it are taken out before anyone gets them', async () => {
    const commits: Array<ReturnType<typeof deferred>> = [];
    const h = harness(() => {
      const d = deferred();
      commits.push(d);
      return d.promise;
    });
    const { room, members } = bigRoom(h);
    const lost = line('TEXT|x|lost');
    h.turn.broadcast(room, lost);
    h.pledges.push({ lines: [lost] });
    await turnEnds();
    h.timers.advance(delay);
    await turnEnds();
    h.turn.broadcast(room, line('TEXT|x|next'));
    await turnEnds();
    commits[0]!.reject(new Error('redis down'));
    for (const c of commits.slice(1)) c.resolve();
    await turnEnds();
    h.timers.advance(delay);
    for (const c of commits.slice(1)) c.resolve();
    await turnEnds();
    await h.turn.settled();
    for (const m of members) expect(got(m)).not.toContain('lost');
    expect(got(members[0]!)).toBe('TEXT|x|next\n');
  });

  it('shutdown (a forced flush) writes held output at once', async () => {
    const h = harness();
    const { room, members } = bigRoom(h);
    h.turn.broadcast(room, line('SYSTEM|the server is shutting down'));
    await turnEnds();
    expect(got(members[0]!)).toBe('');
    h.turn.flushNow(true);
    for (const m of members) expect(got(m)).toBe('SYSTEM|the server is shutting down\n');
  });

  it('joins and leaves in a big room cost no pass over its members (one batch for the whole interval)', async () => {
    const h = harness();
    const { room, members, join } = bigRoom(h);
    h.turn.broadcast(room, line('TEXT|x|0'));
    const spies = members.map((m) => {
      let calls = 0;
      const original = m.outbox.addBatch.bind(m.outbox);
      m.outbox.addBatch = (batch) => {
        calls++;
        original(batch);
      };
      return () => calls;
    });
    for (let i = 0; i < 50; i++) {
      const peer = h.peer();
      join(peer);
      h.turn.broadcast(room, line(`SYSTEM|n${i} joined lobby`));
      await turnEnds();
    }
    expect(spies.reduce((sum, calls) => sum + calls(), 0)).toBe(0);
    h.timers.advance(delay);
    expect(got(members[0]!).split('\n').length - 1).toBe(51);
  });
});
