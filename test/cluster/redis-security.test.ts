// Cluster mode against a Redis that wants a password, and one reached over
// TLS (rediss://, a private CA given with --redis-ca): two nodes share a
// room through each, and the password never shows in logs or errors.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeCa, makeServerCert } from '../helpers/certs.js';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { freePort, startRedis, type RedisInstance } from '../helpers/redis.js';
import { closeAllServers, removeTempDirs, startTestServer } from '../helpers/server.js';
import { createLogger } from '../../src/server/log.js';

const redises: RedisInstance[] = [];

afterEach(async () => {
  await closeAllClients();
  await closeAllServers();
  for (const r of redises.splice(0)) await r.destroy();
});
afterAll(() => removeTempDirs());

/** Two nodes on `redisUrl`: a message said on one reaches a member on the other. */
async function twoNodesShareARoom(redisUrl: string, extra: { redisCa?: string } = {}): Promise<void> {
  const a = await startTestServer({ redisUrl, ...extra });
  const b = await startTestServer({ redisUrl, ...extra });
  const alice = await LineClient.loggedIn(a.port, 'alice');
  const bob = await LineClient.loggedIn(b.port, 'bob');
  await alice.waitFor('SYSTEM|bob joined lobby', 3000);
  alice.sendLine('TEXT|across nodes');
  await bob.waitFor('TEXT|alice|across nodes', 3000);
}

describe('Redis with a password', () => {
  it('redis://:secret@host works; a wrong password fails the start with the reason, and the password is never printed', async () => {
    const redis = await startRedis(['--requirepass', 'pa55-w0rd']);
    redises.push(redis);
    const url = `redis://:pa55-w0rd@127.0.0.1:${redis.port}`;
    await twoNodesShareARoom(url);

    const logLines: string[] = [];
    const log = createLogger({ level: 'debug', json: true }, (line) => logLines.push(line));
    const wrong = `redis://:not-it@127.0.0.1:${redis.port}`;
    const failure = await startTestServer({ redisUrl: wrong }, { log }).then(
      () => undefined,
      (err: unknown) => (err as Error).message,
    );
    expect(failure).toMatch(new RegExp(`^cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port} \\(.*(WRONGPASS|invalid).*\\)$`));
    expect(failure).not.toContain('not-it');
    expect(logLines.join('\n')).not.toContain('not-it');
  }, 30_000);

  it("the listening line names Redis without the password", async () => {
    const redis = await startRedis(['--requirepass', 'pa55-w0rd']);
    redises.push(redis);
    const logLines: string[] = [];
    const log = createLogger({ level: 'info', json: true }, (line) => logLines.push(line));
    await startTestServer({ redisUrl: `redis://:pa55-w0rd@127.0.0.1:${redis.port}` }, { log });
    const listening = logLines.find((l) => l.includes('"listening"'));
    expect(listening).toContain(`redis://:***@127.0.0.1:${redis.port}`);
    expect(logLines.join('\n')).not.toContain('pa55-w0rd');
  });
});

describe('Redis over TLS', () => {
  it('rediss:// with --redis-ca: two nodes share a room; without the CA the start fails and says why', async () => {
    const files = makeServerCert(makeCa());
    const tlsPort = await freePort();
    const redis = await startRedis([
      '--tls-port', String(tlsPort),
      '--tls-cert-file', files.certFile,
      '--tls-key-file', files.keyFile,
      '--tls-ca-cert-file', files.caFile,
      '--tls-auth-clients', 'no',
    ]);
    redises.push(redis);
    const url = `rediss://127.0.0.1:${tlsPort}`;
    await twoNodesShareARoom(url, { redisCa: files.caFile });

    const untrusted = await startTestServer({ redisUrl: url }).then(
      () => undefined,
      (err: unknown) => (err as Error).message,
    );
    expect(untrusted).toMatch(new RegExp(`^cannot reach Redis at rediss://127\\.0\\.0\\.1:${tlsPort} \\(.*(certificate|verify).*\\)$`));
    const missing = await startTestServer({ redisUrl: url, redisCa: `${files.dir}/nope.pem` }).then(
      () => undefined,
      (err: unknown) => (err as Error).message,
    );
    expect(missing).toBe(`cannot read --redis-ca ${files.dir}/nope.pem: ENOENT`);
  }, 30_000);
});
