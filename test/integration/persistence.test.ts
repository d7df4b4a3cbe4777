// Persistence: room history and accounts across restarts (in-process and
// the built bin, SIGKILL included), offline private messages, and shutdown
// on SIGTERM/SIGINT.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients, parseHistory } from '../helpers/line-client.js';
import {
  closeAllServers,
  killAllChildren,
  makeTempDir,
  removeTempDirs,
  spawnServer,
  startTestServer,
} from '../helpers/server.js';

afterEach(async () => {
  await closeAllClients();
  await closeAllServers();
  await killAllChildren();
});

afterAll(() => removeTempDirs());

const systemNaming =
  (name: string) =>
  (line: string): boolean =>
    line.startsWith('SYSTEM|') && line.includes(name);

describe('in-process restart', () => {
  it('close() tells everyone it is shutting down; room history survives a restart on the same data dir', async () => {
    const dataDir = makeTempDir();
    const first = await startTestServer({ dataDir, rateLimit: 0 });
    const alice = await LineClient.loggedIn(first.port, 'alice');
    const bob = await LineClient.loggedIn(first.port, 'bob');
    await alice.waitFor(systemNaming('bob'));
    for (const m of ['m1', 'm2 | with bar', 'm3 ünïcödé 小明']) {
      alice.sendLine(`TEXT|${m}`);
      await alice.expectLine(`TEXT|alice|${m}`);
      await bob.expectLine(`TEXT|alice|${m}`);
    }
    bob.sendLine('JOIN|den');
    await bob.waitFor(systemNaming('bob'));
    await alice.waitFor(systemNaming('bob'));
    bob.sendLine('TEXT|d1');
    await bob.waitFor('TEXT|bob|d1');

    await first.close();
    for (const c of [alice, bob]) {
      const notice = await c.waitFor(/^SYSTEM\|/);
      expect(notice).toMatch(/shutting down/i);
      await c.waitClosed();
    }

    const second = await startTestServer({ dataDir, rateLimit: 0 });
    const carol = await LineClient.connect(second.port);
    const login = await carol.login('carol');
    expect(login.between.map((l) => parseHistory(l).message)).toEqual(['m1', 'm2 | with bar', 'm3 ünïcödé 小明']);
    expect(login.between.map((l) => parseHistory(l).from)).toEqual(['alice', 'alice', 'alice']);
    carol.sendLine('HISTORY|50');
    expect((await carol.lines(3)).map((l) => parseHistory(l).message)).toEqual(['m1', 'm2 | with bar', 'm3 ünïcödé 小明']);
    await carol.expectNoLine(200);
    carol.sendLine('JOIN|den');
    const denLines = await carol.collectUntil(systemNaming('carol'));
    expect(denLines.filter((l) => l.startsWith('HISTORY|')).map((l) => parseHistory(l).message)).toEqual(['d1']);
  });

  it('accounts survive a restart', async () => {
    const dataDir = makeTempDir();
    const first = await startTestServer({ dataDir });
    const owner = await LineClient.connect(first.port);
    await owner.login('keeper', 'open-sesame');
    await first.close();

    const second = await startTestServer({ dataDir });
    const c = await LineClient.connect(second.port);
    c.sendLine('LOGIN|keeper');
    expect(await c.nextLine()).toMatch(/^ERROR\|PASSWORD_REQUIRED\|/);
    c.sendLine('LOGIN|keeper|open');
    expect(await c.nextLine()).toMatch(/^ERROR\|BAD_PASSWORD\|/);
    await c.login('keeper', 'open-sesame');
  });
});

describe('offline private messages', () => {
  it('keeps PRIVATE to an offline registered user and delivers it after the next login, once', async () => {
    const srv = await startTestServer();
    const alice = await LineClient.loggedIn(srv.port, 'alice');
    const bob = await LineClient.connect(srv.port);
    await bob.login('bob', 'pw-long-1');
    await alice.waitFor(systemNaming('bob'));
    alice.sendLine('TEXT|room message');
    await alice.expectLine('TEXT|alice|room message');
    bob.sendLine('LOGOUT');
    await bob.waitClosed();
    await alice.waitFor(systemNaming('bob'));

    // SENT comes back (a SYSTEM notice about the delivery may come with it).
    for (const message of ['while you were out', 'second | note']) {
      alice.sendLine(`PRIVATE|bob|${message}`);
      const lines = await alice.collectUntil(/^(SENT|ERROR)\|/);
      expect(lines[lines.length - 1]).toBe(`SENT|bob|${message}`);
      for (const other of lines.slice(0, -1)) expect(other).toMatch(/^SYSTEM\|/);
    }

    const back = await LineClient.connect(srv.port);
    const login = await back.login('bob', 'pw-long-1');
    // SUCCESS, HISTORY, the join SYSTEM line, then the kept messages.
    expect(login.between.map((l) => parseHistory(l).message)).toEqual(['room message']);
    // A SYSTEM notice about them may come first; nothing else.
    const after = await back.collectUntil('PRIVATE|alice|second');
    expect(after.filter((l) => !l.startsWith('SYSTEM|'))).toEqual([
      'PRIVATE|alice|while you were out',
      'PRIVATE|alice|second | note',
    ]);
    await back.expectNoLine(300);

    // Delivered once: not again on the next login, and never in HISTORY.
    back.sendLine('HISTORY');
    expect(parseHistory(await back.nextLine()).message).toBe('room message');
    await back.expectNoLine(200);
    back.sendLine('LOGOUT');
    await back.waitClosed();
    const again = await LineClient.connect(srv.port);
    await again.login('bob', 'pw-long-1');
    await again.expectNoLine(300);
  });
});

describe('the built bin', () => {
  it('after SIGKILL and a restart, HISTORY has every message that was relayed before the kill', async () => {
    const dataDir = makeTempDir();
    const first = await spawnServer(['--rate-limit', '0'], { dataDir });
    const alice = await LineClient.loggedIn(first.port, 'alice');
    const relayed: string[] = [];
    for (let i = 0; i < 30; i++) {
      alice.sendLine(`TEXT|one by one ${i}`);
      await alice.expectLine(`TEXT|alice|one by one ${i}`);
      relayed.push(`one by one ${i}`);
    }
    alice.send(Array.from({ length: 200 }, (_, i) => `TEXT|burst ${i}\n`).join(''));
    await alice.waitFor('TEXT|alice|burst ', 3_000);
    relayed.push('burst 0');
    first.kill('SIGKILL');
    const exit = await first.waitExit(5_000);
    expect(exit.signal).toBe('SIGKILL');
    for (const line of await alice.linesUntilQuiet(300, 3_000)) {
      if (line.startsWith('TEXT|alice|')) relayed.push(line.slice('TEXT|alice|'.length));
    }

    const second = await spawnServer(['--rate-limit', '0'], { dataDir });
    const bob = await LineClient.connect(second.port);
    await bob.login('bob');
    bob.sendLine('HISTORY|500');
    const history = (await bob.linesUntilQuiet(500, 5_000)).filter((l) => l.startsWith('HISTORY|')).map((l) => parseHistory(l).message);
    const kept = new Set(history);
    const missing = relayed.filter((m) => !kept.has(m));
    expect(missing, `${relayed.length} relayed, ${history.length} in history`).toEqual([]);
    const relayedSet = new Set(relayed);
    expect(history.filter((m) => relayedSet.has(m))).toEqual(relayed);
    second.kill('SIGTERM');
    await second.waitExit(5_000);
  });

  it('accounts survive a restart of the bin', async () => {
    const dataDir = makeTempDir();
    const first = await spawnServer([], { dataDir });
    const owner = await LineClient.connect(first.port);
    await owner.login('binkeeper', 'open-sesame');
    first.kill('SIGTERM');
    expect((await first.waitExit(5_000)).code).toBe(0);

    const second = await spawnServer([], { dataDir });
    const c = await LineClient.connect(second.port);
    c.sendLine('LOGIN|binkeeper');
    expect(await c.nextLine()).toMatch(/^ERROR\|PASSWORD_REQUIRED\|/);
    await c.login('binkeeper', 'open-sesame');
  });

  it('a client that stops reading does not hold up the exit on SIGTERM', async () => {
    const srv = await spawnServer();
    const stuck = await LineClient.loggedIn(srv.port, 'stuck');
    const alice = await LineClient.loggedIn(srv.port, 'alice');
    await stuck.waitFor(systemNaming('alice'));
    stuck.pause();
    const t0 = Date.now();
    srv.kill('SIGTERM');
    expect(await alice.waitFor(/^SYSTEM\|/, 3_000)).toMatch(/^SYSTEM\|/);
    expect(await srv.waitExit(6_000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(6_000);
  });

  it('a second signal exits at once', async () => {
    const srv = await spawnServer();
    const stuck = await LineClient.loggedIn(srv.port, 'stuck');
    stuck.pause(); // keeps the first shutdown waiting for this client
    srv.kill('SIGTERM');
    const first = await Promise.race([srv.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 200))]);
    if (first === 'running') {
      const t1 = Date.now();
      srv.kill('SIGINT');
      await srv.waitExit(3_000);
      expect(Date.now() - t1, 'ms from the second signal to the exit').toBeLessThan(700);
    } else {
      // The first shutdown was already done: it must have been a clean one.
      expect(first).toEqual({ code: 0, signal: null });
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal} sends everyone a SYSTEM line and exits 0 quickly`, async () => {
      const srv = await spawnServer();
      const alice = await LineClient.loggedIn(srv.port, 'alice');
      const bob = await LineClient.loggedIn(srv.port, 'bob');
      await alice.waitFor(systemNaming('bob'));
      const guest = await LineClient.connect(srv.port);
      guest.sendLine('PING|guest');
      await guest.expectLine('PONG|guest');
      const t0 = Date.now();
      srv.kill(signal);
      for (const c of [alice, bob]) {
        expect(await c.waitFor(/^SYSTEM\|/, 3_000)).toMatch(/^SYSTEM\|.+/);
      }
      const exit = await srv.waitExit(5_000);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - t0).toBeLessThan(5_000);
      for (const c of [alice, bob, guest]) await c.waitClosed(1_000);
    });
  }
});
