import { describe, expect, it } from 'vitest';
import { LOBBY, Presence, type Room } from '../../src/server/presence.js';
import type { Session } from '../../src/server/session.js';

/** Presence only reads and writes `name`, `key` and `room`. */
function stub(name?: string): Session {
  const s = { name, key: name?.toLowerCase(), room: undefined as Room | undefined };
  return s as unknown as Session;
}

describe('Presence: names', () => {
  it('claim() gives a name to the first session only', () => {
    const p = new Presence();
    const a = stub('alice');
    const b = stub('Alice');
    expect(p.claim(a, 'alice', 'alice')).toBe(true);
    expect(p.claim(b, 'alice', 'alice')).toBe(false);
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
    const a = stub('alice');
    p.claim(a, 'alice', 'alice');
    p.release(a);
    expect(p.user('alice')).toBeUndefined();
    expect(p.userCount).toBe(0);
    const b = stub('alice');
    expect(p.claim(b, 'alice', 'alice')).toBe(true);
    expect(p.user('alice')).toBe(b);
  });

  it('release() by a session that does not hold the name changes nothing', () => {
    const p = new Presence();
    const holder = stub('alice');
    const other = stub('alice'); // same key, different session
    p.claim(holder, 'alice', 'alice');
    p.release(other);
    expect(p.user('alice')).toBe(holder);
    p.release(stub()); // a session that never logged in
    expect(p.userCount).toBe(1);
  });

  it('holds many names at once', () => {
    const p = new Presence();
    const sessions = ['alice', 'bob', 'carol'].map((n) => stub(n));
    for (const s of sessions) expect(p.claim(s, s.key!, s.key!)).toBe(true);
    expect(p.userCount).toBe(3);
    p.release(sessions[1]!);
    expect(p.userCount).toBe(2);
    expect(p.user('bob')).toBeUndefined();
    expect(p.user('carol')).toBe(sessions[2]);
  });
});

describe('Presence: rooms', () => {
  it('enter() creates a room on first use and sets session.room', () => {
    const p = new Presence();
    const a = stub('alice');
    const room = p.enter(a, 'dev', 'Dev');
    expect(room).toMatchObject({ key: 'dev', name: 'Dev' });
    expect([...room.members]).toEqual([a]);
    expect(a.room).toBe(room);
    expect(p.room('dev')).toBe(room);
    expect(p.roomCount).toBe(1);
  });

  it('a second enter() joins the same room and keeps the first spelling', () => {
    const p = new Presence();
    const a = stub('alice');
    const b = stub('bob');
    const first = p.enter(a, 'dev', 'Dev');
    const second = p.enter(b, 'dev', 'DEV');
    expect(second).toBe(first);
    expect(second.name).toBe('Dev');
    expect(second.members.size).toBe(2);
    expect(p.roomCount).toBe(1);
  });

  it('leave() reports the room and keeps it while others remain', () => {
    const p = new Presence();
    const a = stub('alice');
    const b = stub('bob');
    const room = p.enter(a, LOBBY, LOBBY);
    p.enter(b, LOBBY, LOBBY);
    expect(p.leave(a)).toEqual({ room, emptied: false });
    expect(a.room).toBeUndefined();
    expect([...room.members]).toEqual([b]);
    expect(p.room(LOBBY)).toBe(room);
  });

  it('leave() by the last member deletes the room and says so', () => {
    const p = new Presence();
    const a = stub('alice');
    const room = p.enter(a, 'dev', 'dev');
    const left = p.leave(a);
    expect(left).toEqual({ room, emptied: true });
    expect(p.room('dev')).toBeUndefined();
    expect(p.roomCount).toBe(0);
    expect(p.roomList()).toEqual([]);
  });

  it('a room deleted when emptied is created afresh, with the new spelling', () => {
    const p = new Presence();
    const a = stub('alice');
    const old = p.enter(a, 'dev', 'Dev');
    p.leave(a);
    const fresh = p.enter(a, 'dev', 'dEV');
    expect(fresh).not.toBe(old);
    expect(fresh.name).toBe('dEV');
  });

  it('leave() of a session in no room is undefined', () => {
    const p = new Presence();
    const a = stub('alice');
    expect(p.leave(a)).toBeUndefined();
    p.enter(a, 'dev', 'dev');
    p.leave(a);
    expect(p.leave(a)).toBeUndefined();
  });

  it('moving between rooms: leave, then enter', () => {
    const p = new Presence();
    const a = stub('alice');
    const b = stub('bob');
    p.enter(a, LOBBY, LOBBY);
    p.enter(b, LOBBY, LOBBY);
    p.leave(a);
    const dev = p.enter(a, 'dev', 'dev');
    expect(a.room).toBe(dev);
    expect(p.room(LOBBY)!.members.has(a)).toBe(false);
    expect(p.roomList()).toEqual([
      { room: 'dev', count: 1 },
      { room: 'lobby', count: 1 },
    ]);
  });

  it('roomList() lists rooms with their member counts, sorted by name', () => {
    const p = new Presence();
    const people = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((n) => stub(n));
    p.enter(people[0]!, 'zeta', 'zeta');
    p.enter(people[1]!, 'lobby', 'lobby');
    p.enter(people[2]!, 'lobby', 'lobby');
    p.enter(people[3]!, 'alpha', 'alpha');
    p.enter(people[4]!, 'm.2', 'm.2');
    p.enter(people[5]!, 'm-1', 'm-1');
    expect(p.roomList()).toEqual([
      { room: 'alpha', count: 1 },
      { room: 'lobby', count: 2 },
      { room: 'm-1', count: 1 },
      { room: 'm.2', count: 1 },
      { room: 'zeta', count: 1 },
    ]);
    expect(p.roomCount).toBe(5);
  });

  it('namesIn() sorts names without regard to case', () => {
    const p = new Presence();
    let room: Room | undefined;
    for (const n of ['carol', 'Bob', 'dave', 'alice', 'Eve', 'ALAN']) room = p.enter(stub(n), LOBBY, LOBBY);
    expect(p.namesIn(room!)).toEqual(['ALAN', 'alice', 'Bob', 'carol', 'dave', 'Eve']);
  });

  it('namesIn() lists only that room and skips sessions without a name', () => {
    const p = new Presence();
    const lobby = p.enter(stub('zed'), LOBBY, LOBBY);
    p.enter(stub('Amy'), LOBBY, LOBBY);
    p.enter(stub(), LOBBY, LOBBY);
    p.enter(stub('bob'), 'dev', 'dev');
    expect(p.namesIn(lobby)).toEqual(['Amy', 'zed']);
  });
});

describe('Presence.lookalike', () => {
  it('finds an online name that looks like another, and forgets it when it leaves', () => {
    const p = new Presence();
    const holder = { key: 'mallory' } as unknown as Session;
    p.claim(holder, 'mallory', 'Mallory');
    expect(p.lookalike('rnallory', 'rnallory')).toBe('Mallory');
    expect(p.lookalike('MALLORY', 'mallory')).toBeUndefined();
    expect(p.lookalike('alice', 'alice')).toBeUndefined();
    p.release(holder, 'mallory');
    expect(p.lookalike('rnallory', 'rnallory')).toBeUndefined();
  });
});
