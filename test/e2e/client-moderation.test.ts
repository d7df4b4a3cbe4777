// Moderation and /password in a real terminal: chat-client in tmux against
// a real server (in-process with an operator, or the built bin when it has
// to restart), keys typed with send-keys, screens read with capture-pane.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAllServers, removeTempDirs, startTestServer, type TestServer } from '../helpers/server.js';
import { LineClient, Tmux, assertBuilt, cleanup, clientBin, runClient, spawnServerProcess, tempDir, waitFor } from './helpers.js';

beforeAll(() => {
  assertBuilt();
  if (!Tmux.available()) throw new Error('tmux is required for these tests');
});
afterEach(async () => {
  await cleanup();
  await closeAllServers();
  removeTempDirs();
});

const client = (port: number, ...args: string[]) => ['node', clientBin, '--port', String(port), ...args];
/** How often `part` occurs in `text`. */
const count = (text: string, part: string) => text.split(part).length - 1;

const ALICE_PASSWORD = 'alice-secret-1';

/** A server where alice is an operator, and alice registered (logging in with a password registers the name). */
async function operatorServer(): Promise<TestServer> {
  const srv = await startTestServer({ operators: ['alice'] });
  const registered = await runClient(['--name', 'alice', '--port', String(srv.port)], '', { CHAT_PASSWORD: ALICE_PASSWORD });
  expect(registered.code, registered.stderr).toBe(0);
  return srv;
}

async function chatIn(port: number, name: string, env: Record<string, string> = {}): Promise<Tmux> {
  // Wide enough that no notice wraps (the screen is matched row by row).
  const t = await Tmux.start(client(port, '--name', name), { width: 160, height: 30, env });
  await t.waitForScreen(`${name}'s prompt`, new RegExp(`${name}@lobby>\\s*$`));
  return t;
}

/** Types `typed`, presses Tab, and waits for the input line to read `expected`. */
async function tab(t: Tmux, typed: string, expected: string): Promise<void> {
  t.type(typed);
  t.keys('Tab');
  await waitFor(`Tab to complete '${typed}'`, () => t.lastLine() === expected, 5000, () => t.screen());
}

/** Waits until `name` is in the room as `t` sees it (so Tab can complete it): asks with /users. */
async function seen(t: Tmux, name: string): Promise<void> {
  enter(t, '/users');
  await t.waitForScreen(`${name} in the user list`, new RegExp(`\\* \\d+ people in lobby: .*\\b${name}\\b`));
}

function enter(t: Tmux, text: string): void {
  t.type(text);
  t.keys('Enter');
}

describe('chat-client moderation in a terminal', () => {
  it("refuses a non-operator's /kick; an operator's /kick removes bob, whose client exits 5 without reconnecting", async () => {
    const srv = await operatorServer();
    const carol = await LineClient.login(srv.port, 'carol');
    const bob = await chatIn(srv.port, 'bob');
    enter(bob, '/kick alice spam');
    await bob.waitForScreen('the refusal', /\[\d\d:\d\d\] ! only operators may send KICK \[NOT_ALLOWED\]/);

    const alice = await chatIn(srv.port, 'alice', { CHAT_PASSWORD: ALICE_PASSWORD });
    await seen(alice, 'bob');
    await tab(alice, '/ki', 'alice@lobby> /kick');
    await tab(alice, 'b', 'alice@lobby> /kick bob');
    enter(alice, 'spam');
    await alice.waitForScreen('the confirmation', /\* you kicked bob: spam/);
    await alice.waitForScreen('the room notice', /\* bob left lobby \(kicked by alice: spam\)/);

    const screen = await bob.waitForScreen('the exit code', /EXIT=5/);
    expect(screen).toMatch(/\[\d\d:\d\d\] ! you were kicked by alice: spam\n\[\d\d:\d\d\] ! not reconnecting after a kick\n/);
    expect(screen).not.toMatch(/connection lost|reconnecting in|retrying/);
    // The client has exited, and bob never came back.
    await carol.waitFor('SYSTEM|bob left lobby (kicked by alice: spam)');
    carol.send('USERS');
    expect(await carol.waitFor(/^USERS\|/)).toMatch(/^USERS\|2\|(alice,carol|carol,alice)$/);
    expect(carol.lines.filter((l) => l === 'SYSTEM|bob joined lobby')).toHaveLength(1);
  });

  it('/mute and /ban complete the name with Tab; the muted client is refused, the banned one exits 5 and stays out until /unban', async () => {
    const srv = await operatorServer();
    const port = String(srv.port);
    const bob = await chatIn(srv.port, 'bob');
    const alice = await chatIn(srv.port, 'alice', { CHAT_PASSWORD: ALICE_PASSWORD });
    await seen(alice, 'bob');

    await tab(alice, '/mute b', 'alice@lobby> /mute bob');
    enter(alice, '5 calm down');
    await alice.waitForScreen('the mute confirmation', /\* you muted bob for 5 minutes \(until \S+\): calm down/);
    await bob.waitForScreen('the mute notice', /! alice muted you until \S+: calm down; you can still read/);
    enter(bob, 'let me talk');
    await bob.waitForScreen('the MUTED refusal', /! you are muted until \S+ by alice; .*\[MUTED\]/);

    await tab(alice, '/unmute b', 'alice@lobby> /unmute bob');
    alice.keys('Enter');
    await alice.waitForScreen('the unmute confirmation', /\* bob is no longer muted/);
    await bob.waitForScreen('the unmute notice', /\* alice unmuted you; you can talk again/);
    enter(bob, 'thanks');
    await alice.waitForScreen("bob's message", /\] bob: thanks/);
    expect(alice.screen()).not.toContain('let me talk');

    enter(alice, '/ban bob 10m');
    await alice.waitForScreen('the hint', /! '10m' is not a number of minutes: MINUTES is a whole number, 0 = until lifted/);
    await tab(alice, '/ban b', 'alice@lobby> /ban bob');
    enter(alice, '0 go away');
    await alice.waitForScreen('the ban confirmation', /\* you banned bob until lifted: go away/);
    const screen = await bob.waitForScreen('the exit code', /EXIT=5/);
    expect(screen).toMatch(/! you were banned by alice until lifted: go away\n\[\d\d:\d\d\] ! not reconnecting after a ban\n/);

    // Refused at login at once, in scripting mode and on a terminal, the name and the address alike.
    const script = await runClient(['--name', 'bob', '--port', port], 'hello\n');
    expect(script.code).toBe(5);
    expect(script.stderr).toBe("chat-client: cannot log in as 'bob': bob is banned until lifted: go away [BANNED]\n");
    const other = await runClient(['--name', 'dave', '--port', port], 'hello\n');
    expect(other.code).toBe(5);
    expect(other.stderr).toContain("cannot log in as 'dave': your address is banned until lifted: go away [BANNED]");
    const again = await Tmux.start(client(srv.port, '--name', 'bob'), { width: 100, height: 20 });
    const refused = await again.waitForScreen('the exit code', /EXIT=5/);
    expect(count(refused, "chat-client: cannot log in as 'bob': bob is banned until lifted: go away [BANNED]")).toBe(1);
    expect(refused).not.toMatch(/retrying|Pick another name/);

    enter(alice, '/unban bob');
    await alice.waitForScreen('the unban confirmation', /\* bob is no longer banned/);
    const back = await runClient(['--name', 'bob', '--port', port], 'back again\n');
    expect(back.code, back.stderr).toBe(0);
    await alice.waitForScreen("bob's return", /\] bob: back again/);

    enter(alice, '/modlog');
    const log = await alice.waitForScreen('the moderation log', /\* \S+ alice unbanned bob/);
    for (const entry of [/\* \S+ alice muted bob for 5 minutes: calm down/, /\* \S+ alice unmuted bob/, /\* \S+ alice banned bob until lifted: go away/]) {
      expect(log).toMatch(entry);
    }
  });

  it('/password asks with hidden input: nothing typed is on screen or in the history, and the new password works, also for a reconnect', async () => {
    const OLD = 'first-secret-1';
    const NEW = 'second-secret-2';
    const dataDir = tempDir();
    const first = await spawnServerProcess(dataDir);
    const port = first.port;
    const registered = await runClient(['--name', 'alice', '--port', String(port)], '', { CHAT_PASSWORD: OLD });
    expect(registered.code, registered.stderr).toBe(0);

    const t = await Tmux.start(client(port, '--name', 'alice', '--password-prompt'), { width: 100, height: 30 });
    await t.waitForScreen('the login prompt', /Password for alice:\s*$/);
    enter(t, OLD);
    await t.waitForScreen('the chat prompt', /alice@lobby>\s*$/);
    const bob = await LineClient.login(port, 'bob');
    enter(t, 'said before');
    await bob.waitFor('TEXT|alice|said before');
    const question = (q: string) => waitFor(`the question '${q}'`, () => t.lastLine() === q, 5000, () => t.screen());
    const prompt = () => waitFor('the chat prompt', () => t.lastLine() === 'alice@lobby>', 5000, () => t.screen());

    // Ctrl-C cancels the questions, not the chat.
    enter(t, '/password');
    await question('old password:');
    t.type('typed-then-cancelled');
    t.keys('C-c');
    await t.waitForScreen('the cancel notice', /\* \/password cancelled; nothing was sent/);
    await prompt();

    // Two different new passwords: nothing is sent.
    enter(t, '/password');
    await question('old password:');
    enter(t, OLD);
    await question('new password:');
    enter(t, NEW);
    await question('new password again:');
    enter(t, 'not-the-same-3');
    await t.waitForScreen('the mismatch notice', /! the new passwords do not match; nothing was sent/);
    await prompt();

    // The change; a message arriving meanwhile is printed above the question.
    enter(t, '/password');
    await question('old password:');
    enter(t, OLD);
    await question('new password:');
    bob.send('TEXT|hello while you type');
    await t.waitForScreen("bob's message", /\] bob: hello while you type/);
    expect(t.lastLine()).toBe('new password:');
    enter(t, NEW);
    await question('new password again:');
    enter(t, NEW);
    await t.waitForScreen('the confirmation', /\* your password was changed; use the new one from now on/);
    await prompt();

    for (const secret of [OLD, NEW, 'typed-then-cancelled', 'not-the-same-3']) expect(t.everything()).not.toContain(secret);
    // The input history holds /password (once: readline keeps one of a repeated line), never an answer.
    t.keys('Up');
    await waitFor('the last line recalled', () => t.lastLine() === 'alice@lobby> /password', 5000, () => t.screen());
    t.keys('Up');
    await waitFor('the line before', () => t.lastLine() === 'alice@lobby> said before', 5000, () => t.screen());
    t.keys('C-u');
    await prompt();

    // A reconnect logs in with the new password.
    await first.stop();
    await t.waitForScreen('the lost connection', /connection lost/);
    await spawnServerProcess(dataDir, port);
    await t.waitForScreen('being back', /back in lobby as alice/, 20_000);
    expect(t.screen()).not.toContain('refused the login');
    t.keys('C-d');
    await t.waitForScreen('the exit code', /EXIT=0/);
    for (const secret of [OLD, NEW]) expect(t.everything()).not.toContain(secret);

    // Logging in from scratch: the new password works, the old one no longer does.
    const withNew = await runClient(['--name', 'alice', '--port', String(port)], 'with the new one\n', { CHAT_PASSWORD: NEW });
    expect(withNew.code, withNew.stderr).toBe(0);
    expect(withNew.stdout).toContain('alice: with the new one');
    const withOld = await runClient(['--name', 'alice', '--port', String(port)], '', { CHAT_PASSWORD: OLD });
    expect(withOld.code).toBe(3);
    expect(withOld.stderr).toContain("wrong password for 'alice'");
  }, 60_000);

  it('in scripting mode /password is refused with a notice, and the script goes on', async () => {
    const srv = await operatorServer();
    const bob = await LineClient.login(srv.port, 'bob');
    const run = await runClient(['--name', 'alice', '--port', String(srv.port)], `/password\n/password ${ALICE_PASSWORD} x\nafter\n`, {
      CHAT_PASSWORD: ALICE_PASSWORD,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/! \/password needs a terminal \(it asks for the passwords with hidden input\); passwords do not belong in scripts/);
    expect(run.stderr).toContain('! usage: /password (no arguments: it asks for the passwords with hidden input)');
    expect(count(run.stderr + run.stdout, ALICE_PASSWORD)).toBe(0);
    await bob.waitFor('TEXT|alice|after');
    expect(bob.lines.some((l) => l.startsWith('ERROR'))).toBe(false);
  });
});
