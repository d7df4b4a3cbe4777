// Cluster mode: each node's metrics carry its node id, and its health check
// writes to Redis.

import { describe, expect, it } from 'vitest';
import { useSharedRedis } from '../helpers/cluster.js';
import { LineClient } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/server.js';

const redis = useSharedRedis();

describe('--metrics-port on cluster nodes', () => {
  it('labels every chat series with the node, counts what happened on that node, and /healthz answers 200', async () => {
    const a = await startTestServer({ redisUrl: redis.url, metricsPort: 0 });
    const b = await startTestServer({ redisUrl: redis.url, metricsPort: 0 });
    const alice = await LineClient.loggedIn(a.port, 'metricsalice');
    await LineClient.loggedIn(b.port, 'metricsbob');
    alice.sendLine('TEXT|across');
    await alice.waitFor('TEXT|metricsalice|across');
    const scrape = async (port: number): Promise<string> => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const [textA, textB] = await Promise.all([scrape(a.metricsPort!), scrape(b.metricsPort!)]);
    const nodeOf = (text: string): string => /^chat_connections\{node="([^"]+)"\} 1$/m.exec(text)?.[1] ?? '';
    expect(nodeOf(textA)).not.toBe('');
    expect(nodeOf(textB)).not.toBe('');
    expect(nodeOf(textA)).not.toBe(nodeOf(textB));
    expect(textA).toMatch(new RegExp(`^chat_messages_total\\{kind="room",node="${nodeOf(textA)}"\\} 1$`, 'm'));
    expect(textB).toMatch(new RegExp(`^chat_messages_total\\{kind="room",node="${nodeOf(textB)}"\\} 0$`, 'm'));
    const health = await fetch(`http://127.0.0.1:${b.metricsPort!}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok\n']);
  });
});
