// One conformance suite for every Store implementation (STYLE pattern 9).
// Each implementation's test file calls describeStoreConformance() with a
// factory; the suite only uses the Store interface of
// src/server/storage/store.ts.
//
// The factory returns a fresh, empty store, a way to open the same data
// again after the store was closed (a new process, as far as the store can
// tell), and a cleanup that closes what is still open and removes the data.

import { nameSkeleton } from '../../src/protocol/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Account, ModlogEntry, PrivateMessage, RoomMessage, RoomTopic, Sanction, Store } from '../../src/server/storage/store.js';

export interface StoreFixture {
  store: Store;
  /** Opens the same data again; the caller has closed `store` first. */
  reopen: () => Promise<Store>;
  /** Closes every store it opened and removes the data. */
  cleanup: () => Promise<void>;
}

const T0 = Date.UTC(2026, 10, 22, 4, 7, 41, 964);

function roomMessage(roomKey: string, n: number, extra: Partial<RoomMessage> = {}): RoomMessage {
  return { time: T0 + n * 1000, roomKey, room: roomKey, from: `user${n % 3}`, message: `${roomKey} message ${n}`, ...extra };
}

function privateMessage(toKey: string, n: number, delivered: boolean, extra: Partial<PrivateMessage> = {}): PrivateMessage {
  return {
    time: T0 + n * 1000,
    from: 'Alice',
    fromKey: 'alice',
    to: toKey.toUpperCase(),
    toKey,
    message: `private ${n} to ${toKey}`,
    delivered,
    ...extra,
  };
}

/** A private message as takeUndelivered returns it, whatever it does with the flag. */
function withoutFlag(m: PrivateMessage): Omit<PrivateMessage, 'delivered'> {
  const { delivered: _delivered, ...rest } = m;
  return rest;
}

const account = (key: string, extra: Partial<Account> = {}): Account => ({
  key,
  name: key.toUpperCase(),
  secret: `scrypt$16384$8$1$c2FsdA==$${key}-hash`,
  createdAt: T0,
  operator: false,
  ...extra,
});

const roomTopic = (roomKey: string, extra: Partial<RoomTopic> = {}): RoomTopic => ({
  roomKey,
  room: roomKey.toUpperCase(),
  topic: `all about ${roomKey}`,
  by: 'Alice',
  at: T0,
  ...extra,
});

export function describeStoreConformance(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`Store conformance: ${name}`, () => {
    let fixture: StoreFixture;
    let store: Store;

    beforeEach(async () => {
      fixture = await makeStore();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('room messages', () => {
      it('recentRoom of a room without messages is empty', async () => {
        expect(await store.recentRoom('nowhere', 20)).toEqual([]);
      });

      it('appendRoom + flush + recentRoom returns every field, oldest first', async () => {
        const sent = [1, 2, 3, 4, 5].map((n) => roomMessage('lobby', n));
        for (const m of sent) store.appendRoom(m);
        await store.flush();
        expect(await store.recentRoom('lobby', 10)).toEqual(sent);
      });

      it('recentRoom returns the last `limit` messages, still oldest first', async () => {
        const sent = Array.from({ length: 12 }, (_, i) => roomMessage('lobby', i));
        for (const m of sent) store.appendRoom(m);
        await store.flush();
        expect(await store.recentRoom('lobby', 3)).toEqual(sent.slice(9));
        expect(await store.recentRoom('lobby', 1)).toEqual(sent.slice(11));
        expect(await store.recentRoom('lobby', 12)).toEqual(sent);
        expect(await store.recentRoom('lobby', 500)).toEqual(sent);
      });

      it('keeps the order of appending, even for messages with the same time', async () => {
        const sent = ['first', 'second', 'third', 'fourth'].map((message) => roomMessage('lobby', 0, { message }));
        for (const m of sent) store.appendRoom(m);
        await store.flush();
        expect((await store.recentRoom('lobby', 10)).map((m) => m.message)).toEqual(['first', 'second', 'third', 'fourth']);
      });

      it('keeps each room to itself', async () => {
        const lobby = [roomMessage('lobby', 1), roomMessage('lobby', 3)];
        const dev = [roomMessage('dev', 2), roomMessage('dev', 4)];
        store.appendRoom(lobby[0]!);
        store.appendRoom(dev[0]!);
        store.appendRoom(lobby[1]!);
        store.appendRoom(dev[1]!);
        await store.flush();
        expect(await store.recentRoom('lobby', 10)).toEqual(lobby);
        expect(await store.recentRoom('dev', 10)).toEqual(dev);
        // Keys are compared exactly: the caller folds case.
        expect(await store.recentRoom('Dev', 10)).toEqual([]);
      });

      it('a room limit counts that room only', async () => {
        for (let i = 0; i < 5; i++) store.appendRoom(roomMessage('dev', i));
        for (let i = 0; i < 5; i++) store.appendRoom(roomMessage('lobby', 10 + i));
        await store.flush();
        expect((await store.recentRoom('dev', 2)).map((m) => m.message)).toEqual(['dev message 3', 'dev message 4']);
      });

      it('recentRoom sees appends that were not flushed yet', async () => {
        store.appendRoom(roomMessage('lobby', 1));
        await store.flush();
        store.appendRoom(roomMessage('lobby', 2));
        store.appendRoom(roomMessage('lobby', 3));
        expect((await store.recentRoom('lobby', 10)).map((m) => m.message)).toEqual([
          'lobby message 1',
          'lobby message 2',
          'lobby message 3',
        ]);
      });

      it('flush with nothing pending is harmless, and flushing twice stores once', async () => {
        await store.flush();
        store.appendRoom(roomMessage('lobby', 1));
        await store.flush();
        await store.flush();
        expect(await store.recentRoom('lobby', 10)).toHaveLength(1);
      });

      it('appends made while a flush is under way are neither lost nor reordered', async () => {
        store.appendRoom(roomMessage('lobby', 1));
        const first = store.flush();
        store.appendRoom(roomMessage('lobby', 2));
        const second = store.flush();
        await Promise.all([first, second]);
        expect((await store.recentRoom('lobby', 10)).map((m) => m.message)).toEqual(['lobby message 1', 'lobby message 2']);
      });

      it('stores text exactly: separators, quotes, emoji, combining marks, long messages', async () => {
        const texts = ['a|b||c', "it's \"quoted\" \\ back", '😀👍🏽 小明 हिन्दी', 'e\u0301', 'x'.repeat(8000), '  padded  '];
        for (const message of texts) store.appendRoom(roomMessage('lobby', 0, { message, from: '小明', room: 'Lobby' }));
        await store.flush();
        const back = await store.recentRoom('lobby', 10);
        expect(back.map((m) => m.message)).toEqual(texts);
        expect(back.every((m) => m.from === '小明' && m.room === 'Lobby' && m.roomKey === 'lobby')).toBe(true);
      });
    });

    describe('private messages', () => {
      it('takeUndelivered of someone with no messages is empty', async () => {
        expect(await store.takeUndelivered('nobody')).toEqual([]);
      });

      it('returns only undelivered messages to that key, oldest first', async () => {
        const forBob = [privateMessage('bob', 1, false), privateMessage('bob', 3, false), privateMessage('bob', 5, false)];
        store.appendPrivate(forBob[0]!);
        store.appendPrivate(privateMessage('bob', 2, true)); // handed over online
        store.appendPrivate(privateMessage('carol', 2, false)); // someone else's
        store.appendPrivate(forBob[1]!);
        store.appendPrivate(privateMessage('bobby', 4, false)); // a key that merely starts alike
        store.appendPrivate(forBob[2]!);
        await store.flush();
        const taken = await store.takeUndelivered('bob');
        expect(taken.map(withoutFlag)).toEqual(forBob.map(withoutFlag));
      });

      it('marks them delivered: a second take is empty, other keys keep theirs', async () => {
        store.appendPrivate(privateMessage('bob', 1, false));
        store.appendPrivate(privateMessage('carol', 2, false));
        await store.flush();
        expect(await store.takeUndelivered('bob')).toHaveLength(1);
        expect(await store.takeUndelivered('bob')).toEqual([]);
        expect((await store.takeUndelivered('carol')).map((m) => m.message)).toEqual(['private 2 to carol']);
        expect(await store.takeUndelivered('carol')).toEqual([]);
      });

      it('a message appended after a take is returned by the next take', async () => {
        store.appendPrivate(privateMessage('bob', 1, false));
        await store.flush();
        await store.takeUndelivered('bob');
        store.appendPrivate(privateMessage('bob', 2, false));
        await store.flush();
        expect((await store.takeUndelivered('bob')).map((m) => m.message)).toEqual(['private 2 to bob']);
      });

      it('mailbox counts what waits; peekUndelivered leaves it waiting; markDelivered takes the oldest', async () => {
        expect(await store.mailbox('bob')).toEqual({ count: 0, bytes: 0 });
        for (const text of ['one', 'two', 'thrée']) {
          store.appendPrivate({ time: T0, from: 'alice', fromKey: 'alice', to: 'bob', toKey: 'bob', message: text, delivered: false });
        }
        await store.flush();
        expect(await store.mailbox('bob')).toEqual({ count: 3, bytes: 3 + 3 + 6 });
        const first = await store.peekUndelivered('bob', 2);
        expect(first.map((m) => m.message)).toEqual(['one', 'two']);
        expect((await store.peekUndelivered('bob', 2)).map((m) => m.message)).toEqual(['one', 'two']);
        await store.markDelivered('bob', first.map((m) => m.ref));
        expect(await store.mailbox('bob')).toEqual({ count: 1, bytes: 6 });
        expect((await store.peekUndelivered('bob', 10)).map((m) => m.message)).toEqual(['thrée']);
        expect(await store.mailbox('carol')).toEqual({ count: 0, bytes: 0 });
      });

      it('takeUndelivered sees appends that were not flushed yet', async () => {
        store.appendPrivate(privateMessage('bob', 1, false));
        expect((await store.takeUndelivered('bob')).map((m) => m.message)).toEqual(['private 1 to bob']);
      });

      it('private messages never show up as room messages', async () => {
        store.appendPrivate(privateMessage('lobby', 1, false, { to: 'lobby' }));
        await store.flush();
        expect(await store.recentRoom('lobby', 10)).toEqual([]);
      });

      it('keeps the order of appending for messages with the same time', async () => {
        for (const message of ['one', 'two', 'three']) store.appendPrivate(privateMessage('bob', 0, false, { message }));
        await store.flush();
        expect((await store.takeUndelivered('bob')).map((m) => m.message)).toEqual(['one', 'two', 'three']);
      });
    });

    describe('accounts', () => {
      it('getAccount of an unknown key is undefined', async () => {
        expect(await store.getAccount('nobody')).toBeUndefined();
      });

      it('createAccount stores name, secret and time under the key', async () => {
        const a = account('小明', { name: '小明' });
        expect(await store.createAccount(a)).toBe(true);
        expect(await store.getAccount('小明')).toEqual(a);
        expect(await store.getAccount('bob')).toBeUndefined();
      });

      it('createAccount of a taken key is false and keeps the first account', async () => {
        const first = account('bob', { name: 'Bob', secret: 'scrypt$16384$8$1$Zmlyc3Q=$Zmlyc3Q=' });
        expect(await store.createAccount(first)).toBe(true);
        expect(await store.createAccount(account('bob', { name: 'BOB', secret: 'scrypt$16384$8$1$c2Vjb25k$c2Vjb25k' }))).toBe(false);
        expect(await store.getAccount('bob')).toEqual(first);
      });

      it('keeps accounts apart', async () => {
        const a = account('alice');
        const b = account('bob');
        await store.createAccount(a);
        await store.createAccount(b);
        expect(await store.getAccount('alice')).toEqual(a);
        expect(await store.getAccount('bob')).toEqual(b);
      });

      it('lookalikeAccount finds a registered name that looks like another, never the name itself', async () => {
        await store.createAccount(account('mallory', { name: 'Mallory' }));
        expect(await store.lookalikeAccount(nameSkeleton('rnallory'), 'rnallory')).toBe('Mallory');
        expect(await store.lookalikeAccount(nameSkeleton('mallory'), 'mallory')).toBeUndefined();
        expect(await store.lookalikeAccount(nameSkeleton('alice'), 'alice')).toBeUndefined();
      });
    });

    describe('managing accounts', () => {
      it('listAccounts gives every account sorted by key, the operator flag included', async () => {
        expect(await store.listAccounts()).toEqual([]);
        const b = account('bob');
        const a = account('alice', { operator: true });
        await store.createAccount(b);
        await store.createAccount(a);
        expect(await store.listAccounts()).toEqual([a, b]);
      });

      it('setSecret and setOperator change one account and are false for an unknown key', async () => {
        await store.createAccount(account('bob'));
        await store.createAccount(account('carol'));
        expect(await store.setSecret('bob', 'scrypt$16384$8$1$bmV3$bmV3')).toBe(true);
        expect(await store.setOperator('bob', true)).toBe(true);
        expect(await store.getAccount('bob')).toEqual(account('bob', { secret: 'scrypt$16384$8$1$bmV3$bmV3', operator: true }));
        expect(await store.getAccount('carol')).toEqual(account('carol'));
        expect(await store.setOperator('bob', false)).toBe(true);
        expect((await store.getAccount('bob'))?.operator).toBe(false);
        expect(await store.setSecret('nobody', 'x')).toBe(false);
        expect(await store.setOperator('nobody', true)).toBe(false);
      });

      it('deleteAccount frees the name, its look-alike entry and the mail waiting for it', async () => {
        await store.createAccount(account('mallory', { name: 'Mallory' }));
        store.appendPrivate(privateMessage('mallory', 1, false));
        await store.flush();
        expect(await store.deleteAccount('mallory')).toBe(true);
        expect(await store.deleteAccount('mallory')).toBe(false);
        expect(await store.getAccount('mallory')).toBeUndefined();
        expect(await store.lookalikeAccount(nameSkeleton('rnallory'), 'rnallory')).toBeUndefined();
        expect((await store.mailbox('mallory')).count).toBe(0);
        expect(await store.createAccount(account('mallory'))).toBe(true);
      });
    });

    describe('sanctions and the moderation log', () => {
      const logged = (time = T0): ModlogEntry => ({ time, operator: 'alice', action: 'ban', target: 'x', minutes: 0, reason: '' });
      const lifted = (time = T0): ModlogEntry => ({ time, operator: 'alice', action: 'unban', target: 'x', reason: '' });
      const ban = (key: string, extra: Partial<Sanction> = {}): Sanction => ({
        kind: 'ban',
        key,
        name: key.toUpperCase(),
        until: 0,
        by: 'alice',
        reason: 'spam',
        at: T0,
        addresses: [],
        ...extra,
      });

      it('nothing stands against a name or address never sanctioned', async () => {
        expect(await store.sanctionsFor('bob', '127.0.0.2', T0)).toEqual({});
        expect(await store.liftSanction('ban', 'bob', lifted())).toBe(false);
      });

      it('a ban holds the name and its addresses until it ends; addresses added later count too', async () => {
        await store.putSanction(ban('troll', { until: T0 + 60_000, addresses: ['127.0.0.2'] }), logged());
        await store.addBanAddresses('troll', ['127.0.0.3', '2001:db8:1:2::/64']);
        const expected = ban('troll', { until: T0 + 60_000, addresses: ['127.0.0.2', '127.0.0.3', '2001:db8:1:2::/64'] });
        expect(await store.sanctionsFor('troll', undefined, T0)).toEqual({ ban: expected });
        expect(await store.sanctionsFor('other', '127.0.0.3', T0)).toEqual({ addressBan: expected });
        expect(await store.sanctionsFor('other', '127.0.0.4', T0)).toEqual({});
        // Ended: nothing in force, and lifting it is no lift.
        expect(await store.sanctionsFor('troll', '127.0.0.2', T0 + 60_000)).toEqual({});
        expect(await store.liftSanction('ban', 'troll', lifted(T0 + 60_000))).toBe(false);
      });

      it('addBanAddresses without a ban does nothing', async () => {
        await store.addBanAddresses('nobody', ['127.0.0.9']);
        expect(await store.sanctionsFor('x', '127.0.0.9', T0)).toEqual({});
      });

      it('liftSanction lifts the ban with its addresses, and a mute on its own', async () => {
        await store.putSanction(ban('troll', { addresses: ['127.0.0.2'] }), logged());
        const mute: Sanction = { ...ban('troll'), kind: 'mute', reason: 'noise' };
        await store.putSanction(mute, logged());
        expect(await store.sanctionsFor('troll', '127.0.0.2', T0)).toEqual({
          ban: ban('troll', { addresses: ['127.0.0.2'] }),
          addressBan: ban('troll', { addresses: ['127.0.0.2'] }),
          mute,
        });
        expect(await store.liftSanction('ban', 'troll', lifted())).toBe(true);
        expect(await store.sanctionsFor('troll', '127.0.0.2', T0)).toEqual({ mute });
        expect(await store.liftSanction('mute', 'troll', lifted())).toBe(true);
        expect(await store.sanctionsFor('troll', '127.0.0.2', T0)).toEqual({});
      });

      it('a new ban takes the place of the old one and keeps its addresses', async () => {
        await store.putSanction(ban('troll', { until: T0 + 1000, addresses: ['127.0.0.2'] }), logged());
        await store.putSanction(ban('troll', { until: 0, reason: 'again', addresses: ['127.0.0.5'] }), logged());
        expect((await store.sanctionsFor('troll', undefined, T0 + 5000)).ban).toEqual(ban('troll', { reason: 'again', addresses: ['127.0.0.2', '127.0.0.5'] }));
      });

      it('an address held by two bans answers with the one lasting longest', async () => {
        await store.putSanction(ban('one', { until: T0 + 1000, addresses: ['127.0.0.2'] }), logged());
        await store.putSanction(ban('two', { until: 0, addresses: ['127.0.0.2'] }), logged());
        expect((await store.sanctionsFor('x', '127.0.0.2', T0)).addressBan?.key).toBe('two');
      });

      it('putSanction logs its entry, and liftSanction logs its own only when something was in force', async () => {
        await store.putSanction(ban('troll', { until: T0 + 1000 }), logged());
        expect(await store.liftSanction('ban', 'troll', lifted(T0 + 1000))).toBe(false);
        await store.putSanction({ ...ban('bob'), kind: 'mute' }, logged(T0 + 1));
        expect(await store.liftSanction('mute', 'bob', lifted(T0 + 2))).toBe(true);
        expect(await store.recentModlog(10)).toEqual([logged(), logged(T0 + 1), lifted(T0 + 2)]);
      });

      it('the moderation log gives the last entries oldest first', async () => {
        expect(await store.recentModlog(10)).toEqual([]);
        const entries: ModlogEntry[] = [
          { time: T0, operator: 'alice', action: 'ban', target: 'troll', minutes: 0, reason: 'spam' },
          { time: T0 + 1, operator: 'alice', action: 'unban', target: 'troll', reason: '' },
          { time: T0 + 2, operator: 'bert', action: 'kick', target: 'bob', reason: 'bye | now' },
        ];
        for (const e of entries) await store.appendModlog(e);
        expect(await store.recentModlog(10)).toEqual(entries);
        expect(await store.recentModlog(2)).toEqual(entries.slice(1));
      });

      it('sanctions and the log survive close and reopen', async () => {
        await store.putSanction(ban('troll', { addresses: ['127.0.0.2'] }), logged());
        await store.close();
        const again = await fixture.reopen();
        expect((await again.sanctionsFor('x', '127.0.0.2', T0)).addressBan?.key).toBe('troll');
        expect(await again.recentModlog(5)).toHaveLength(1);
        await again.close();
      });
    });

    describe('room topics', () => {
      it('a room has no topic until one is set', async () => {
        expect(await store.roomTopic('lobby')).toBeUndefined();
      });

      it('setRoomTopic + roomTopic returns every field', async () => {
        const topic = roomTopic('lobby', { room: 'Lobby', by: 'Bob', at: T0 + 5 });
        await store.setRoomTopic(topic);
        expect(await store.roomTopic('lobby')).toEqual(topic);
        // Keys are compared exactly: the caller folds case.
        expect(await store.roomTopic('Lobby')).toBeUndefined();
      });

      it('a new topic replaces the old one, who set it and when included', async () => {
        await store.setRoomTopic(roomTopic('lobby'));
        const second = roomTopic('lobby', { room: 'LOBBY', topic: 'second', by: 'Carol', at: T0 + 60_000 });
        await store.setRoomTopic(second);
        expect(await store.roomTopic('lobby')).toEqual(second);
      });

      it('an empty topic clears it, and clearing a room without one is harmless', async () => {
        await store.setRoomTopic(roomTopic('lobby'));
        await store.setRoomTopic(roomTopic('lobby', { topic: '', at: T0 + 1 }));
        expect(await store.roomTopic('lobby')).toBeUndefined();
        await store.setRoomTopic(roomTopic('lobby', { topic: '' }));
        expect(await store.roomTopic('lobby')).toBeUndefined();
        const again = roomTopic('lobby', { topic: 'back', at: T0 + 2 });
        await store.setRoomTopic(again);
        expect(await store.roomTopic('lobby')).toEqual(again);
      });

      it('keeps each room to its own topic', async () => {
        const lobby = roomTopic('lobby');
        const dev = roomTopic('dev', { by: 'Bob', at: T0 + 1 });
        await store.setRoomTopic(lobby);
        await store.setRoomTopic(dev);
        expect(await store.roomTopic('lobby')).toEqual(lobby);
        expect(await store.roomTopic('dev')).toEqual(dev);
        await store.setRoomTopic(roomTopic('dev', { topic: '' }));
        expect(await store.roomTopic('dev')).toBeUndefined();
        expect(await store.roomTopic('lobby')).toEqual(lobby);
        // Topics are not room messages.
        expect(await store.recentRoom('lobby', 10)).toEqual([]);
      });

      it('stores text exactly: separators, colons, quotes, emoji, combining marks', async () => {
        const topic = roomTopic('小明的房间', {
          room: '小明的房间',
          topic: ':release | v2: "soon" \\ 😀👍🏽 हिन्दी e\u0301 a||b ::  ',
          by: '小明',
        });
        await store.setRoomTopic(topic);
        expect(await store.roomTopic('小明的房间')).toEqual(topic);
      });

      it('topics survive close and reopen, a cleared one staying cleared', async () => {
        const topic = roomTopic('lobby', { room: 'Lobby' });
        await store.setRoomTopic(topic);
        await store.setRoomTopic(roomTopic('dev'));
        await store.setRoomTopic(roomTopic('dev', { topic: '' }));
        // No flush: a topic is not part of the turn's batch.
        await store.close();
        const again = await fixture.reopen();
        expect(await again.roomTopic('lobby')).toEqual(topic);
        expect(await again.roomTopic('dev')).toBeUndefined();
        await again.close();
      });
    });

    describe('the health check', () => {
      it('checkWritable resolves on a store that takes writes, again and again, and leaves the data as it was', async () => {
        store.appendRoom({ time: 1, roomKey: 'lobby', room: 'lobby', from: 'alice', message: 'kept' });
        await store.flush();
        await expect(store.checkWritable(1_000)).resolves.toBeUndefined();
        await expect(store.checkWritable(2_000)).resolves.toBeUndefined();
        expect((await store.recentRoom('lobby', 5)).map((m) => m.message)).toEqual(['kept']);
        expect(await store.listAccounts()).toEqual([]);
      });
    });

    describe('durability', () => {
      it('room messages, private messages and accounts survive close and reopen', async () => {
        const lobby = [roomMessage('lobby', 1), roomMessage('lobby', 2)];
        const dev = [roomMessage('dev', 3)];
        for (const m of [...lobby, ...dev]) store.appendRoom(m);
        const waiting = privateMessage('bob', 4, false);
        store.appendPrivate(waiting);
        store.appendPrivate(privateMessage('bob', 5, true));
        const bob = account('bob', { name: 'Bob' });
        expect(await store.createAccount(bob)).toBe(true);
        await store.flush();
        await store.close();

        const again = await fixture.reopen();
        expect(await again.recentRoom('lobby', 10)).toEqual(lobby);
        expect(await again.recentRoom('dev', 10)).toEqual(dev);
        expect((await again.takeUndelivered('bob')).map(withoutFlag)).toEqual([withoutFlag(waiting)]);
        expect(await again.getAccount('bob')).toEqual(bob);
        expect(await again.createAccount(account('bob'))).toBe(false);
        await again.close();
      });

      it('a delivered private message stays delivered after reopen', async () => {
        store.appendPrivate(privateMessage('bob', 1, false));
        await store.flush();
        expect(await store.takeUndelivered('bob')).toHaveLength(1);
        await store.close();
        const again = await fixture.reopen();
        expect(await again.takeUndelivered('bob')).toEqual([]);
        await again.close();
      });

      it('appends continue in order after reopen', async () => {
        store.appendRoom(roomMessage('lobby', 1));
        await store.flush();
        await store.close();
        const again = await fixture.reopen();
        again.appendRoom(roomMessage('lobby', 2));
        await again.flush();
        expect((await again.recentRoom('lobby', 10)).map((m) => m.message)).toEqual(['lobby message 1', 'lobby message 2']);
        await again.close();
      });
    });
  });
}
