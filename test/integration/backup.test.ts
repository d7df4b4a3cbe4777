// chat-server backup FILE: a consistent copy while the server runs and
// messages keep coming, and a server started on the copy has the history.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { killAllChildren, makeTempDir, removeTempDirs, runBin, spawnServer } from '../helpers/server.js';

afterEach(async () => {
  await closeAllClients();
  await killAllChildren();
});
afterAll(() => removeTempDirs());

describe('chat-server backup FILE', () => {
  it('copies the database while messages are being written; the copy checks out and a server started on it has the history', async () => {
    const srv = await spawnServer(['--rate-limit', '0', '--history-replay', '500']);
    const alice = await LineClient.loggedIn(srv.port, 'alice');
    for (let i = 0; i < 100; i++) alice.sendLine(`TEXT|before ${i}`);
    await alice.waitFor('TEXT|alice|before 99');

    // Messages keep coming while the copy is made.
    let writing = true;
    let sent = 0;
    const writer = (async () => {
      while (writing) {
        alice.sendLine(`TEXT|during ${sent}`);
        await alice.waitFor(`TEXT|alice|during ${sent}`);
        sent++;
      }
    })();
    const file = path.join(makeTempDir(), 'chat-backup.db');
    const r = await runBin(['backup', file, '--data-dir', srv.dataDir]);
    writing = false;
    await writer;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^backed up .*chat\\.db to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ pages, [\\d.]+ KiB\\)\\n$`));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    const copy = new Database(file, { readonly: true });
    const bodies = (copy.prepare('SELECT body FROM room_messages ORDER BY id').all() as Array<{ body: string }>).map((r) => r.body);
    expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
    copy.close();
    // Every message stored before the backup began is in it, in order, and what came during is a prefix of what was sent.
    expect(bodies.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => `before ${i}`));
    expect(bodies.slice(100)).toEqual(Array.from({ length: bodies.length - 100 }, (_, i) => `during ${i}`));

    // Restore: the copy as chat.db of a new data directory.
    const restored = makeTempDir();
    fs.copyFileSync(file, path.join(restored, 'chat.db'));
    const again = await spawnServer(['--history-replay', '500'], { dataDir: restored });
    const bob = await LineClient.connect(again.port);
    const { between } = await bob.login('bob');
    const replayed = between.filter((l) => l.startsWith('HISTORY|'));
    expect(replayed.length).toBe(Math.min(500, bodies.length));
    expect(replayed.at(-1)).toMatch(new RegExp(`\\|${bodies.at(-1)}$`));
  });

  it('refuses to replace a file without --force, a data directory without a database, and cluster mode', async () => {
    const srv = await spawnServer([]);
    const file = path.join(makeTempDir(), 'copy.db');
    fs.writeFileSync(file, 'keep me');
    const refused = await runBin(['backup', file, '--data-dir', srv.dataDir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`chat-server backup: ${file} exists; give --force to replace it\n`);
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
    const forced = await runBin(['backup', file, '--data-dir', srv.dataDir, '--force']);
    expect(forced.code, forced.stderr).toBe(0);

    const empty = makeTempDir();
    const none = await runBin(['backup', path.join(empty, 'x.db'), '--data-dir', empty]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no database at ${path.join(empty, 'chat.db')}`);

    const cluster = await runBin(['backup', path.join(empty, 'x.db')], { env: { CHAT_REDIS_URL: 'redis://127.0.0.1:6379' } });
    expect(cluster.code).toBe(2);
    expect(cluster.stderr).toContain('in cluster mode the data is in Redis');
    expect(fs.readdirSync(empty)).toEqual([]);
  });

  it('finds the data directory in the config file', async () => {
    const srv = await spawnServer([]);
    const config = path.join(makeTempDir(), 'chat.toml');
    fs.writeFileSync(config, `data-dir = ${JSON.stringify(srv.dataDir)}\n`);
    const file = path.join(makeTempDir(), 'copy.db');
    const r = await runBin(['backup', file, '--config', config]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`backed up ${path.join(srv.dataDir, 'chat.db')} to ${file}`);
  });
});
