import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE, SqliteStore } from '../../src/server/storage/sqlite-store.js';
import { describeStoreConformance } from './store.conformance.js';
import { nameSkeleton } from '../../src/protocol/index.js';

const dirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-store-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describeStoreConformance('SqliteStore', async () => {
  const dir = tempDir();
  const opened: SqliteStore[] = [new SqliteStore(dir)];
  return {
    store: opened[0]!,
    reopen: async () => {
      const store = new SqliteStore(dir);
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      for (const store of opened) store.close();
    },
  };
});

// As the server runs it: WAL checkpoints on a thread of their own.
describeStoreConformance('SqliteStore with the checkpoint thread', async () => {
  const dir = tempDir();
  const options = { checkpointThread: true };
  const opened: SqliteStore[] = [new SqliteStore(dir, options)];
  return {
    store: opened[0]!,
    reopen: async () => {
      const store = new SqliteStore(dir, options);
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
    },
  };
});

describe('SqliteStore specifics', () => {
  it('stores a turn of more rows than one multi-row insert takes, every field in order', async () => {
    const store = new SqliteStore(tempDir());
    const rooms = Array.from({ length: 75 }, (_, i) => ({ time: 1000 + i, roomKey: i % 2 ? 'dev' : 'lobby', room: i % 2 ? 'Dev' : 'lobby', from: `u${i}`, message: `m|${i}` }));
    for (const m of rooms) store.appendRoom(m);
    const privates = Array.from({ length: 40 }, (_, i) => ({ time: i, from: 'a', fromKey: 'a', to: 'Bob', toKey: 'bob', message: `p${i}`, delivered: i % 3 === 0 }));
    for (const m of privates) store.appendPrivate(m);
    store.flush();
    expect(await store.recentRoom('lobby', 100)).toEqual(rooms.filter((m) => m.roomKey === 'lobby'));
    expect(await store.recentRoom('dev', 100)).toEqual(rooms.filter((m) => m.roomKey === 'dev'));
    expect((await store.takeUndelivered('bob')).map((m) => m.message)).toEqual(privates.filter((m) => !m.delivered).map((m) => m.message));
    await store.close();
  });

  it('with the checkpoint thread, commits stay in the WAL until the thread checkpoints them into the database file', async () => {
    const dir = tempDir();
    const store = new SqliteStore(dir, { checkpointThread: true });
    const file = path.join(dir, DATABASE_FILE);
    const sizeBefore = fs.statSync(file).size;
    for (let i = 0; i < 2000; i++) store.appendRoom({ time: i, roomKey: 'lobby', room: 'lobby', from: 'bot', message: 'x'.repeat(200) });
    store.flush();
    // Automatic checkpoints are off: the main connection's commit left the file as it was.
    expect(fs.statSync(file).size).toBe(sizeBefore);
    const deadline = Date.now() + 5000;
    while (fs.statSync(file).size === sizeBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(fs.statSync(file).size).toBeGreaterThan(sizeBefore + 2000 * 200);
    await store.close();
    const reader = new Database(file, { readonly: true });
    expect((reader.prepare('SELECT COUNT(*) AS n FROM room_messages').get() as { n: number }).n).toBe(2000);
    reader.close();
  });

  it(`creates the data folder, nested, and keeps the database in ${DATABASE_FILE}`, () => {
    const dir = path.join(tempDir(), 'a', 'b');
    const store = new SqliteStore(dir);
    try {
      expect(store.file).toBe(path.join(dir, DATABASE_FILE));
      expect(fs.existsSync(store.file)).toBe(true);
    } finally {
      store.close();
    }
  });

  it('flush() commits: another connection to the file sees the rows', () => {
    const dir = tempDir();
    const store = new SqliteStore(dir);
    try {
      store.appendRoom({ time: 1, roomKey: 'lobby', room: 'lobby', from: 'alice', message: 'hi' });
      const reader = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
      try {
        const count = () => (reader.prepare('SELECT count(*) AS n FROM room_messages').get() as { n: number }).n;
        expect(count()).toBe(0);
        store.flush();
        expect(count()).toBe(1);
      } finally {
        reader.close();
      }
    } finally {
      store.close();
    }
  });

  it('close() writes pending appends, and closing twice is harmless', async () => {
    const dir = tempDir();
    const store = new SqliteStore(dir);
    store.appendRoom({ time: 1, roomKey: 'lobby', room: 'lobby', from: 'alice', message: 'unflushed' });
    store.close();
    expect(() => store.close()).not.toThrow();
    const again = new SqliteStore(dir);
    try {
      expect((await again.recentRoom('lobby', 5)).map((m) => m.message)).toEqual(['unflushed']);
    } finally {
      again.close();
    }
  });
});

describe('SqliteStore: a database from before look-alike checks', () => {
  it('gets the skeleton column, filled in for the accounts it has', async () => {
    const dir = tempDir();
    const old = new Database(path.join(dir, DATABASE_FILE));
    old.exec('CREATE TABLE accounts (name_key TEXT PRIMARY KEY, name TEXT NOT NULL, secret TEXT NOT NULL, created_at INTEGER NOT NULL)');
    old.prepare('INSERT INTO accounts VALUES (?, ?, ?, ?)').run('mallory', 'Mallory', 'scrypt$1$1$1$eA==$eA==', 1);
    old.close();
    const store = new SqliteStore(dir);
    try {
      expect(await store.lookalikeAccount(nameSkeleton('rnallory'), 'rnallory')).toBe('Mallory');
      expect((await store.getAccount('mallory'))?.name).toBe('Mallory');
    } finally {
      store.close();
    }
  });
});
