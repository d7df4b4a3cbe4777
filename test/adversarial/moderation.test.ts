// Moderation under hostile use, on a real server: a banned troll hammering
// the server with new names from its address never gets in and slows
// nobody; non-operators flooding moderation frames get nowhere; and with
// the disk full, an action is either stored and carried out or refused with
// UNAVAILABLE, never half done (a sanction without its log entry, a kick
// nobody can read about).

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fillUp, smallDisk, unmountDisks } from '../helpers/disk.js';
import { LineClient, closeAllClients, isReply } from '../helpers/line-client.js';
import { closeAllServers, killAllChildren, removeTempDirs, spawnServer, startTestServer } from '../helpers/server.js';

const WORST_PING_MS = 1000;

afterEach(async () => {
  await closeAllClients();
  await closeAllServers();
  await killAllChildren();
  unmountDisks();
});

afterAll(() => removeTempDirs());

async function ask(c: LineClient, frame: string, timeoutMs?: number): Promise<string> {
  c.sendLine(frame);
  return c.waitFor(isReply, timeoutMs);
}

async function pingMs(c: LineClient, token: string): Promise<number> {
  const started = performance.now();
  c.sendLine(`PING|${token}`);
  await c.waitFor(`PONG|${token}`, 10_000);
  return performance.now() - started;
}

/** One login attempt from `from`, answered with its first line. */
function attempt(port: number, name: string, from: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from }, () => socket.write(`LOGIN|${name}\n`));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
      const lf = data.indexOf('\n');
      if (lf === -1) return;
      socket.destroy();
      resolve(data.slice(0, lf));
    });
    socket.on('error', reject);
  });
}

describe('a banned troll', () => {
  it('reconnecting under ever new names from its address, 300 times at once, never gets in and does not slow the room', async () => {
    const srv = await startTestServer({ operators: ['alice'] });
    const alice = await LineClient.connect(srv.port);
    await alice.login('alice', 'operator-pw');
    const troll = await LineClient.connect(srv.port, '127.0.0.1', undefined, '127.0.0.31');
    await troll.login('troll');
    const bystander = await LineClient.loggedIn(srv.port, 'bystander');
    expect(await ask(alice, 'BAN|troll|0|spam')).toBe('SYSTEM|you banned troll until lifted: spam');
    await troll.waitClosed();

    const answers: Array<Promise<string>> = [];
    for (let i = 0; i < 300; i++) answers.push(attempt(srv.port, `sock${i}`, '127.0.0.31'));
    const pings: number[] = [];
    for (let i = 0; i < 10; i++) pings.push(await pingMs(bystander, `p${i}`));
    const results = await Promise.all(answers);
    expect(results.filter((r) => !r.startsWith('ERROR|BANNED|your address is banned'))).toEqual([]);
    expect(Math.max(...pings), 'the slowest PING of the bystander').toBeLessThan(WORST_PING_MS);
    bystander.sendLine('TEXT|unbothered');
    await bystander.waitFor('TEXT|bystander|unbothered');
  }, 30_000);
});

describe('non-operators', () => {
  it('flooding KICK and BAN get NOT_ALLOWED, then RATE_LIMITED and the door; nobody is kicked and nothing is logged', async () => {
    const srv = await startTestServer({ operators: ['alice'], rateLimit: 5, rateBurst: 10 });
    const victim = await LineClient.loggedIn(srv.port, 'victim');
    const pest = await LineClient.loggedIn(srv.port, 'pest');
    const burst = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? 'KICK|victim|x\n' : 'BAN|victim|0|x\n')).join('');
    pest.socket.write(burst);
    const seen = await pest.linesUntilQuiet(300, 5_000);
    const codes = new Set(seen.filter((l) => l.startsWith('ERROR|')).map((l) => l.split('|')[1]));
    expect([...codes].sort()).toEqual(['NOT_ALLOWED', 'RATE_LIMITED']);
    expect(await pingMs(victim, 'still-here')).toBeLessThan(WORST_PING_MS);
    victim.sendLine('TEXT|fine');
    await victim.waitFor('TEXT|victim|fine');
    const alice = await LineClient.connect(srv.port);
    await alice.login('alice', 'operator-pw');
    expect(await ask(alice, 'MODLOG')).toBe('SYSTEM|no moderation actions yet');
  });
});


describe('a full disk under moderation', () => {
  it('each MUTE and KICK is stored with its log entry and carried out, or refused with UNAVAILABLE and not done at all', async () => {
    const disk = smallDisk(2048);
    const dataDir = path.join(disk, 'data');
    const srv = await spawnServer(['--rate-limit', '0', '--operator', 'alice'], { dataDir });
    const alice = await LineClient.connect(srv.port);
    await alice.login('alice', 'operator-pw');
    const troll = await LineClient.loggedIn(srv.port, 'troll');
    const filler = fillUp(disk);

    // Room messages until the store refuses one: the disk is really full now.
    let full = false;
    for (let i = 0; i < 200 && !full; i++) {
      alice.sendLine(`TEXT|${i} ${'x'.repeat(1900)}`);
      full = (await alice.waitFor((l) => l.startsWith(`TEXT|alice|${i} `) || l.startsWith('ERROR|'), 10_000)).startsWith('ERROR|');
    }
    expect(full, 'the disk filled up').toBe(true);

    const muted: string[] = [];
    const refused: string[] = [];
    for (let i = 0; i < 40; i++) {
      const answer = await ask(alice, `MUTE|target${i}|0|${'r'.repeat(290)}`, 10_000);
      if (answer.startsWith('SYSTEM|you muted')) muted.push(`target${i}`);
      else {
        expect(answer).toBe('ERROR|UNAVAILABLE|the moderation store could not be written, so nothing was done; try again');
        refused.push(`target${i}`);
      }
    }
    expect(refused.length, 'MUTE refused on a full disk').toBeGreaterThan(0);
    const kick = await ask(alice, 'KICK|troll|disk full', 10_000);
    if (kick.startsWith('ERROR|')) {
      expect(kick).toMatch(/^ERROR\|UNAVAILABLE\|/);
      // Not kicked: still answers.
      troll.sendLine('PING|alive');
      await troll.waitFor('PONG|alive');
    } else {
      await troll.waitClosed();
    }

    fs.unlinkSync(filler);
    expect(await ask(alice, 'MUTE|afterwards|5')).toMatch(/^SYSTEM\|you muted afterwards/);
    srv.kill('SIGTERM');
    expect(await srv.waitExit(8_000)).toEqual({ code: 0, signal: null });

    const db = new Database(path.join(dataDir, 'chat.db'), { readonly: true });
    const sanctions = (db.prepare("SELECT name_key FROM sanctions WHERE kind = 'mute' ORDER BY name_key").all() as Array<{ name_key: string }>).map(
      (r) => r.name_key,
    );
    const logged = db.prepare('SELECT action, target FROM modlog ORDER BY id').all() as Array<{ action: string; target: string }>;
    db.close();
    // Exactly the confirmed ones are stored, each with its log entry; the refused left no trace.
    expect(sanctions).toEqual([...muted, 'afterwards'].sort());
    expect(logged.filter((e) => e.action === 'mute').map((e) => e.target)).toEqual([...muted, 'afterwards']);
    expect(logged.some((e) => e.action === 'kick')).toBe(!kick.startsWith('ERROR|'));
  }, 90_000);
});
