// `chat-server --workers N --redis URL`: N processes on one port
// (node:cluster), each a node of the cluster. The built bin (run
// `npm run build` first).

import { describe, expect, it } from 'vitest';
import { CROSS_MS, useSharedRedis } from '../helpers/cluster.js';
import { LineClient } from '../helpers/line-client.js';
import { freePort } from '../helpers/redis.js';
import { runBin, spawnServer, type SpawnedServer } from '../helpers/server.js';

const redis = useSharedRedis();


/** Waits until `count` JSON "listening" log lines are in the bin's stderr; returns their ports. */
async function listeningPorts(server: SpawnedServer, count: number, timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ports: number[] = [];
    for (const line of server.stderr().split('\n')) {
      if (!line.includes('"listening"')) continue;
      try {
        const entry = JSON.parse(line) as { event?: string; port?: number };
        if (entry.event === 'listening' && typeof entry.port === 'number') ports.push(entry.port);
      } catch {
        // partial line
      }
    }
    if (ports.length >= count) return ports;
    if (Date.now() > deadline) throw new Error(`${ports.length} of ${count} workers listening after ${timeoutMs} ms; stderr: ${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stat(line: string, key: string): number {
  const m = new RegExp(`\\|${key}=([0-9]+)(\\||$)`).exec(line);
  if (!m) throw new Error(`no ${key} in ${JSON.stringify(line)}`);
  return Number(m[1]);
}

describe('--workers 2 --redis URL', () => {
  it('two clients on the one port land on two worker nodes and talk; SIGTERM on the primary exits 0 within a few seconds', async () => {
    const port = await freePort();
    const server = await spawnServer(['--workers', '2', '--redis', redis.url, '--port', String(port)]);
    const ports = await listeningPorts(server, 2);
    expect(ports).toEqual([port, port]);

    const alice = await LineClient.loggedIn(port, 'alice');
    const bob = await LineClient.loggedIn(port, 'bob');
    await alice.waitFor('SYSTEM|bob joined lobby', CROSS_MS);
    alice.sendLine('TEXT|hi bob');
    await bob.waitFor('TEXT|alice|hi bob', CROSS_MS);
    bob.sendLine('PRIVATE|alice|hi alice');
    await alice.waitFor('PRIVATE|bob|hi alice', CROSS_MS);
    bob.sendLine('USERS');
    expect(await bob.waitFor('USERS|', CROSS_MS)).toBe('USERS|2|alice,bob');

    // Each worker is a node: two of them, one user each (connections are handed out in turn).
    alice.sendLine('STATS');
    const fromAlice = await alice.waitFor('STATS|', CROSS_MS);
    bob.sendLine('STATS');
    const fromBob = await bob.waitFor('STATS|', CROSS_MS);
    expect(stat(fromAlice, 'cluster_nodes')).toBe(2);
    expect(stat(fromAlice, 'cluster_users')).toBe(2);
    expect([stat(fromAlice, 'users'), stat(fromBob, 'users')]).toEqual([1, 1]);

    const started = Date.now();
    server.kill('SIGTERM');
    const exit = await server.waitExit(8_000);
    expect(exit, `stderr: ${server.stderr()}`).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(6_000);
    for (const c of [alice, bob]) {
      await c.waitFor('SYSTEM|the server is shutting down; goodbye', CROSS_MS);
      await c.waitClosed(CROSS_MS);
    }
  }, 40_000);

  it('--workers 2 without --redis (or CHAT_REDIS_URL) exits 2 with a one-line message', async () => {
    const saved = process.env.CHAT_REDIS_URL;
    delete process.env.CHAT_REDIS_URL;
    try {
      const result = await runBin(['--workers', '2', '--port', '0']);
      expect(result.code).toBe(2);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/--redis/);
      expect(result.stdout).toBe('');
    } finally {
      if (saved !== undefined) process.env.CHAT_REDIS_URL = saved;
    }
  });

  it('--redis pointing at no Redis: the bin exits 1 within a few seconds with a one-line reason', async () => {
    const nowhere = await freePort();
    const started = Date.now();
    const result = await runBin(['--redis', `redis://127.0.0.1:${nowhere}`, '--port', '0'], 15_000);
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    const lines = result.stderr.trimEnd().split('\n').filter((l) => l.startsWith('chat-server:'));
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/redis/i);
  }, 20_000);
});
