// A real telnet client (the Debian `telnet` package) in tmux against the
// server. telnet's Ctrl-C sends IAC IP IAC DO TIMING-MARK and then throws
// away everything the server sends until it answers the mark (RFC 860), so a
// server that does not answer leaves the session mute. Ctrl-\, Ctrl-Z and
// Ctrl-O do the same; `^]` then `send ao` or `send ip` sends the command
// alone, without the mark.

import { execFileSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LineClient, Tmux, cleanup, startInProcessServer } from './helpers.js';

beforeAll(() => {
  if (!Tmux.available()) throw new Error('tmux is required for these tests');
  try {
    execFileSync('sh', ['-c', 'command -v telnet'], { stdio: 'ignore' });
  } catch {
    throw new Error('telnet is required for these tests (Debian: apt-get install telnet)');
  }
});
afterEach(() => cleanup());

/** telnet's own prompt after the escape character, as the last thing on the screen. */
const TELNET_PROMPT = /telnet>$/;

describe('telnet in a terminal', () => {
  it('keeps showing replies after Ctrl-C and ^O (DO TIMING-MARK), and answers AYT', async () => {
    const srv = await startInProcessServer();
    // -8: an 8-bit data path both ways, as advised for non-ASCII text.
    const t = await Tmux.start(['telnet', '-8', '127.0.0.1', String(srv.port)], { width: 100, height: 30, env: { LC_ALL: 'C.UTF-8' } });
    await t.waitForScreen('the connection', "Escape character is '^]'.");

    t.type('LOGIN|alice');
    t.keys('Enter');
    await t.waitForScreen('the join notice', 'SYSTEM|alice joined lobby');

    // Ctrl-C: IAC IP IAC DO TIMING-MARK. Until WILL TIMING-MARK comes back, telnet shows nothing.
    t.keys('C-c');
    t.type('TEXT|hello');
    t.keys('Enter');
    await t.waitForScreen('the own message after Ctrl-C', 'TEXT|alice|hello');

    // Another user's message still shows, and so does non-ASCII text typed after a second Ctrl-C.
    const bob = await LineClient.login(srv.port, 'bob');
    bob.send('TEXT|hi alice');
    await t.waitForScreen("bob's message", 'TEXT|bob|hi alice');
    // Outside binary mode telnet takes a byte whose low 7 bits are one of its control keys
    // for that key (0x83 for ^C, 0x8f for ^O, …), so this text has no such byte.
    t.keys('C-c');
    t.type('TEXT|héllo wörld 明日');
    t.keys('Enter');
    await bob.waitFor('TEXT|alice|héllo wörld 明日');
    await t.waitForScreen('the non-ASCII message', 'TEXT|alice|héllo wörld 明日');

    // ^] then `send ayt`: IAC AYT, answered with a SYSTEM line.
    t.keys('C-]');
    await t.waitForScreen("telnet's prompt", (s) => TELNET_PROMPT.test(s));
    t.type('send ayt');
    t.keys('Enter');
    await t.waitForScreen('the AYT answer', 'SYSTEM|yes, still here');

    // ^] then `send ao` (IAC AO alone) changes nothing: frames are still answered.
    t.keys('C-]');
    await t.waitForScreen("telnet's prompt again", (s) => TELNET_PROMPT.test(s) && s.split('telnet>').length === 3);
    t.type('send ao');
    t.keys('Enter');
    t.type('PING|still here');
    t.keys('Enter');
    await t.waitForScreen('the PONG', 'PONG|still here');

    // ^O while a line is typed: IAC AO IAC DO TIMING-MARK inside the line, which stays whole.
    t.type('TEXT|half');
    t.keys('C-o');
    t.type(' and half');
    t.keys('Enter');
    await t.waitForScreen('the message typed around ^O', 'TEXT|alice|half and half');
    expect(t.screen()).not.toContain('BAD_ENCODING');
  });
});
