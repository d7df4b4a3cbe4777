// How the bench finds the port of a server it started: the one it told the
// server to use, even when the server listens on another one too.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findListeningPorts, freePort, killChildren, spawnServer } from '../../src/bench/system.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  killChildren();
});

const listen = (port = 0): Promise<number> =>
  new Promise((resolve) => {
    const server = net.createServer();
    servers.push(server);
    server.listen({ port, host: '127.0.0.1' }, () => resolve((server.address() as net.AddressInfo).port));
  });

describe('the bench and its server\'s ports', () => {
  it('findListeningPorts lists every port a process listens on', async () => {
    const a = await listen();
    const b = await listen();
    expect(findListeningPorts(process.pid)).toEqual(expect.arrayContaining([a, b]));
  });

  it('freePort gives a port that can then be listened on', async () => {
    const port = await freePort('127.0.0.1');
    expect(await listen(port)).toBe(port);
  });

  it('spawnServer with port: ready on that port, though the child listens on another first and logs nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ports-'));
    const script = path.join(dir, 'two-ports.mjs');
    fs.writeFileSync(
      script,
      [
        "import net from 'node:net';",
        "const port = Number(process.argv[process.argv.indexOf('--port') + 1]);",
        "net.createServer().listen(0, '127.0.0.1', () => setTimeout(() => net.createServer().listen(port, '127.0.0.1'), 300));",
        'process.stdin.resume();',
      ].join('\n'),
    );
    const port = await freePort('127.0.0.1');
    const child = await spawnServer({ label: 'two ports', script, args: ['--port', String(port)], cpu: undefined, nofile: 1024, port });
    expect(child.port).toBe(port);
    expect(findListeningPorts(child.pid!)).toHaveLength(2);
    await child.stop(1000);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
