// GET /metrics and GET /healthz on --metrics-port, against a real server.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients, eventually } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, runBin, startTestServer } from '../helpers/server.js';

afterEach(async () => {
  await closeAllClients();
  await closeAllServers();
});
afterAll(() => removeTempDirs());

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** The value of one sample line (`name{labels} value`), undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('--metrics-port', () => {
  it('serves the chat figures, counted as they happen, and the process and Node metrics', async () => {
    const srv = await startTestServer({ metricsPort: 0, rateLimit: 0 });
    const port = srv.metricsPort!;
    const alice = await LineClient.loggedIn(srv.port, 'alice');
    const bob = await LineClient.loggedIn(srv.port, 'bob');
    alice.sendLine('JOIN|den');
    await alice.waitFor('SYSTEM|alice joined den');
    alice.sendLine('TEXT|one');
    alice.sendLine('TEXT|two');
    await alice.waitFor('TEXT|alice|two');
    alice.sendLine('PRIVATE|bob|psst');
    await bob.waitFor('PRIVATE|alice|psst');
    alice.sendLine('NOSUCH|frame');
    await alice.waitFor((l) => l.startsWith('ERROR|'));
    const carol = await LineClient.loggedIn(srv.port, 'carol');
    carol.close();

    let text = '';
    await eventually(async () => {
      text = (await get(port, '/metrics')).body;
      return sample(text, 'chat_disconnects_total{reason="peer-closed"}') === 1;
    }, 5000, 'the disconnect counted');
    const res = await get(port, '/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(text, 'chat_connections')).toBe(2);
    expect(sample(text, 'chat_users_online')).toBe(2);
    expect(sample(text, 'chat_rooms')).toBe(2);
    expect(sample(text, 'chat_messages_total{kind="room"}')).toBe(2);
    expect(sample(text, 'chat_messages_total{kind="private"}')).toBe(1);
    expect(sample(text, 'chat_messages_not_stored_total')).toBe(0);
    expect(text).toMatch(/^chat_errors_total\{code="[A-Z_]+"\} 1$/m);
    expect(sample(text, 'chat_store_commit_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'chat_output_queue_bytes')).toBe(0);
    expect(text).toContain('# TYPE chat_store_commit_seconds histogram');
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
  });

  it('/healthz: 200 while the server takes connections; anything else is 404, and only GET and HEAD', async () => {
    const srv = await startTestServer({ metricsPort: 0 });
    const port = srv.metricsPort!;
    expect(await get(port, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await get(port, '/healthz', 'HEAD')).toMatchObject({ status: 200, body: '' });
    expect((await get(port, '/')).status).toBe(404);
    expect((await get(port, '/metrics', 'POST')).status).toBe(405);
  });

  it('is off by default; with --workers it is refused (the workers would share its port)', async () => {
    const srv = await startTestServer({});
    expect(srv.metricsPort).toBeUndefined();
    const r = await runBin(['--workers', '2', '--redis', 'redis://127.0.0.1:1', '--metrics-port', '9100']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--metrics-port does not go with --workers above 1');
  });
});
