// The earlier design's Python client, unchanged but for its port, against
// the in-process server. It lives outside this repository (CHAT_SEED_CLIENT,
// by default ../shared/peers/seed_client.py beside the clone), so this suite
// is not part of `npm test`: .ci/run runs it with `npm run test:peers` when
// the file is there. test/integration/legacy-client.test.ts covers the same
// behaviour with a client of this repository's own.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { closeAllServers, makeTempDir, removeTempDirs, repoRoot, startTestServer, type TestServer } from '../helpers/server.js';

const seedSource = path.resolve(repoRoot, process.env.CHAT_SEED_CLIENT ?? '../shared/peers/seed_client.py');

let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer();
});

afterEach(async () => {
  await closeAllClients();
});

afterAll(async () => {
  await closeAllServers();
  removeTempDirs();
});

const systemNaming =
  (name: string) =>
  (line: string): boolean =>
    line.startsWith('SYSTEM|') && line.includes(name);

/** A copy of the seed client with only `PORT = 65432` changed. */
function seedClientFor(port: number): string {
  const source = fs.readFileSync(seedSource, 'utf8');
  expect(source).toContain('PORT = 65432');
  const patched = source.replace('PORT = 65432', `PORT = ${port}`);
  expect(patched.split('\n').length).toBe(source.split('\n').length);
  const file = path.join(makeTempDir('seed-'), 'seed_client.py');
  fs.writeFileSync(file, patched);
  return file;
}

interface Run {
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  kill(): void;
}

function runPython(file: string, stdin: string): Run {
  const proc = spawn('python3', [file], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONUNBUFFERED: '1' },
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  proc.stdin.end(stdin);
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))),
    kill: () => proc.kill('SIGKILL'),
  };
}

describe('seed client (python3, unchanged)', () => {
  it('logs in, chats through the 3|name:message form and leaves with /quit', async () => {
    // What the server says on SUCCESS to a line client, to compare with what
    // the seed client prints (its name swapped in, digits ignored).
    const probe = await LineClient.connect(srv.port);
    const { success } = await probe.login('probe');
    const welcome = success.slice('SUCCESS|'.length).split('|')[0]!;

    const other = await LineClient.loggedIn(srv.port, 'other');
    const file = seedClientFor(srv.port);
    const py = runPython(file, 'seedy\nhello there\n/quit\n');
    try {
      const joined = await other.waitFor(systemNaming('seedy'), 3_000);
      expect(joined).toMatch(/^SYSTEM\|/);

      // The seed client loops recv → print → input → send: if the login
      // reply and the join notice came in one recv, it blocks in recv until
      // something arrives. Wake it only then, so its frames never run together.
      let text = await other.waitFor('TEXT|seedy|', 1_500).catch(() => undefined);
      if (text === undefined) {
        other.sendLine('TEXT|wake up');
        text = await other.waitFor('TEXT|seedy|', 3_000);
      }
      expect(text).toBe('TEXT|seedy|hello there');

      const left = await other.waitFor(systemNaming('seedy'), 3_000);
      expect(left).toMatch(/^SYSTEM\|/);

      const code = await Promise.race([py.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5_000))]);
      expect(code, `stdout: ${py.stdout()}\nstderr: ${py.stderr()}`).toBe(0);

      const out = py.stdout();
      const expected = welcome.split('probe').join('seedy').split('\n')[0]!;
      const digitless = (s: string): string => s.replace(/[0-9]+/g, '#');
      expect(digitless(out)).toContain(digitless(expected));
      expect(out).toContain('TEXT|seedy|hello there');
      expect(out).not.toContain('与服务器断开连接');
      expect(py.stderr()).toBe('');
    } finally {
      py.kill();
    }
  });

  it('is refused cleanly when the name is taken, and prints the reason', async () => {
    await LineClient.loggedIn(srv.port, 'taken');
    const py = runPython(seedClientFor(srv.port), 'taken\n');
    const code = await Promise.race([py.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5_000))]);
    py.kill();
    expect(code, `stdout: ${py.stdout()}\nstderr: ${py.stderr()}`).toBe(0);
    // It prints the second field of ERROR|NAME_TAKEN|text.
    expect(py.stdout()).toContain('NAME_TAKEN');
  });
});
