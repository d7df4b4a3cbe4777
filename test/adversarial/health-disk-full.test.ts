// /healthz on a disk that fills up: 503 with the reason while the store
// cannot write, 200 again by itself once space returns. The data directory
// sits on a small tmpfs of its own (the test runs as root, as CI does).

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fillUp, smallDisk, unmountDisks } from '../helpers/disk.js';
import { LineClient, closeAllClients, eventually } from '../helpers/line-client.js';
import { killAllChildren, removeTempDirs, spawnServer } from '../helpers/server.js';

afterEach(async () => {
  await closeAllClients();
  await killAllChildren();
  unmountDisks();
});
afterAll(() => removeTempDirs());

async function health(port: number): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: res.status, body: await res.text() };
}

describe('/healthz and a full disk', () => {
  it('says 503 and why while messages cannot be stored, and 200 once they can again', async () => {
    const disk = smallDisk(2048);
    const srv = await spawnServer(['--rate-limit', '0', '--metrics-port', '0'], { dataDir: path.join(disk, 'data') });
    const metricsPort = Number(/"metricsPort":(\d+)/.exec(srv.stderr())![1]);
    expect(await health(metricsPort)).toEqual({ status: 200, body: 'ok\n' });
    const alice = await LineClient.loggedIn(srv.port, 'alice');

    const filler = fillUp(disk);
    let refused = false;
    for (let i = 0; i < 40 && !refused; i++) {
      alice.sendLine(`TEXT|${i} ${'x'.repeat(1900)}`);
      const answer = await alice.waitFor((l) => l.startsWith(`TEXT|alice|${i} `) || l.startsWith('ERROR|'), 10_000);
      refused = answer.startsWith('ERROR|UNAVAILABLE|');
    }
    expect(refused, 'the full disk refused a message').toBe(true);
    const down = await health(metricsPort);
    expect(down.status).toBe(503);
    expect(down.body).toMatch(/^unavailable: the store failed its last commit: .+\n$/);

    fs.unlinkSync(filler);
    alice.sendLine('TEXT|after');
    await alice.waitFor('TEXT|alice|after', 10_000);
    await eventually(async () => (await health(metricsPort)).status === 200, 5000, 'healthy again');
  });
});
