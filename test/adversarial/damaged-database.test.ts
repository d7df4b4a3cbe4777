// A damaged database is refused at start-up with one line that names the
// file and the way to recover it, instead of a server that starts and then
// fails every request. The files are private to the server's user.

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAllChildren, makeTempDir, removeTempDirs, runBin, spawnServer } from '../helpers/server.js';
import { LineClient, closeAllClients } from '../helpers/line-client.js';

afterEach(async () => {
  await closeAllClients();
  await killAllChildren();
});

afterAll(() => removeTempDirs());

describe('a damaged database', () => {
  it('a file that is not a database: exit 1, one line naming it and how to recover', async () => {
    const dir = makeTempDir();
    const file = path.join(dir, 'chat.db');
    fs.writeFileSync(file, Buffer.alloc(8192, 'not a database, just bytes '));
    const r = await runBin(['--port', '0', '--data-dir', dir]);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain(`the database ${file} is damaged`);
    expect(lines[0]).toContain(`sqlite3 ${file} ".recover"`);
  });

  it('a database whose pages were overwritten: refused at start by quick_check, not at the first LOGIN', async () => {
    const dir = makeTempDir();
    const file = path.join(dir, 'chat.db');
    const db = new Database(file);
    db.exec('CREATE TABLE room_messages (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, room_key TEXT NOT NULL, room TEXT NOT NULL, sender TEXT NOT NULL, body TEXT NOT NULL)');
    db.exec('CREATE INDEX room_messages_by_room ON room_messages (room_key, id)');
    const insert = db.prepare('INSERT INTO room_messages (time, room_key, room, sender, body) VALUES (?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(i, 'lobby', 'lobby', 'alice', `message number ${i} `.repeat(4));
    })();
    db.close();
    // Garbage over the middle of the file: the b-tree pages no longer add up.
    const fd = fs.openSync(file, 'r+');
    const size = fs.fstatSync(fd).size;
    fs.writeSync(fd, Buffer.alloc(4096 * 3, 0xa5), 0, 4096 * 3, Math.floor(size / 2 / 4096) * 4096);
    fs.closeSync(fd);

    const r = await runBin(['--port', '0', '--data-dir', dir]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toContain('is damaged');
    expect(r.stderr).toContain('.recover');
  });
});

describe('the data directory is private', () => {
  it('the folder is 0700 and chat.db, -wal and -shm are 0600', async () => {
    const dir = path.join(makeTempDir(), 'fresh');
    const srv = await spawnServer([], { dataDir: dir });
    const c = await LineClient.loggedIn(srv.port, 'writer');
    c.sendLine('TEXT|to disk');
    await c.expectLine('TEXT|writer|to disk');
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    for (const name of ['chat.db', 'chat.db-wal', 'chat.db-shm']) {
      expect(fs.statSync(path.join(dir, name)).mode & 0o777, name).toBe(0o600);
    }
  });
});
