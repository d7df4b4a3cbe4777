// chat-client in a real terminal: tmux with a fixed size, keys typed with
// send-keys, the screen read with capture-pane. Each test has its own tmux
// server (tmux -L) and kills it at the end.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  LineClient,
  Tmux,
  assertBuilt,
  cleanup,
  clientBin,
  freePort,
  runClient,
  spawnServerProcess,
  startInProcessServer,
  tempDir,
  waitFor,
} from './helpers.js';

beforeAll(() => {
  assertBuilt();
  if (!Tmux.available()) throw new Error('tmux is required for these tests');
});
afterEach(() => cleanup());

const client = (port: number, ...args: string[]) => ['node', clientBin, '--port', String(port), ...args];
/** How often `part` occurs in `text`. */
const count = (text: string, part: string) => text.split(part).length - 1;

describe('chat-client in a terminal', () => {
  it('keeps half-typed input intact on the input line when a message arrives', async () => {
    const srv = await startInProcessServer();
    const t = await Tmux.start(client(srv.port, '--name', 'alice'), { width: 80, height: 20 });
    await t.waitForScreen('the prompt', (s) => s.split('\n').at(-1)!.startsWith('alice@lobby>'));

    t.type('half typed and');
    await waitFor('the typed text', () => t.lastLine() === 'alice@lobby> half typed and', 5000, () => t.screen());

    const bob = await LineClient.login(srv.port, 'bob');
    bob.send('TEXT|hello from bob');
    await t.waitForScreen("bob's message", /\[\d\d:\d\d\] bob: hello from bob/);
    // The message is above the prompt, the typed text still on the input line, once.
    const lines = t.lines().filter((l) => l !== '');
    expect(lines.at(-1)).toBe('alice@lobby> half typed and');
    expect(lines.findIndex((l) => /bob: hello from bob/.test(l))).toBeLessThan(lines.length - 1);
    expect(t.screen().split('half typed').length - 1).toBe(1);

    // Readline's buffer is intact too: finishing the line sends all of it.
    t.type(' finished');
    t.keys('Enter');
    await bob.waitFor('TEXT|alice|half typed and finished');
    await t.waitForScreen('our own message', /\[\d\d:\d\d\] alice: half typed and finished/);
    // The entered line was replaced by the message; the prompt is empty again.
    await waitFor('an empty prompt', () => t.lastLine() === 'alice@lobby>', 5000, () => t.screen());
    expect(t.screen()).not.toContain('alice@lobby> half typed');
  });

  it('keeps wrapped input intact in a narrow terminal', async () => {
    const srv = await startInProcessServer();
    const t = await Tmux.start(client(srv.port, '--name', 'alice'), { width: 30, height: 14 });
    await t.waitForScreen('the prompt', (s) => s.split('\n').at(-1)!.startsWith('alice@lobby>'));
    // 13 columns of prompt and 78 of text: four rows of 30 columns.
    const long = 'this is a rather long line that wraps over several rows of the narrow terminal';
    t.keys(long);
    await waitFor('the wrapped input', () => t.joinedScreen().endsWith(`alice@lobby> ${long}`), 5000, () => t.screen());
    expect(t.lines().length - t.lines().findIndex((l) => l.startsWith('alice@lobby>'))).toBe(4);
    const bob = await LineClient.login(srv.port, 'bob');
    bob.send('TEXT|ping');
    await t.waitForScreen("bob's message", /bob: ping/);
    // Exactly one copy of prompt and input, whole, at the bottom.
    expect(t.joinedScreen().endsWith(`alice@lobby> ${long}`)).toBe(true);
    expect(t.screen().split('alice@lobby>').length - 1).toBe(1);
    expect(t.joinedScreen().split(long).length - 1).toBe(1);
    // No blank rows or leftovers between the new message and the prompt.
    const rows = t.lines();
    const promptRow = rows.findIndex((l) => l.startsWith('alice@lobby>'));
    expect(rows[promptRow - 1]).toMatch(/bob: ping$/);
    expect(rows[promptRow - 2]).toMatch(/\* bob joined lobby$/);
    expect(rows.length - promptRow).toBe(4);
    t.keys('Enter');
    await bob.waitFor(`TEXT|alice|${long}`);
    // The entered rows are replaced by the echo; no leftover copy of the input.
    await waitFor('the echo', () => t.joinedScreen().includes(`alice: ${long}`), 5000, () => t.screen());
    await waitFor('an empty prompt', () => t.lastLine() === 'alice@lobby>', 5000, () => t.screen());
    expect(t.joinedScreen()).not.toContain('alice@lobby> this');
  });

  it('/users, /msg with Tab completion, and private messages both ways', async () => {
    const srv = await startInProcessServer();
    const bob = await LineClient.login(srv.port, 'bob');
    const t = await Tmux.start(client(srv.port, '--name', 'alice'), { width: 100, height: 24 });
    await t.waitForScreen('the prompt', /alice@lobby>\s*$/);

    t.type('/users');
    t.keys('Enter');
    await t.waitForScreen('the user list', /\* 2 people in lobby: (alice, bob|bob, alice)/);

    t.type('/msg b');
    t.keys('Tab');
    await waitFor('the completed name', () => t.lastLine() === 'alice@lobby> /msg bob', 5000, () => t.screen());
    t.type('a secret');
    t.keys('Enter');
    await bob.waitFor('PRIVATE|alice|a secret');
    await t.waitForScreen('the sent private message', /\[private\] you → bob: a secret/);

    bob.send('PRIVATE|alice|a reply');
    await t.waitForScreen('the received private message', /\[private\] bob → you: a reply/);

    t.type('/nosuchthing');
    t.keys('Enter');
    await t.waitForScreen('the hint', /unknown command \/nosuchthing; \/help lists the commands/);
    expect(bob.lines.some((l) => l.includes('nosuchthing'))).toBe(false);
  });

  it('reconnects after a server restart: says so, queues what is typed meanwhile, and is back in its room', async () => {
    const dataDir = tempDir();
    const first = await spawnServerProcess(dataDir);
    const port = first.port;
    const t = await Tmux.start(client(port, '--name', 'alice', '--room', 'dev'), { width: 100, height: 30 });
    await t.waitForScreen('the prompt in dev', /alice@dev>\s*$/);
    await t.waitForScreen('the join notice', /\* alice joined dev/);

    await first.stop();
    await t.waitForScreen('the lost connection', /connection lost/);
    await t.waitForScreen('the offline prompt', /alice@dev \[offline, reconnecting\]>\s*$/);
    t.type('typed while down');
    t.keys('Enter');
    await t.waitForScreen('the queued notice', /offline: queued, will be sent after reconnecting \(1 waiting\)/);
    await t.waitForScreen('the queue in the prompt', /1 queued\]>\s*$/);

    await spawnServerProcess(dataDir, port);
    await t.waitForScreen('the reconnect', /reconnected to 127\.0\.0\.1:\d+/, 20_000);
    await t.waitForScreen('being back', /back in dev as alice/, 10_000);
    await t.waitForScreen('the queued line, sent', /\[\d\d:\d\d\] alice: typed while down/);
    await t.waitForScreen('the online prompt', /alice@dev>\s*$/);

    const bob = await LineClient.login(port, 'bob');
    bob.send('JOIN|dev');
    await bob.waitFor('SYSTEM|bob joined dev');
    // The queued line reached the new server (it is in the room's history).
    expect(bob.lines).toContainEqual(expect.stringMatching(/^HISTORY\|[^|]+\|alice\|typed while down$/));
    bob.send('TEXT|welcome back');
    await t.waitForScreen("bob's message", /bob: welcome back/);
    t.type('thanks');
    t.keys('Enter');
    await bob.waitFor('TEXT|alice|thanks');
  }, 60_000);

  it('Ctrl-D logs out and exits 0; Ctrl-C too', async () => {
    const srv = await startInProcessServer();
    const bob = await LineClient.login(srv.port, 'bob');
    const t = await Tmux.start(client(srv.port, '--name', 'alice'), { width: 80, height: 20 });
    await t.waitForScreen('the prompt', /alice@lobby>\s*$/);
    t.keys('C-d');
    await t.waitForScreen('the exit code', /EXIT=0/);
    // Exactly this notice (no '(connection closed)'): the client sent LOGOUT.
    await bob.waitFor('SYSTEM|alice left lobby');

    const t2 = await Tmux.start(client(srv.port, '--name', 'carol'), { width: 80, height: 20 });
    await t2.waitForScreen('the prompt', /carol@lobby>\s*$/);
    t2.type('unsent words');
    t2.keys('C-c');
    await t2.waitForScreen('the exit code', /EXIT=0/);
    await bob.waitFor('SYSTEM|carol left lobby');
  });

  it('closing the terminal does not send the half-typed line, and logs out', async () => {
    const srv = await startInProcessServer();
    const bob = await LineClient.login(srv.port, 'bob');
    const t = await Tmux.start(client(srv.port, '--name', 'alice'), { width: 80, height: 20 });
    await t.waitForScreen('the prompt', /alice@lobby>\s*$/);
    await bob.waitFor('SYSTEM|alice joined lobby');
    t.type('not meant to be sent');
    await waitFor('the typed text', () => t.lastLine() === 'alice@lobby> not meant to be sent', 5000, () => t.screen());
    t.kill(); // the terminal goes away: the client's input ends
    // Exactly this notice (no '(connection lost)'): the client sent LOGOUT.
    await bob.waitFor('SYSTEM|alice left lobby');
    expect(bob.lines.filter((l) => l.startsWith('TEXT|alice|'))).toEqual([]);
  });

  it('asks for a missing name, offers another when it is taken, and asks for a password with hidden input', async () => {
    const srv = await startInProcessServer();
    const port = String(srv.port);
    const register = await runClient(['--name', 'reggie', '--port', port], 'hello\n', { CHAT_PASSWORD: 'hunter22' });
    expect(register.code, register.stderr).toBe(0);
    await LineClient.login(srv.port, 'taken');

    const t = await Tmux.start(client(srv.port), { width: 100, height: 24 });
    await t.waitForScreen('the name prompt', /Your name:\s*$/);
    t.type('taken');
    t.keys('Enter');
    await t.waitForScreen('the taken message', /the name 'taken' is taken/);
    await t.waitForScreen('the offer', /Pick another name \(empty to quit\):\s*$/);
    t.type('reggie');
    t.keys('Enter');
    await t.waitForScreen('the password prompt', /Password for reggie:\s*$/);
    t.type('hunter22');
    t.keys('Enter');
    await t.waitForScreen('the prompt', /reggie@lobby>\s*$/);
    expect(t.screen()).not.toContain('hunter22');
  });

  it('wrong password at the prompt: asks again, three tries in all, then exit 3', async () => {
    const srv = await startInProcessServer();
    const register = await runClient(['--name', 'reggie', '--port', String(srv.port)], 'hello\n', { CHAT_PASSWORD: 'hunter22' });
    expect(register.code, register.stderr).toBe(0);
    const t = await Tmux.start(client(srv.port, '--name', 'reggie', '--password-prompt'), { width: 100, height: 24 });
    const tries = ['wrong-one', 'wrong-two', 'wrong-three'];
    for (const [i, attempt] of tries.entries()) {
      await waitFor(
        `password prompt ${i + 1}`,
        () => count(t.screen(), 'Password for reggie:') === i + 1 && /Password for reggie:\s*$/.test(t.screen()),
        10_000,
        () => t.screen(),
      );
      t.type(attempt);
      t.keys('Enter');
    }
    const screen = await t.waitForScreen('the exit code', /EXIT=3/);
    expect(screen).toContain("wrong password for 'reggie'; try again (2 tries left)");
    expect(screen).toContain("wrong password for 'reggie'; try again (1 try left)");
    expect(screen).toContain("chat-client: wrong password for 'reggie' (3 tries)");
    expect(count(screen, 'Password for reggie:')).toBe(3);
    for (const attempt of tries) expect(screen).not.toContain(attempt);
  });

  it('wrong password at the prompt, then the right one: logs in', async () => {
    const srv = await startInProcessServer();
    const register = await runClient(['--name', 'reggie', '--port', String(srv.port)], 'hello\n', { CHAT_PASSWORD: 'hunter22' });
    expect(register.code, register.stderr).toBe(0);
    const t = await Tmux.start(client(srv.port, '--name', 'reggie', '--password-prompt'), { width: 100, height: 24 });
    await t.waitForScreen('the password prompt', /Password for reggie:\s*$/);
    t.type('not-it');
    t.keys('Enter');
    await t.waitForScreen('the second prompt', (s) => count(s, 'Password for reggie:') === 2 && /Password for reggie:\s*$/.test(s));
    t.type('hunter22');
    t.keys('Enter');
    await t.waitForScreen('the chat prompt', /reggie@lobby>\s*$/);
    expect(t.screen()).not.toContain('hunter22');
    expect(t.screen()).not.toContain('not-it');
  });

  it('keeps every line, and one copy of the prompt, when the terminal is resized with wrapped input', async () => {
    const srv = await startInProcessServer();
    const t = await Tmux.start(client(srv.port, '--name', 'alice'), { width: 30, height: 24 });
    await t.waitForScreen('the prompt', (s) => s.split('\n').at(-1)!.startsWith('alice@lobby>'));
    // 13 columns of prompt and 78 of text: four rows at 30 columns.
    let typed = 'this is a rather long line that wraps over several rows of the narrow terminal';
    t.type(typed);
    await waitFor('the wrapped input', () => t.everything().endsWith(`alice@lobby> ${typed}`), 5000, () => t.screen());
    const bob = await LineClient.login(srv.port, 'bob');
    bob.send('TEXT|just before the resize');
    await waitFor("bob's message", () => t.everything().includes('bob: just before the resize'), 5000, () => t.screen());

    // Wider (the input takes fewer rows), narrower (more), and back.
    for (const [i, width] of [60, 25, 47, 100, 30].entries()) {
      t.resize(width, 24);
      // A key typed after the resize is drawn after the client has handled the resize.
      const mark = String(i);
      t.type(mark);
      typed += mark;
      await waitFor(`the input at ${width} columns`, () => t.everything().endsWith(`alice@lobby> ${typed}`), 5000, () => t.everything());
      const all = t.everything();
      // Nothing printed is lost, from the screen or the scrollback, and no stale copy of the prompt is left.
      for (const line of ['* /help lists commands', '* bob joined lobby', 'bob: just before the resize']) {
        expect(count(all, line), `${line} at ${width} columns:\n${all}`).toBe(1);
      }
      expect(count(all, 'alice@lobby>'), `prompts at ${width} columns:\n${all}`).toBe(1);
    }
    // Readline's line is intact: all of it is sent.
    t.keys('Enter');
    await bob.waitFor(`TEXT|alice|${typed}`);
  });

  it('started while the server is down: says so, retries with the backoff, and connects once it is up', async () => {
    const port = await freePort();
    const t = await Tmux.start(client(port, '--name', 'alice'), { width: 100, height: 24 });
    const status = new RegExp(`! cannot connect: connection refused by 127\\.0\\.0\\.1:${port}; retrying in \\d+\\.\\d s`, 'g');
    await t.waitForScreen('the status line', status);
    await t.waitForScreen('a second attempt', (s) => (s.match(status) ?? []).length >= 2);
    expect(t.screen()).not.toContain('EXIT=');

    await spawnServerProcess(tempDir(), port);
    await t.waitForScreen('the welcome', /\* Welcome, alice!/, 20_000);
    await t.waitForScreen('the prompt', /alice@lobby>\s*$/);
    const bob = await LineClient.login(port, 'bob');
    t.type('made it');
    t.keys('Enter');
    await bob.waitFor('TEXT|alice|made it');
  }, 40_000);

  it('Ctrl-C while waiting for the server exits 0', async () => {
    const port = await freePort();
    const t = await Tmux.start(client(port, '--name', 'alice'), { width: 100, height: 24 });
    await t.waitForScreen('the status line', /cannot connect: .*retrying in/);
    t.keys('C-c');
    await t.waitForScreen('the exit code', /EXIT=0/);
  });

  it("/join with a bad room shows the server's reason; Tab completes rooms after /join, and /msg names from any room", async () => {
    const srv = await startInProcessServer();
    const carol = await LineClient.login(srv.port, 'carol');
    carol.send('JOIN|design');
    await carol.waitFor('SYSTEM|carol joined design');
    const bob = await LineClient.login(srv.port, 'bob');
    const t = await Tmux.start(client(srv.port, '--name', 'alice'), { width: 100, height: 24 });
    await t.waitForScreen('the prompt', /alice@lobby>\s*$/);

    t.type('/join bad room');
    t.keys('Enter');
    await t.waitForScreen("the server's reason", /! room name may hold only letters, digits, '_', '-' and '\.' \[BAD_NAME\]/);
    expect(t.screen()).not.toContain('usage: /join');

    // The client has never seen `design`: Tab asks the server.
    t.type('/join de');
    t.keys('Tab');
    await waitFor('the completed room', () => t.lastLine() === 'alice@lobby> /join design', 5000, () => t.screen());
    t.keys('Enter');
    await t.waitForScreen('the new room', /alice@design>\s*$/);

    // bob stayed in the lobby: /msg still completes him.
    t.type('/msg b');
    t.keys('Tab');
    await waitFor('the completed name', () => t.lastLine() === 'alice@design> /msg bob', 5000, () => t.screen());
    t.type('hi from design');
    t.keys('Enter');
    await bob.waitFor('PRIVATE|alice|hi from design');
  });
});
