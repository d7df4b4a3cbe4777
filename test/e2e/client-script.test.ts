// The built chat-client with piped stdin (scripting mode) against a real
// server, and its failures: exit codes and messages.

import net from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_MEANINGS } from '../../src/client/options.js';
import {
  LineClient,
  assertBuilt,
  cleanup,
  freePort,
  onCleanup,
  runClient,
  startInProcessServer,
  waitFor,
} from './helpers.js';

beforeAll(() => assertBuilt());
afterEach(() => cleanup());

describe('scripting mode (stdin is not a terminal)', () => {
  it("`printf 'hi\\n/quit\\n' | chat-client --name bot` exits 0 and another client saw TEXT|bot|hi", async () => {
    const srv = await startInProcessServer();
    const watcher = await LineClient.login(srv.port, 'watcher');
    const run = await runClient(['--name', 'bot', '--port', String(srv.port)], 'hi\n/quit\n');
    expect(run.code, run.stderr).toBe(0);
    await watcher.waitFor('TEXT|bot|hi');
    await watcher.waitFor('SYSTEM|bot left lobby'); // LOGOUT, not a dropped connection
    // Received messages are printed as plain lines: no escape sequences.
    expect(run.stdout).toMatch(/^\[\d\d:\d\d\] bot: hi$/m);
    expect(run.stdout).not.toContain('\u001b');
  });

  it('sends every line of a long piped file, in order, without being rate limited, then exits 0', async () => {
    const srv = await startInProcessServer();
    const watcher = await LineClient.login(srv.port, 'watcher');
    const lines = Array.from({ length: 24 }, (_, i) => `line ${i + 1} | with a bar`);
    const run = await runClient(['--name', 'bulk', '--port', String(srv.port)], `${lines.join('\n')}\n`, {}, 30_000);
    expect(run.code, run.stderr).toBe(0);
    // Everything was processed before LOGOUT: the watcher already has all of it.
    const got = await waitFor('all lines at the watcher', () => {
      const texts = watcher.lines.filter((l) => l.startsWith('TEXT|bulk|')).map((l) => l.slice('TEXT|bulk|'.length));
      return texts.length >= lines.length ? texts : undefined;
    });
    expect(got).toEqual(lines);
    expect(watcher.lines.filter((l) => l.startsWith('TEXT|bulk|'))).toHaveLength(lines.length);
    expect(run.stderr).not.toContain('RATE_LIMITED');
  }, 40_000);

  it('ends with everything processed even without /quit: the last line arrives before the leave notice', async () => {
    const srv = await startInProcessServer();
    const watcher = await LineClient.login(srv.port, 'watcher');
    const run = await runClient(['--name', 'bot', '--port', String(srv.port)], 'one\n/msg watcher two\nthree');
    expect(run.code, run.stderr).toBe(0);
    const leave = await watcher.waitFor('SYSTEM|bot left lobby'); // LOGOUT, not a dropped connection
    const order = watcher.lines;
    expect(order.indexOf('TEXT|bot|one')).toBeGreaterThan(-1);
    expect(order.indexOf('PRIVATE|bot|two')).toBeGreaterThan(order.indexOf('TEXT|bot|one'));
    expect(order.indexOf('TEXT|bot|three')).toBeGreaterThan(order.indexOf('PRIVATE|bot|two'));
    expect(order.indexOf(leave)).toBeGreaterThan(order.indexOf('TEXT|bot|three'));
  });

  it('runs slash commands and prints what the server answers', async () => {
    const srv = await startInProcessServer();
    const watcher = await LineClient.login(srv.port, 'watcher');
    const run = await runClient(
      ['--name', 'bot', '--port', String(srv.port), '--room', 'dev'],
      '/users\n/rooms\n/join lobby\n/users\n/nonsense\n//slash text\n',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\* 1 person in dev: bot/);
    expect(run.stdout).toMatch(/\* rooms: .*dev \(1\)/);
    expect(run.stdout).toMatch(/\* 2 people in lobby: (bot, watcher|watcher, bot)/);
    expect(run.stderr).toContain('unknown command /nonsense');
    await watcher.waitFor('TEXT|bot|/slash text');
    expect(watcher.lines.some((l) => l.includes('nonsense'))).toBe(false);
  });

  it('prints hostile text escaped, never raw, even from a server that relays it', async () => {
    // A hostile server (not ours, which strips such characters) sends escapes, CRs, C1 and bidi controls.
    const hostile = net.createServer((socket) => {
      socket.setEncoding('utf8');
      let buffer = '';
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) !== -1) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.startsWith('LOGIN|')) {
            socket.write('SUCCESS|welcome\x1b[2J\n');
            socket.write('TEXT|ev\x1b[31mil|\x1b[2J\x1b]0;pwned\x07boom\rfake\u202eevil\n');
            socket.write('PRIVATE|x\x9b31m|\x00\x7f\u2066hidden\u2069\n');
            socket.write('SYSTEM|\x1bcreset\x1b[?1049h\n');
          } else if (line.startsWith('PING|')) {
            socket.write(`PONG|${line.slice(5)}\n`);
          } else if (line === 'LOGOUT') {
            socket.end();
          } else {
            socket.write('ERROR|UNKNOWN_TYPE|\x1b[5mnot here\n');
          }
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => hostile.close(() => resolve())));
    const port = (hostile.address() as net.AddressInfo).port;
    for (const extra of [[], ['--color']]) {
      const run = await runClient(['--name', 'reader', '--port', String(port), ...extra], '');
      expect(run.code, run.stderr).toBe(0);
      const all = (run.stdout + run.stderr).replace(/\u001b\[[0-9;]*m/g, '');
      expect(all).toContain('\\x1b[2J\\x1b]0;pwned\\x07boom\\x0dfake\\u202eevil');
      expect(all).toContain('\\x1bcreset');
      expect(all).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    }
  });

  it('--no-history: stdout holds only what happens after it joined, also after /join', async () => {
    const srv = await startInProcessServer();
    const port = String(srv.port);
    const watcher = await LineClient.login(srv.port, 'watcher');
    watcher.send('TEXT|said before the bots came');
    await watcher.waitFor('TEXT|watcher|said before the bots came');
    const withHistory = await runClient(['--name', 'bot1', '--port', port], 'hello\n');
    expect(withHistory.code, withHistory.stderr).toBe(0);
    expect(withHistory.stdout).toMatch(/\(history\) watcher: said before the bots came/);

    const run = await runClient(['--name', 'bot2', '--port', port, '--no-history'], 'hello\n/join dev\n/join lobby\n');
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n').map((l) => l.replace(/^\[\d\d:\d\d\] /, ''));
    expect(lines).toEqual(['* bot2 joined lobby', 'bot2: hello', '* bot2 joined dev', '* bot2 joined lobby']);
  });

  it('colours output only when asked with --color', async () => {
    const srv = await startInProcessServer();
    const plain = await runClient(['--name', 'bot1', '--port', String(srv.port)], 'x\n');
    expect(plain.stdout).not.toContain('\u001b[');
    const colored = await runClient(['--name', 'bot2', '--port', String(srv.port), '--color'], 'y\n');
    expect(colored.stdout).toContain('\u001b[');
    const noColor = await runClient(['--name', 'bot3', '--port', String(srv.port), '--color', '--no-color'], 'z\n');
    expect(noColor.stdout).not.toContain('\u001b[');
  });
});

describe('exit codes and messages', () => {
  it('--name missing in scripting mode: exit 2 with a clear error', async () => {
    const run = await runClient(['--port', '1'], 'hi\n');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--name is required');
  });

  it('bad flags: exit 2; --help and --version: exit 0', async () => {
    const bad = await runClient(['--port', 'nope', '--name', 'x1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--port/);
    const help = await runClient(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--password-prompt');
    expect(help.stdout).toContain('Exit codes');
    const version = await runClient(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a bad flag: exactly one line `chat-client: <reason> (see chat-client --help)`, exit 2', async () => {
    const badPort = await runClient(['--port', 'abc']);
    expect(badPort).toEqual({ code: 2, stdout: '', stderr: "chat-client: --port must be a whole number, got 'abc' (see chat-client --help)\n" });
    const unknown = await runClient(['--name', 'x1', '--colour']);
    expect(unknown).toEqual({
      code: 2,
      stdout: '',
      stderr: "chat-client: unknown option '--colour' (did you mean --color?) (see chat-client --help)\n",
    });
    const room = await runClient(['--name', 'x1', '--room', 'no room']);
    expect(room.code).toBe(2);
    expect(room.stderr).toMatch(/^chat-client: --room: [^\n]+ \(see chat-client --help\)\n$/);
  });

  it('--help lists every exit code with its meaning', async () => {
    const help = await runClient(['--help']);
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    for (const code of [0, 1, 2, 3, 130]) {
      const meaning = EXIT_MEANINGS.find((e) => e.code === code)?.meaning.replace(/`/g, '');
      expect(meaning, `exit code ${code}`).toBeDefined();
      expect(text).toContain(` ${code} ${meaning}`);
    }
  });

  it('connection refused: exit 1 with a clear message', async () => {
    const port = await freePort();
    const run = await runClient(['--name', 'bot', '--port', String(port)], 'hi\n');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`connection refused by 127.0.0.1:${port}`);
  });

  it('unknown host: exit 1 with a clear message', async () => {
    const run = await runClient(['--name', 'bot', '--host', 'no-such-host.invalid', '--port', '4000'], 'hi\n');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/unknown host 'no-such-host\.invalid'|could not look up host/);
  });

  it('name taken or invalid: exit 3', async () => {
    const srv = await startInProcessServer();
    await LineClient.login(srv.port, 'alice');
    const taken = await runClient(['--name', 'ALICE', '--port', String(srv.port)], 'hi\n');
    expect(taken.code).toBe(3);
    expect(taken.stderr).toContain("the name 'ALICE' is taken");
    const bad = await runClient(['--name', 'no spaces allowed', '--port', String(srv.port)], 'hi\n');
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('is not allowed');
  });

  it('registered names: the password from CHAT_PASSWORD works; a wrong or missing one exits 3', async () => {
    const srv = await startInProcessServer();
    const port = String(srv.port);
    const register = await runClient(['--name', 'reggie', '--port', port], 'first\n', { CHAT_PASSWORD: 'correct horse' });
    expect(register.code, register.stderr).toBe(0);
    const again = await runClient(['--name', 'reggie', '--port', port], 'second\n', { CHAT_PASSWORD: 'correct horse' });
    expect(again.code, again.stderr).toBe(0);
    const wrong = await runClient(['--name', 'reggie', '--port', port], 'x\n', { CHAT_PASSWORD: 'battery staple' });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain("wrong password for 'reggie'");
    const missing = await runClient(['--name', 'reggie', '--port', port], 'x\n');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('needs its password');
    const prompt = await runClient(['--name', 'reggie', '--port', port, '--password-prompt'], 'x\n');
    expect(prompt.code).toBe(2);
    expect(prompt.stderr).toContain('CHAT_PASSWORD');
  });
});
