import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE, SqliteStore } from '../../src/server/storage/sqlite-store.js';
import { describeStoreConformance } from './store.conformance.js';
import { RECENT_SQL } from '../../src/server/storage/room-log.js';
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

describe('SqliteStore: room history as a chain per room', () => {
  const message = (i: number, roomKey: string) => ({ time: 1000 + i, roomKey, room: roomKey.toUpperCase(), from: `u${i}`, message: `m${i}` });

  it('a database from before (an index on room and id) keeps every message: chained, the heads filled in, the index gone', async () => {
    const dir = tempDir();
    const old = new Database(path.join(dir, DATABASE_FILE));
    old.exec('CREATE TABLE room_messages (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, room_key TEXT NOT NULL, room TEXT NOT NULL, sender TEXT NOT NULL, body TEXT NOT NULL)');
    old.exec('CREATE INDEX room_messages_by_room ON room_messages (room_key, id)');
    const insert = old.prepare('INSERT INTO room_messages (time, room_key, room, sender, body) VALUES (?, ?, ?, ?, ?)');
    const keys = ['lobby', 'dev', 'lobby', 'ops', 'lobby', 'dev'];
    const before = Array.from({ length: 60 }, (_, i) => message(i, keys[i % keys.length]!));
    for (const m of before) insert.run(m.time, m.roomKey, m.room, m.from, m.message);
    old.close();

    const store = new SqliteStore(dir);
    try {
      for (const key of ['lobby', 'dev', 'ops']) {
        expect(await store.recentRoom(key, 100)).toEqual(before.filter((m) => m.roomKey === key));
        expect(await store.recentRoom(key, 3)).toEqual(before.filter((m) => m.roomKey === key).slice(-3));
      }
      const after = [message(100, 'ops'), message(101, 'lobby'), message(102, 'new')];
      for (const m of after) store.appendRoom(m);
      store.flush();
      expect(await store.recentRoom('ops', 100)).toEqual([...before, ...after].filter((m) => m.roomKey === 'ops'));
      expect(await store.recentRoom('new', 100)).toEqual([after[2]]);
    } finally {
      store.close();
    }
    const check = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
    try {
      expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'room_messages'").all()).toEqual([]);
      expect(check.prepare('SELECT room_key, last_id FROM room_heads ORDER BY room_key').all()).toEqual([
        { room_key: 'dev', last_id: 60 },
        { room_key: 'lobby', last_id: 62 },
        { room_key: 'new', last_id: 63 },
        { room_key: 'ops', last_id: 61 },
      ]);
    } finally {
      check.close();
    }
    // Opening it again changes nothing.
    const again = new SqliteStore(dir);
    try {
      expect(await again.recentRoom('lobby', 100)).toEqual([...before, message(101, 'lobby')].filter((m) => m.roomKey === 'lobby'));
    } finally {
      again.close();
    }
  });

  it('two stores writing the same file in turns: each room keeps every message of both, in order', async () => {
    const dir = tempDir();
    const a = new SqliteStore(dir);
    const b = new SqliteStore(dir);
    try {
      const written: ReturnType<typeof message>[] = [];
      for (let i = 0; i < 40; i++) {
        const m = message(i, i % 3 === 0 ? 'dev' : 'lobby');
        written.push(m);
        const writer = i % 2 === 0 ? a : b;
        writer.appendRoom(m);
        writer.flush();
      }
      for (const store of [a, b]) {
        expect(await store.recentRoom('lobby', 100)).toEqual(written.filter((m) => m.roomKey === 'lobby'));
        expect(await store.recentRoom('dev', 5)).toEqual(written.filter((m) => m.roomKey === 'dev').slice(-5));
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it('a limit of 0 reads nothing', async () => {
    const store = new SqliteStore(tempDir());
    try {
      store.appendRoom(message(1, 'lobby'));
      expect(await store.recentRoom('lobby', 0)).toEqual([]);
    } finally {
      store.close();
    }
  });
});

describe('RECENT_SQL', () => {
  it('walks the chain by id: its plan searches room_heads and room_messages by key and never scans either', () => {
    const dir = tempDir();
    new SqliteStore(dir).close();
    const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
    try {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${RECENT_SQL}`).all({ room: 'lobby', limit: 50 }) as Array<{ detail: string }>).map((r) => r.detail);
      expect(plan).toContain('SEARCH h USING PRIMARY KEY (room_key=?)');
      expect(plan.filter((d) => d.startsWith('SEARCH m USING INTEGER PRIMARY KEY'))).toHaveLength(2);
      expect(plan.filter((d) => /^SCAN (h|m|room_)/.test(d))).toEqual([]);
    } finally {
      db.close();
    }
  });
});
