import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE, SqliteStore } from '../../src/server/storage/sqlite-store.js';
import { describeStoreConformance } from './store.conformance.js';

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

describe('SqliteStore specifics', () => {
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
