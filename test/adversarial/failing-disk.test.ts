// A full disk under the server: "stored, then relayed" must hold. Every
// message is either stored and relayed, or refused to its sender with
// UNAVAILABLE and seen by nobody; the server recovers by itself when space
// returns. The data directory sits on a small tmpfs of its own that the
// test fills up (the test runs as root, as CI does, to mount it).

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fillUp, smallDisk, unmountDisks } from '../helpers/disk.js';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { killAllChildren, removeTempDirs, runBin, spawnServer } from '../helpers/server.js';


afterEach(async () => {
  await closeAllClients();
  await killAllChildren();
  unmountDisks();
});

afterAll(() => removeTempDirs());


describe('a disk that fills up', () => {
  it('refuses what it cannot store with UNAVAILABLE, relays only what it stored, and recovers when space returns', async () => {
    const disk = smallDisk(2048);
    const dataDir = path.join(disk, 'data');
    const srv = await spawnServer(['--rate-limit', '0'], { dataDir });
    const alice = await LineClient.loggedIn(srv.port, 'alice');
    const bob = await LineClient.loggedIn(srv.port, 'bob');
    await alice.waitFor('SYSTEM|bob joined lobby');
    alice.sendLine('TEXT|before');
    await bob.waitFor('TEXT|alice|before');

    const filler = fillUp(disk);
    const sent = 30;
    const refused: number[] = [];
    for (let i = 0; i < sent; i++) {
      alice.sendLine(`TEXT|${i} ${'x'.repeat(1900)}`);
      const answer = await alice.waitFor((l) => l.startsWith(`TEXT|alice|${i} `) || l.startsWith('ERROR|'), 10_000);
      if (answer.startsWith('ERROR|')) {
        expect(answer).toMatch(/^ERROR\|UNAVAILABLE\|/);
        refused.push(i);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(refused.length, 'the full disk refused some messages').toBeGreaterThan(0);

    // Space returns: the next message is stored and relayed without a restart.
    fs.unlinkSync(filler);
    alice.sendLine('TEXT|after');
    const seenByBob = (await bob.collectUntil('TEXT|alice|after', 10_000)).filter((l) => l.startsWith('TEXT|alice|'));

    srv.kill('SIGTERM');
    expect(await srv.waitExit(8_000)).toEqual({ code: 0, signal: null });

    const db = new Database(path.join(dataDir, 'chat.db'), { readonly: true });
    const stored = new Set((db.prepare('SELECT body FROM room_messages').all() as Array<{ body: string }>).map((r) => r.body));
    db.close();
    const bobSaw = new Set(seenByBob.map((l) => l.slice('TEXT|alice|'.length)));
    // Nothing anyone saw is missing from the database…
    for (const body of bobSaw) expect(stored.has(body), body.slice(0, 20)).toBe(true);
    // …and nothing refused reached anyone.
    for (const i of refused) expect([...bobSaw].some((b) => b.startsWith(`${i} `)), `message ${i}`).toBe(false);
    expect(stored.has('after')).toBe(true);
  }, 60_000);
});

describe('a data directory that cannot be written', () => {
  it('names the real problem (a read-only file system), not a listening one, in one line with exit 1', async () => {
    const disk = smallDisk(64, true);
    const r = await runBin(['--port', '0', '--data-dir', path.join(disk, 'data')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`chat-server: cannot start: cannot create the data directory ${path.join(disk, 'data')}: read-only file system`]);
  });
});
