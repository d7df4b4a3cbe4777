// A client that asks for a lot and reads all of it is not a slow consumer:
// HISTORY answers are produced as the socket drains, in order.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, startTestServer } from '../helpers/server.js';

afterEach(async () => {
  await closeAllClients();
});

afterAll(async () => {
  await closeAllServers();
  removeTempDirs();
});

describe('large answers a client asked for', () => {
  it('HISTORY|500 five times at once, of 1,900-character messages: all 2,500 lines, in order, and the client stays', async () => {
    const srv = await startTestServer({ rateLimit: 0 });
    const writer = await LineClient.loggedIn(srv.port, 'writer');
    for (let i = 0; i < 500; i++) writer.sendLine(`TEXT|${i} ${'h'.repeat(1900)}`);
    await writer.waitFor((l) => l.startsWith('TEXT|writer|499 '), 20_000);

    const reader = await LineClient.loggedIn(srv.port, 'reader');
    reader.socket.write('HISTORY|500\n'.repeat(5) + 'PING|done\n');
    const lines = await reader.collectUntil('PONG|done', 30_000);
    const history = lines.filter((l) => l.startsWith('HISTORY|'));
    expect(history).toHaveLength(2500);
    const numbers = history.map((l) => Number(/\|writer\|(\d+) /.exec(l)![1]));
    expect(numbers).toEqual(Array.from({ length: 2500 }, (_, i) => i % 500));
    reader.sendLine('PING|alive');
    expect(await reader.waitFor('PONG|alive')).toBe('PONG|alive');
  }, 60_000);
});
