// The built chat-server bin: --help, --version, bad flag values, port in use.

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { killAllChildren, makeTempDir, removeTempDirs, repoRoot, runBin, spawnServer } from '../helpers/server.js';
import { OPTION_TABLE } from '../../src/server/options.js';

afterEach(async () => {
  await closeAllClients();
  await killAllChildren();
});

afterAll(() => removeTempDirs());

const version = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

describe('chat-server --help and --version', () => {
  it('--help lists every flag and exits 0', async () => {
    const r = await runBin(['--help']);
    expect(r.code, r.stderr).toBe(0);
    for (const spec of OPTION_TABLE) {
      const flag = spec.flag.split(' ')[0]!;
      expect(r.stdout, flag).toContain(flag);
    }
    expect(r.stdout).toContain('--help');
    expect(r.stdout).toContain('--version');
  });

  it('--version prints the version and exits 0', async () => {
    const r = await runBin(['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toContain(version);
  });
});

describe('chat-server bad flag values', () => {
  const cases: string[][] = [
    ['--port', 'abc'],
    ['--port', '70000'],
    ['--port', '-5'],
    ['--rate-limit', '-1'],
    ['--rate-limit', '2.5'],
    ['--max-connections', '0'],
    ['--log-level', 'loud'],
    ['--login-timeout', 'soon'],
    ['--output-cap', '0'],
  ];
  for (const args of cases) {
    it(`${args.join(' ')}: one line on stderr, non-zero exit`, async () => {
      const r = await runBin([...args, '--data-dir', makeTempDir()], 10_000);
      expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).not.toBe(0);
      expect(r.signal).toBeNull();
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]!.trim()).not.toBe('');
    });
  }

  it('names the flag it refuses', async () => {
    const r = await runBin(['--port', 'abc', '--data-dir', makeTempDir()]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--port');
  });

  it('refuses an unknown flag with a non-zero exit', async () => {
    const r = await runBin(['--no-such-flag', '--data-dir', makeTempDir()]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).not.toBe('');
  });
});

describe('chat-server data directory', () => {
  it('a data dir that cannot be created: one line naming it, exit 1 at once (no spinning)', async () => {
    const started = Date.now();
    const r = await runBin(['--port', '0', '--data-dir', '/proc/no-such/chat'], 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect({ code: r.code, signal: r.signal }, r.stderr).toEqual({ code: 1, signal: null });
    expect(r.stderr.trim().split('\n'), r.stderr).toEqual([
      'chat-server: cannot start: cannot create the data directory /proc/no-such/chat: a parent folder cannot hold folders',
    ]);
  });

  it('a data dir under a file, or not writable: one line, exit 1', async () => {
    const file = path.join(makeTempDir(), 'plain-file');
    fs.writeFileSync(file, 'x');
    const r = await runBin(['--port', '0', '--data-dir', path.join(file, 'data')], 5_000);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`chat-server: cannot start: cannot use the data directory ${path.join(file, 'data')}: ${file} is not a folder`]);
  });

  it('logs the absolute path of its data dir at start-up, and keeps the new folder private', async () => {
    const parent = makeTempDir();
    const srv = await spawnServer([], { dataDir: path.join(parent, 'private') });
    const listening = srv
      .stderr()
      .split('\n')
      .map((l) => (l.startsWith('{') ? (JSON.parse(l) as Record<string, unknown>) : {}))
      .find((e) => e.event === 'listening');
    expect(listening?.dataDir).toBe(path.join(parent, 'private'));
    expect(path.isAbsolute(String(listening?.dataDir))).toBe(true);
    expect(fs.statSync(path.join(parent, 'private')).mode & 0o077).toBe(0);
    expect(srv.port).toBeGreaterThan(0);
  });
});

describe('chat-server port in use', () => {
  it('exactly one line on stderr, the reason, and exit 1: no log lines before it', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await runBin(['--port', String(port), '--data-dir', makeTempDir()]);
      expect({ code: r.code, signal: r.signal }).toEqual({ code: 1, signal: null });
      expect(r.stderr.split('\n').filter((l) => l !== ''), r.stderr).toEqual([
        `chat-server: cannot start: port ${port} on 127.0.0.1 is already in use (is another chat-server running?)`,
      ]);
      expect(r.stdout).toBe('');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('exits non-zero with a clear message naming the port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await runBin(['--port', String(port), '--data-dir', makeTempDir()]);
      expect(r.code, `stderr: ${r.stderr}`).not.toBe(0);
      expect(r.signal).toBeNull();
      expect(r.stderr).toMatch(/in use|EADDRINUSE/i);
      expect(r.stderr).toContain(String(port));
      // A message, not a crash dump.
      expect(r.stderr).not.toMatch(/^\s+at /m);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});

describe('chat-server serving', () => {
  it('binds 127.0.0.1 by default, not the other interfaces', async () => {
    const srv = await spawnServer([]);
    const local = await LineClient.connect(srv.port);
    local.sendLine('PING|local');
    expect(await local.nextLine()).toBe('PONG|local');
    const external = Object.values(os.networkInterfaces())
      .flat()
      .filter((a): a is os.NetworkInterfaceInfo => a !== undefined && a.family === 'IPv4' && !a.internal)
      .map((a) => a.address);
    for (const address of external) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = net.connect({ host: address, port: srv.port });
        socket.setTimeout(1_000, () => {
          socket.destroy();
          resolve('timeout');
        });
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      expect(outcome, `connect to ${address}:${srv.port}`).not.toBe('connected');
    }
    const help = await runBin(['--help']);
    expect(help.stdout).toMatch(/--host[^\n]*\n?[^\n]*127\.0\.0\.1/);
    expect(help.stdout).toMatch(/--port[^\n]*\n?[^\n]*65432/);
  });
  it('listens on the port from its log, creates its data dir, serves, and stops on SIGTERM', async () => {
    const dataDir = path.join(makeTempDir(), 'nested', 'data');
    const srv = await spawnServer([], { dataDir });
    expect(fs.existsSync(dataDir)).toBe(true);
    const c = await LineClient.connect(srv.port);
    c.sendLine('PING|bin');
    expect(await c.nextLine()).toBe('PONG|bin');
    await c.login('binuser');
    c.sendLine('TEXT|stored');
    await c.expectLine('TEXT|binuser|stored');
    expect(fs.readdirSync(dataDir).length).toBeGreaterThan(0);
    srv.kill('SIGTERM');
    expect(await srv.waitExit(5_000)).toEqual({ code: 0, signal: null });
  });
});
