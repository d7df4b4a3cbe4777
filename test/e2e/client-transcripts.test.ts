// The transcripts in the docs are checked against the client: each test plays
// a doc's scenario with the built chat-client (in tmux, or with piped stdin)
// and compares what it printed with the fenced block between the doc's
// `<!-- transcript:NAME:start -->` and `<!-- transcript:NAME:end -->`
// comments. Only what changes from run to run is normalised, on both sides:
// clock times, the port (shown as 65432), reconnect delays (random jitter)
// and round-trip times. Any other edit of the doc, or of the client's
// wording, fails here.

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeSocketError } from '../../src/client/connection.js';
import { connectFailureText } from '../../src/client/failures.js';
import {
  Forwarder,
  LineClient,
  Tmux,
  assertBuilt,
  cleanup,
  clientBin,
  freePort,
  repoRoot,
  runClient,
  startInProcessServer,
  tempDir,
  waitFor,
} from './helpers.js';

beforeAll(() => {
  assertBuilt();
  if (!Tmux.available()) throw new Error('tmux is required for these tests');
});
afterEach(() => cleanup());

/** The lines of the fenced block between the doc's transcript markers. */
function docTranscript(file: string, name: string): string[] {
  const text = fs.readFileSync(path.join(repoRoot, file), 'utf8');
  const start = `<!-- transcript:${name}:start -->`;
  const end = `<!-- transcript:${name}:end -->`;
  const section = text.split(start)[1]?.split(end)[0];
  if (section === undefined) throw new Error(`${file} has no ${start} … ${end}`);
  const fence = /```[a-z]*\n([\s\S]*?)\n```/.exec(section);
  if (fence === null) throw new Error(`${file}: no fenced block between ${start} and ${end}`);
  return fence[1]!.split('\n');
}

/** What varies between runs, made equal; the port is only replaced on the client's side. */
function normalise(lines: readonly string[], port?: number): string[] {
  return lines.map((line) => {
    let l = line.replace(/\s+$/, '');
    if (port !== undefined) l = l.replaceAll(`127.0.0.1:${port}`, '127.0.0.1:65432');
    return l
      .replace(/\[(?:\d{4}-\d\d-\d\d )?\d\d:\d\d\]/g, '[HH:MM]')
      .replace(/\b\d+\.\d s\b/g, 'N.N s')
      .replace(/\bin \d+ ms\b/g, 'in N ms');
  });
}

function expectTranscript(file: string, name: string, printed: readonly string[], port?: number): void {
  const want = normalise(docTranscript(file, name));
  const got = normalise(printed, port);
  expect(got, `${file} (${name}) differs from what the client printed:\n${printed.join('\n')}\n`).toEqual(want);
}

const count = (text: string, part: string) => text.split(part).length - 1;
const client = (port: number, ...args: string[]) => ['node', clientBin, '--port', String(port), ...args];

describe('the chat-screen transcripts', () => {
  it('README.md "## The terminal client": a session with a server restart', async () => {
    const dataDir = tempDir();
    const first = await startInProcessServer(dataDir);
    const forwarder = await Forwarder.start(first.port);
    const carol = await LineClient.login(first.port, 'carol');
    carol.send('TEXT|morning all');
    await carol.waitFor('TEXT|carol|morning all');
    carol.send('LOGOUT');
    await waitFor('carol to leave', () => carol.isClosed);

    const t = await Tmux.start(client(forwarder.port, '--name', 'alice'), { width: 100, height: 30 });
    await t.waitForScreen('the prompt', /alice@lobby>\s*$/);
    const bob = await LineClient.login(first.port, 'bob');
    await t.waitForScreen('bob arriving', '* bob joined lobby');
    bob.send('TEXT|hi alice, welcome back');
    await t.waitForScreen("bob's message", 'bob: hi alice, welcome back');
    t.type('/msg bob got a minute?');
    t.keys('Enter');
    await t.waitForScreen('the private message', '[private] you → bob: got a minute?');
    bob.send('PRIVATE|alice|sure, 5 minutes');
    await t.waitForScreen("bob's answer", '[private] bob → you: sure, 5 minutes');
    const typed = 'half-typed text stays put while lines arrive';
    t.type(typed);
    await waitFor('the typed text', () => t.lastLine() === `alice@lobby> ${typed}`, 5000, () => t.screen());

    // The restart: new connections wait at the forwarder until the second server is up.
    await forwarder.forwardTo(undefined);
    await first.close();
    await t.waitForScreen('the lost connection', 'reconnecting in');
    const second = await startInProcessServer(dataDir);
    await forwarder.forwardTo(second.port);
    await t.waitForScreen('being back', 'back in lobby as alice', 20_000);
    await waitFor('the typed text, intact', () => t.lastLine() === `alice@lobby> ${typed}`, 5000, () => t.screen());

    expectTranscript('README.md', 'client', t.everything().split('\n'), forwarder.port);
  }, 40_000);

  it('docs/CLIENT.md "The chat screen": commands, a refused room, and an outage with a queued line', async () => {
    const dataDir = tempDir();
    const first = await startInProcessServer(dataDir);
    const forwarder = await Forwarder.start(first.port);
    const carol = await LineClient.login(first.port, 'carol');
    carol.send('TEXT|morning all');
    await carol.waitFor('TEXT|carol|morning all');
    carol.send('TEXT|anyone seen the build logs?');
    await carol.waitFor('TEXT|carol|anyone seen the build logs?');
    carol.send('LOGOUT');
    await waitFor('carol to leave', () => carol.isClosed);

    const t = await Tmux.start(client(forwarder.port, '--name', 'alice'), { width: 100, height: 40 });
    const enter = async (line: string, shows: string) => {
      t.type(line);
      t.keys('Enter');
      await t.waitForScreen(shows, shows);
    };
    await t.waitForScreen('the prompt', /alice@lobby>\s*$/);
    const bob = await LineClient.login(first.port, 'bob');
    await t.waitForScreen('bob arriving', '* bob joined lobby');
    bob.send('TEXT|hi alice, welcome back');
    await t.waitForScreen("bob's message", 'bob: hi alice, welcome back');
    await enter('/users', '* 2 people in lobby: alice, bob');
    await enter('/msg bob got a minute?', '[private] you → bob: got a minute?');
    bob.send('PRIVATE|alice|sure, 5 minutes');
    await t.waitForScreen("bob's answer", '[private] bob → you: sure, 5 minutes');
    await enter('/ping', '* pong from');
    await enter('/rooms', '* rooms: lobby (2)');
    await enter('/dance', '! unknown command /dance');
    await enter('/join bad room', '[BAD_NAME]');
    bob.send('TEXT|the deploy is done 🎉');
    await t.waitForScreen("bob's news", 'bob: the deploy is done 🎉');
    await enter('great, I will look at the logs now', 'alice: great, I will look at the logs now');

    // The server stops; nothing listens for a while; a line typed meanwhile waits.
    forwarder.refuse();
    await first.close();
    await t.waitForScreen('the lost connection', 'reconnecting in');
    await t.waitForScreen('a failed attempt', (s) => count(s, 'still offline') === 1);
    await enter('is the server down?', 'offline: queued');
    await t.waitForScreen('another failed attempt', (s) => count(s, 'still offline') === 2);
    const second = await startInProcessServer(dataDir);
    await forwarder.forwardTo(second.port);
    await t.waitForScreen('being back', 'back in lobby as alice', 20_000);
    await t.waitForScreen('the queued line, sent', 'alice: is the server down?');
    await waitFor('an empty prompt', () => t.lastLine() === 'alice@lobby>', 5000, () => t.screen());

    expectTranscript('docs/CLIENT.md', 'chat-screen', t.everything().split('\n'), forwarder.port);
  }, 40_000);
});

/**
 * Runs a shell transcript: `$ printf '…' | chat-client ARGS` (with `--port
 * 65432`, which stands for the test server) and `$ echo $?`; every other
 * line is output. Returns what the commands printed, in the same form.
 */
async function playShell(lines: readonly string[], port: number): Promise<string[]> {
  const printed: string[] = [];
  let lastCode: number | null = null;
  for (const line of lines) {
    if (!line.startsWith('$ ')) continue;
    printed.push(line);
    const command = line.slice(2);
    if (command === 'echo $?') {
      printed.push(String(lastCode));
      continue;
    }
    const match = /^printf '([^']*)' \| chat-client (.+)$/.exec(command);
    if (match === null) throw new Error(`the test cannot run this documented command: ${command}`);
    const input = match[1]!.replace(/\\n/g, '\n');
    const args = match[2]!.trim().split(/\s+/);
    const portAt = args.indexOf('--port');
    if (portAt === -1 || args[portAt + 1] !== '65432') throw new Error(`the documented command needs --port 65432: ${command}`);
    args[portAt + 1] = String(port);
    const run = await runClient(args, input);
    lastCode = run.code;
    printed.push(...run.stdout.replace(/\n$/, '').split('\n'));
  }
  return printed;
}

describe('the scripting transcripts of docs/CLIENT.md', () => {
  it('a bot says something and messages alice', async () => {
    const srv = await startInProcessServer();
    const alice = await LineClient.login(srv.port, 'alice');
    alice.send('TEXT|is the deploy done?');
    await alice.waitFor('TEXT|alice|is the deploy done?');
    const doc = docTranscript('docs/CLIENT.md', 'script');
    expectTranscript('docs/CLIENT.md', 'script', await playShell(doc, srv.port));
  });

  it('--no-history: only what happens after the bot joined', async () => {
    const srv = await startInProcessServer();
    const alice = await LineClient.login(srv.port, 'alice');
    alice.send('TEXT|is the deploy done?');
    await alice.waitFor('TEXT|alice|is the deploy done?');
    const doc = docTranscript('docs/CLIENT.md', 'script-no-history');
    expectTranscript('docs/CLIENT.md', 'script-no-history', await playShell(doc, srv.port));
  });

  it('the error messages, each from its own failure', async () => {
    const printed: string[] = [];
    const stderr = (run: { stderr: string }) => printed.push(...run.stderr.replace(/\n$/, '').split('\n'));

    const nothing = await freePort();
    const refused = await runClient(['--name', 'bot', '--port', String(nothing)], 'hi\n');
    stderr({ stderr: refused.stderr.replaceAll(`127.0.0.1:${nothing}`, '127.0.0.1:65432') });

    const unknown = await runClient(['--name', 'bot', '--host', 'chat.example.invalid'], 'hi\n');
    if (unknown.stderr.includes('could not look up host')) {
      // No resolver here to say the name does not exist: the same words, from the same code.
      printed.push(`chat-client: ${connectFailureText(describeSocketError({ code: 'ENOTFOUND' }, 'chat.example.invalid', 65432))}`);
    } else {
      stderr(unknown);
    }

    const srv = await startInProcessServer();
    const port = String(srv.port);
    await LineClient.login(srv.port, 'alice');
    stderr(await runClient(['--name', 'alice', '--port', port], 'hi\n'));
    const register = await runClient(['--name', 'reggie', '--port', port], 'hi\n', { CHAT_PASSWORD: 'right one' });
    expect(register.code, register.stderr).toBe(0);
    stderr(await runClient(['--name', 'reggie', '--port', port], 'hi\n', { CHAT_PASSWORD: 'wrong one' }));
    stderr(await runClient(['--port', port], 'hi\n'));
    stderr(await runClient(['--port', 'abc']));

    expectTranscript('docs/CLIENT.md', 'errors', printed);
  });
});
