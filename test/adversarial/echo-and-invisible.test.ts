// Text a hostile client sends comes back to nobody raw: not in PONG, not in
// errors, not as empty-looking messages or hidden line breaks.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, startTestServer, type TestServer } from '../helpers/server.js';

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

/** C0 but TAB, DEL, C1, line and paragraph separators, bidi controls. */
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('nothing the server writes carries a control character', () => {
  it('PONG echoes the token without ESC, BEL, NUL or a lone CR', async () => {
    const c = await LineClient.connect(srv.port);
    c.sendLine('PING|a\u001b[2Jb\u0007c\u0000d\re');
    const pong = await c.nextLine();
    expect(pong).toBe('PONG|a[2Jbcde');
    expect(UNSAFE.test(pong)).toBe(false);
  });

  it('errors that quote what was sent quote it harmlessly', async () => {
    const c = await LineClient.loggedIn(srv.port, 'quoter');
    for (const line of ['\u001b]0;pwned\u0007|x', 'PRIVATE|\u001b[31mnobody|hi', 'JOIN|\u001b[5mroom']) {
      c.sendLine(line);
      const answer = await c.nextLine();
      expect(answer, JSON.stringify(line)).toMatch(/^ERROR\|/);
      expect(UNSAFE.test(answer), JSON.stringify(answer)).toBe(false);
    }
  });
});

describe('messages that look empty or break lines', () => {
  it('a message of only invisible characters is refused and reaches no one', async () => {
    const alice = await LineClient.loggedIn(srv.port, 'inviso');
    const bob = await LineClient.loggedIn(srv.port, 'watcher1');
    await alice.waitFor('SYSTEM|watcher1 joined lobby');
    for (const invisible of ['\u200b\u200b', '\u3164', '\u115f\u1160', '\u2060\ufeff', '\u00a0 \u3000', '\u034f\ufe0f']) {
      alice.sendLine(`TEXT|${invisible}`);
      expect(await alice.nextLine(), JSON.stringify(invisible)).toBe('ERROR|BAD_FRAME|the message is empty: it has nothing visible');
    }
    alice.sendLine('TEXT|visible');
    expect(await bob.waitFor('TEXT|inviso|')).toBe('TEXT|inviso|visible');
  });

  it('U+2028 and U+2029 are removed from relayed messages like line breaks', async () => {
    const alice = await LineClient.loggedIn(srv.port, 'breaker');
    alice.sendLine('TEXT|one\u2028two\u2029three');
    expect(await alice.waitFor('TEXT|breaker|')).toBe('TEXT|breaker|onetwothree');
  });
});

describe('HISTORY|n with a huge n', () => {
  it('is cut to the cap, as documented, not refused', async () => {
    const c = await LineClient.loggedIn(srv.port, 'historian');
    c.sendLine('JOIN|archive');
    await c.waitFor('SYSTEM|historian joined archive');
    c.sendLine('TEXT|kept');
    await c.expectLine('TEXT|historian|kept');
    c.sendLine('HISTORY|9999999999');
    expect(await c.nextLine()).toMatch(/^HISTORY\|[^|]+\|historian\|kept$/);
  });
});
