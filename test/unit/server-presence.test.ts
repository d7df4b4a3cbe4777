import { describe, expect, it } from 'vitest';
import { LOBBY, Presence, type Member, type Room } from '../../src/server/presence.js';

// Presence reads only a member's `name` and `audience`: plain objects stand in for sessions.
const LINE = { kind: 'line' };
const member = (name?: string, audience: object = LINE): Member => ({ name, audience });
/** The epoch of the room's one audience. */
const epochOf = (room: Room): number => [...room.audiences.values()][0]!.epoch;

describe('Presence: names', () => {
  it('claim() gives a name to the first member only', () => {
    const p = new Presence();
    const a = member('alice');
    const b = member('Alice');
    expect(p.claim(a, 'alice', 'alice')).toBe(true);
    expect(p.claim(b, 'alice', 'Alice')).toBe(false);
    expect(p.user('alice')).toBe(a);
    expect(p.userCount).toBe(1);
  });

  it('user() is undefined for a name nobody holds', () => {
    const p = new Presence();
    expect(p.user('nobody')).toBeUndefined();
    expect(p.userCount).toBe(0);
  });

  it('release() frees the name for the next claim', () => {
    const p = new Presence();
    const a = member('alice');
    p.claim(a, 'alice', 'alice');
    p.release(a, 'alice');
    expect(p.user('alice')).toBeUndefined();
    expect(p.userCount).toBe(0);
    const b = member('alice');
    expect(p.claim(b, 'alice', 'alice')).toBe(true);
    expect(p.user('alice')).toBe(b);
  });

  it('release() by a member that does not hold the name changes nothing', () => {
    const p = new Presence();
    const holder = member('alice');
    const other = member('alice'); // same key, another member
    p.claim(holder, 'alice', 'alice');
    p.release(other, 'alice');
    expect(p.user('alice')).toBe(holder);
    p.release(member(), 'alice'); // a member that never logged in
    p.release(holder, 'bob'); // the holder, but of another key
    expect(p.user('alice')).toBe(holder);
    expect(p.userCount).toBe(1);
    // Its look-alike entry stays too.
    expect(p.lookalike('a1ice', 'a1ice')).toBe('alice');
  });

  it('holds many names at once; claimed() lists them with their members', () => {
    const p = new Presence();
    const members = ['alice', 'bob', 'carol'].map((n) => member(n));
    for (const m of members) expect(p.claim(m, m.name!, m.name!)).toBe(true);
    expect(p.userCount).toBe(3);
    p.release(members[1]!, 'bob');
    expect(p.userCount).toBe(2);
    expect(p.user('bob')).toBeUndefined();
    expect(p.user('carol')).toBe(members[2]);
    expect(new Map(p.claimed())).toEqual(
      new Map([
        ['alice', members[0]],
        ['carol', members[2]],
      ]),
    );
  });
});

describe('Presence: rooms', () => {
  it('enter() creates a room on first use; presence sets nothing on the member', () => {
    const p = new Presence();
    const a = member('alice');
    const room = p.enter(a, 'dev', 'Dev');
    expect(room).toMatchObject({ key: 'dev', name: 'Dev' });
    expect([...room.members]).toEqual([a]);
    expect(a).toEqual({ name: 'alice', audience: LINE });
    expect(p.room('dev')).toBe(room);
    expect(p.roomCount).toBe(1);
  });

  it('a second enter() joins the same room and keeps the first spelling', () => {
    const p = new Presence();
    const a = member('alice');
    const b = member('bob');
    const first = p.enter(a, 'dev', 'Dev');
    const second = p.enter(b, 'dev', 'DEV');
    expect(second).toBe(first);
    expect(second.name).toBe('Dev');
    expect(second.members.size).toBe(2);
    expect(p.roomCount).toBe(1);
  });

  it("leave() says 'left' and keeps the room while others remain", () => {
    const p = new Presence();
    const a = member('alice');
    const b = member('bob');
    const room = p.enter(a, LOBBY, LOBBY);
    p.enter(b, LOBBY, LOBBY);
    expect(p.leave(a, room)).toBe('left');
    expect([...room.members]).toEqual([b]);
    expect(p.room(LOBBY)).toBe(room);
  });

  it("leave() by the last member deletes the room and says 'emptied'", () => {
    const p = new Presence();
    const a = member('alice');
    const room = p.enter(a, 'dev', 'dev');
    expect(p.leave(a, room)).toBe('emptied');
    expect(p.room('dev')).toBeUndefined();
    expect(p.roomCount).toBe(0);
    expect(p.roomList()).toEqual([]);
  });

  it('a room deleted when emptied is created afresh, with the new spelling', () => {
    const p = new Presence();
    const a = member('alice');
    const old = p.enter(a, 'dev', 'Dev');
    p.leave(a, old);
    const fresh = p.enter(a, 'dev', 'dEV');
    expect(fresh).not.toBe(old);
    expect(fresh.name).toBe('dEV');
  });

  it('leave() of a member not in the room is undefined and changes nothing', () => {
    const p = new Presence();
    const a = member('alice');
    const b = member('bob');
    const dev = p.enter(a, 'dev', 'dev');
    const epoch = epochOf(dev);
    expect(p.leave(b, dev)).toBeUndefined();
    expect(epochOf(dev)).toBe(epoch);
    expect(p.leave(a, dev)).toBe('emptied');
    expect(p.leave(a, dev)).toBeUndefined();
  });

  it('moving between rooms: leave, then enter', () => {
    const p = new Presence();
    const a = member('alice');
    const b = member('bob');
    const lobby = p.enter(a, LOBBY, LOBBY);
    p.enter(b, LOBBY, LOBBY);
    p.leave(a, lobby);
    const dev = p.enter(a, 'dev', 'dev');
    expect(dev.members.has(a)).toBe(true);
    expect(lobby.members.has(a)).toBe(false);
    expect(p.roomList()).toEqual([
      { room: 'dev', count: 1 },
      { room: 'lobby', count: 1 },
    ]);
  });

  it('the epoch moves on at every membership change, and only then', () => {
    const p = new Presence();
    const a = member('alice');
    const b = member('bob');
    const room = p.enter(a, 'dev', 'dev');
    const epochs = [epochOf(room)];
    p.enter(b, 'dev', 'dev');
    epochs.push(epochOf(room));
    p.namesIn(room);
    p.roomList();
    p.claim(member('carol'), 'carol', 'carol');
    expect(epochOf(room)).toBe(epochs[1]); // reads and claims are no membership change
    p.leave(b, room);
    epochs.push(epochOf(room));
    expect(new Set(epochs).size).toBe(3);
    expect(epochs[1]!).toBeGreaterThan(epochs[0]!);
    expect(epochs[2]!).toBeGreaterThan(epochs[1]!);
  });

  it('roomList() lists rooms with their member counts, sorted by name', () => {
    const p = new Presence();
    const people = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'].map((n) => member(n));
    p.enter(people[0]!, 'zeta', 'zeta');
    p.enter(people[1]!, 'lobby', 'lobby');
    p.enter(people[2]!, 'lobby', 'lobby');
    p.enter(people[3]!, 'alpha', 'alpha');
    p.enter(people[4]!, 'm.2', 'm.2');
    p.enter(people[5]!, 'm-1', 'm-1');
    p.enter(people[6]!, 'beta', 'Beta');
    expect(p.roomList()).toEqual([
      { room: 'alpha', count: 1 },
      { room: 'Beta', count: 1 },
      { room: 'lobby', count: 2 },
      { room: 'm-1', count: 1 },
      { room: 'm.2', count: 1 },
      { room: 'zeta', count: 1 },
    ]);
    expect(p.roomCount).toBe(6);
  });

  it('roomList() is cached until a membership changes', () => {
    const p = new Presence();
    const a = member('alice');
    const dev = p.enter(a, 'dev', 'dev');
    const first = p.roomList();
    expect(p.roomList()).toBe(first);
    const b = member('bob');
    p.enter(b, 'dev', 'dev');
    const second = p.roomList();
    expect(second).not.toBe(first);
    expect(second).toEqual([{ room: 'dev', count: 2 }]);
    p.leave(b, dev);
    expect(p.roomList()).toEqual([{ room: 'dev', count: 1 }]);
  });

  it('namesIn() sorts names without regard to case', () => {
    const p = new Presence();
    let room: Room | undefined;
    for (const n of ['carol', 'Bob', 'dave', 'alice', 'Eve', 'ALAN']) room = p.enter(member(n), LOBBY, LOBBY);
    expect(p.namesIn(room!)).toEqual(['ALAN', 'alice', 'Bob', 'carol', 'dave', 'Eve']);
  });

  it('namesIn() lists only that room and skips members without a name', () => {
    const p = new Presence();
    const lobby = p.enter(member('zed'), LOBBY, LOBBY);
    p.enter(member('Amy'), LOBBY, LOBBY);
    p.enter(member(), LOBBY, LOBBY);
    p.enter(member('bob'), 'dev', 'dev');
    expect(p.namesIn(lobby)).toEqual(['Amy', 'zed']);
  });

  it('namesIn() is cached on the room until its membership changes', () => {
    const p = new Presence();
    const a = member('bob');
    const room = p.enter(a, LOBBY, LOBBY);
    const first = p.namesIn(room);
    expect(p.namesIn(room)).toBe(first);
    expect(room.names).toBe(first);
    const b = member('alice');
    p.enter(b, LOBBY, LOBBY);
    expect(room.names).toBeUndefined();
    expect(p.namesIn(room)).toEqual(['alice', 'bob']);
    p.leave(a, room);
    expect(p.namesIn(room)).toEqual(['alice']);
    // Another room's change leaves this room's cache alone.
    const cached = p.namesIn(room);
    p.enter(member('carol'), 'dev', 'dev');
    expect(p.namesIn(room)).toBe(cached);
  });
});

describe('Presence.lookalike', () => {
  it('finds an online name that looks like another, and forgets it when it is released', () => {
    const p = new Presence();
    const holder = member('Mallory');
    p.claim(holder, 'mallory', 'Mallory');
    expect(p.lookalike('rnallory', 'rnallory')).toBe('Mallory');
    expect(p.lookalike('MALLORY', 'mallory')).toBeUndefined(); // the same name, not a look-alike
    expect(p.lookalike('alice', 'alice')).toBeUndefined();
    p.release(holder, 'mallory');
    expect(p.lookalike('rnallory', 'rnallory')).toBeUndefined();
  });

  it('keeps the first name of a look-alike pair until that one is released', () => {
    const p = new Presence();
    const first = member('mallory');
    const second = member('rnallory');
    p.claim(first, 'mallory', 'mallory');
    p.claim(second, 'rnallory', 'rnallory');
    expect(p.lookalike('rnallory', 'rnallory')).toBe('mallory');
    // Releasing the second leaves the first's entry in place.
    p.release(second, 'rnallory');
    expect(p.lookalike('rnallory', 'rnallory')).toBe('mallory');
    p.release(first, 'mallory');
    expect(p.lookalike('rnallory', 'rnallory')).toBeUndefined();
  });
});
