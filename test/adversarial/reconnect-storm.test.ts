// Thousands of clients coming back into one lobby after a restart, a few
// dozen logins in flight at a time (jittered backoff): the lobby is a big
// room, written on a short timer, so each login costs the others no socket
// write of its own. Everyone already there sees every join notice, once
// and in order; a login's own lines stay in contract order; a bystander's
// PING stays fast; and leaving in a crowd is as cheap.

import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BIG_ROOM_MEMBERS } from '../../src/server/output-turn.js';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, startTestServer } from '../helpers/server.js';

const WORST_PING_MS = 1000;
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await closeAllClients();
  await closeAllServers();
});

afterAll(() => removeTempDirs());

/** Logs `names` in, at most `inFlight` at a time; resolves once each has its own join notice. Reads and drops the rest. */
function trickle(port: number, names: readonly string[], inFlight: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let done = 0;
    const start = (): void => {
      while (next < names.length && next - done < inFlight) {
        const name = names[next++]!;
        const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(`LOGIN|${name}\n`));
        sockets.push(socket);
        const want = `SYSTEM|${name} joined lobby\n`;
        let seen = '';
        let finished = false;
        socket.setEncoding('latin1');
        socket.on('data', (chunk: string) => {
          if (finished) return;
          seen += chunk;
          if (!seen.includes(want)) return;
          // The contract's order: SUCCESS first, then (history and) the join notice.
          if (!seen.startsWith(`SUCCESS|Welcome, ${name}!`)) reject(new Error(`${name} got ${JSON.stringify(seen.slice(0, 80))} first`));
          finished = true;
          seen = '';
          if (++done === names.length) resolve();
          else start();
        });
        socket.on('error', reject);
      }
    };
    start();
  });
}

describe('a reconnect storm into one big lobby', () => {
  it('2,500 in and 1,000 more trickling in, 64 at a time: each newcomer’s notice reaches those there once, and PING stays fast', async () => {
    const srv = await startTestServer({ maxConnections: 5_000 });
    const watcher = await LineClient.loggedIn(srv.port, 'watcher');
    const first = Array.from({ length: 2_500 }, (_, i) => `early${i}`);
    await trickle(srv.port, first, 256);
    expect(first.length + 1).toBeGreaterThan(BIG_ROOM_MEMBERS);
    await watcher.waitFor('SYSTEM|early2499 joined lobby', 30_000);

    const bystander = await LineClient.loggedIn(srv.port, 'bystander');
    await watcher.waitFor('SYSTEM|bystander joined lobby', 5_000);
    const later = Array.from({ length: 1_000 }, (_, i) => `late${i}`);
    const storm = trickle(srv.port, later, 64);
    const pings: number[] = [];
    let stormOver = false;
    void storm.finally(() => (stormOver = true));
    for (let i = 0; !stormOver && i < 200; i++) {
      const started = performance.now();
      bystander.sendLine(`PING|p${i}`);
      await bystander.waitFor(`PONG|p${i}`, 10_000);
      pings.push(performance.now() - started);
    }
    await storm;
    expect(pings.length).toBeGreaterThan(0);
    expect(Math.max(...pings), 'the slowest PING of the bystander during the storm').toBeLessThan(WORST_PING_MS);

    // The watcher, there all along, got each newcomer's notice, once.
    const joined = (await watcher.collectUntil('SYSTEM|late999 joined lobby', 30_000))
      .filter((l) => /^SYSTEM\|late\d+ joined lobby$/.test(l))
      .map((l) => l.slice('SYSTEM|'.length, -' joined lobby'.length));
    expect(new Set(joined).size).toBe(joined.length);
    expect(joined.sort()).toEqual([...later].sort());

    // And all leaving at once is cheap too: the bystander is told, and still answered promptly.
    for (const s of sockets.splice(0)) s.destroy();
    await bystander.waitFor('SYSTEM|late999 left lobby (connection closed)', 30_000);
    expect(await pingOnce(bystander)).toBeLessThan(WORST_PING_MS);
  }, 120_000);
});

async function pingOnce(c: LineClient): Promise<number> {
  const started = performance.now();
  c.sendLine('PING|after');
  await c.waitFor('PONG|after', 10_000);
  return performance.now() - started;
}
