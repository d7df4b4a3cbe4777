// A peer that vanished must not keep its name: the write deadline drops a
// connection whose output stopped moving, and a registered user can take
// their name back from a stale connection of their own with the password.

import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, startTestServer } from '../helpers/server.js';

const raws: net.Socket[] = [];

afterEach(async () => {
  for (const r of raws.splice(0)) r.destroy();
  await closeAllClients();
});

afterAll(async () => {
  await closeAllServers();
  removeTempDirs();
});

/** Logs in on a raw socket that then reads nothing more: a peer that went away without closing. */
async function vanishingPeer(port: number, login: string): Promise<net.Socket> {
  const raw = net.connect({ port, host: '127.0.0.1' });
  raws.push(raw);
  raw.on('error', () => {});
  await new Promise<void>((resolve) => {
    let seen = '';
    raw.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes('SUCCESS|') && seen.includes('joined lobby')) {
        raw.pause();
        resolve();
      }
    });
    raw.write(`${login}\n`);
  });
  return raw;
}

describe('the write deadline', () => {
  it('drops a peer whose output stopped moving; its room is told and its name is free again', async () => {
    // A large output cap, so only the deadline can act.
    const srv = await startTestServer({ rateLimit: 0, writeTimeoutMs: 1000, outputCapBytes: 64 * 1024 * 1024 });
    const talker = await LineClient.loggedIn(srv.port, 'talker');
    await vanishingPeer(srv.port, 'LOGIN|ghost');
    await talker.waitFor('SYSTEM|ghost joined lobby');
    // More than the socket buffers hold, so output waits for a reader that never comes.
    const filler = 'z'.repeat(1900);
    for (let burst = 0; burst < 40; burst++) {
      talker.socket.write(`TEXT|${burst} ${filler}\n`.repeat(100));
      await new Promise((r) => setTimeout(r, 20));
    }
    const left = await talker.waitFor((l) => l.startsWith('SYSTEM|ghost left lobby'), 15_000);
    expect(left).toBe('SYSTEM|ghost left lobby (not reading)');
    const back = await LineClient.connect(srv.port);
    expect((await back.login('ghost')).success).toMatch(/^SUCCESS\|/);
  }, 30_000);
});

describe('taking a name back', () => {
  it('a registered user logging in again with the password replaces their stale connection', async () => {
    const srv = await startTestServer();
    const first = await LineClient.connect(srv.port);
    await first.login('owner', 'secret-pw');
    const watcher = await LineClient.loggedIn(srv.port, 'watcher');
    await first.waitFor('SYSTEM|watcher joined lobby');

    // Without the password, or with a wrong one, the name stays taken.
    const noPassword = await LineClient.connect(srv.port);
    noPassword.sendLine('LOGIN|owner');
    expect(await noPassword.nextLine()).toMatch(/^ERROR\|NAME_TAKEN\|/);
    const wrong = await LineClient.connect(srv.port);
    wrong.sendLine('LOGIN|owner|guess');
    expect(await wrong.nextLine()).toMatch(/^ERROR\|BAD_PASSWORD\|/);

    const again = await LineClient.connect(srv.port);
    const { success } = await again.login('owner', 'secret-pw');
    expect(success).toMatch(/^SUCCESS\|Welcome, owner!/);
    expect(await first.waitFor('SYSTEM|you logged in')).toBe('SYSTEM|you logged in as owner from another connection; this one is closed');
    await first.waitClosed();
    expect(await watcher.waitFor('SYSTEM|owner left')).toBe('SYSTEM|owner left lobby (logged in again elsewhere)');
    watcher.sendLine('TEXT|hello owner');
    expect(await again.waitFor('TEXT|watcher|')).toBe('TEXT|watcher|hello owner');
  });

  it("a guest's name cannot be taken over, nor registered from under them", async () => {
    const srv = await startTestServer();
    await LineClient.loggedIn(srv.port, 'guesty');
    const other = await LineClient.connect(srv.port);
    other.sendLine('LOGIN|guesty|mine-now');
    expect(await other.nextLine()).toMatch(/^ERROR\|NAME_TAKEN\|/);
  });
});
