// Past the open-file limit a connection would be closed without a word:
// the server keeps its cap below the limit, says so in its log, and
// answers the extra connections SERVER_FULL like any other cap.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FD_RESERVE, connectionCap, openFileLimit } from '../../src/server/fd-limit.js';
import { makeTempDir, removeTempDirs, repoRoot, serverBin } from '../helpers/server.js';

const children: ChildProcess[] = [];
const sockets: net.Socket[] = [];

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

afterAll(() => removeTempDirs());

describe('openFileLimit and connectionCap', () => {
  it('reads the soft limit from /proc/self/limits text', () => {
    const text = 'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\n';
    expect(openFileLimit(text)).toBe(1024);
    expect(openFileLimit('Max open files            unlimited            unlimited            files\n')).toBe(Infinity);
    expect(openFileLimit('nothing here')).toBeUndefined();
  });

  it('keeps room for the server’s own files', () => {
    expect(connectionCap(10_000, 1024)).toBe(1024 - FD_RESERVE);
    expect(connectionCap(100, 1024)).toBe(100);
    expect(connectionCap(10_000, undefined)).toBe(10_000);
    expect(connectionCap(10_000, Infinity)).toBe(10_000);
  });
});

describe('a server under a low ulimit -n', () => {
  it('warns at start, and refuses connections past the cap with SERVER_FULL instead of silence', async () => {
    const limit = 160;
    const proc = spawn('bash', ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, serverBin, '--port', '0', '--data-dir', makeTempDir(), '--log-json'], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(proc);
    let log = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${log}`)), 10_000);
      proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
        log += d;
        const m = /"event":"listening"[^\n]*"port":(\d+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(log).toContain('"connection-cap-lowered"');
    const cap = limit - FD_RESERVE;
    expect(log).toContain(`"cap":${cap}`);

    const answers = await Promise.all(
      Array.from({ length: cap + 20 }, async () => {
        const s = net.connect({ port, host: '127.0.0.1' });
        sockets.push(s);
        s.on('error', () => {});
        return new Promise<string>((resolve) => {
          let got = '';
          s.on('data', (d: Buffer) => (got += d.toString()));
          s.on('close', () => resolve(got));
          // Those let in stay silent until they speak: take silence after a while as "in".
          setTimeout(() => resolve(got === '' ? 'open' : got), 1_500);
        });
      }),
    );
    const full = answers.filter((a) => a.startsWith('ERROR|SERVER_FULL|')).length;
    const open = answers.filter((a) => a === 'open').length;
    expect(open).toBe(cap);
    expect(full).toBe(20);
  }, 30_000);
});
