// The generator's login timeout with a bounded number in flight, on real
// sockets: at the cut-off the logins in flight fail and no more start, so a
// server that never answers still ends the setup with a count. Runs the
// built worker thread (dist/bench), as the bin does.

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type * as GeneratorModule from '../../src/bench/generator.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const built = path.join(root, 'dist/bench/generator.js');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TCP server that accepts and never says a word. */
async function silentServer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as net.AddressInfo).port;
}

describe('login cut-off', () => {
  it('stops starting logins at the timeout and counts those never started', async () => {
    expect(fs.existsSync(built), 'build first: npm run build').toBe(true);
    const { Generator } = (await import(built)) as typeof GeneratorModule;
    const gen = new Generator(1);
    cleanups.push(() => gen.terminate());
    const port = await silentServer();
    const conns = Array.from({ length: 10 }, (_, i) => ({ name: `cut${i}`, worker: 0 }));
    const started = Date.now();
    const { run, setup } = await gen.setup({ conns, groups: [] }, { host: '127.0.0.1', port }, { concurrency: { total: 3 }, timeoutMs: 300, messageBytes: 0 });
    cleanups.push(() => gen.close(run));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(setup).toMatchObject({ ok: 0, failed: 3, notStarted: 7 });
    expect(setup.errors['client:login-timeout']).toBe(3);
    expect(setup.loginMs.every((t) => Number.isNaN(t))).toBe(true);
    expect(setup.allDoneMs).toBeNaN();
  });
});
