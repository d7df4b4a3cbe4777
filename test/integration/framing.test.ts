// Framing on real sockets: how bytes become lines, whatever the TCP reads.

import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let counter = 0;

beforeAll(async () => {
  srv = await startTestServer({ rateLimit: 0 });
});

afterEach(async () => {
  await closeAllClients();
  // Let the server hand out the leave notices before the next test logs in.
  await sleep(50);
});

afterAll(async () => {
  await closeAllClients();
  await closeAllServers();
  removeTempDirs();
});

const systemNaming =
  (name: string) =>
  (line: string): boolean =>
    line.startsWith('SYSTEM|') && line.includes(name);

/** A fresh room per test, so tests sharing the server do not hear each other. */
async function pair(port = srv.port): Promise<{ a: LineClient; b: LineClient; aName: string; bName: string }> {
  const n = ++counter;
  const aName = `fa${n}`;
  const bName = `fb${n}`;
  const room = `room${n}`;
  const a = await LineClient.loggedIn(port, aName);
  a.sendLine(`JOIN|${room}`);
  await a.waitFor(systemNaming(aName));
  const b = await LineClient.loggedIn(port, bName);
  b.sendLine(`JOIN|${room}`);
  await b.waitFor(systemNaming(bName));
  await a.waitFor(systemNaming(bName));
  return { a, b, aName, bName };
}

describe('line splitting', () => {
  it('assembles a frame sent one byte per write', async () => {
    const c = await LineClient.connect(srv.port);
    const name = `bytewise${++counter}`;
    await c.sendSlowly(`LOGIN|${name}\n`, 1, 3);
    expect(await c.nextLine()).toMatch(/^SUCCESS\|/);
    await c.waitFor(systemNaming(name));
    await c.sendSlowly('PING|one byte at a time\n', 1, 1);
    expect(await c.nextLine()).toBe('PONG|one byte at a time');
  });

  it('assembles a UTF-8 name and message sent one byte per write', async () => {
    const { a, b } = await pair();
    const message = 'héllo 小明 😀 हिन्दी';
    await a.sendSlowly(`TEXT|${message}\n`, 1, 1);
    expect(await b.nextLine()).toMatch(new RegExp(`^TEXT\\|fa\\d+\\|${message}$`));
    const c = await LineClient.connect(srv.port);
    const name = `小明${++counter}`;
    await c.sendSlowly(`LOGIN|${name}\n`, 1, 2);
    expect(await c.nextLine()).toMatch(/^SUCCESS\|/);
    await c.waitFor(systemNaming(name));
  });

  it('splits a multi-byte character across two writes without harm', async () => {
    const { a, b, aName } = await pair();
    const bytes = Buffer.from('TEXT|日本語 ✓ 😀\n', 'utf8');
    // Split inside the 3-byte 本, inside ✓ and inside the 4-byte emoji.
    const cuts = [9, 16, 20, bytes.length];
    let from = 0;
    for (const cut of cuts) {
      a.send(bytes.subarray(from, cut));
      from = cut;
      await sleep(30);
    }
    expect(await b.nextLine()).toBe(`TEXT|${aName}|日本語 ✓ 😀`);
    expect(await a.nextLine()).toBe(`TEXT|${aName}|日本語 ✓ 😀`);
  });

  it('handles many frames in one write, in order', async () => {
    const c = await LineClient.connect(srv.port);
    c.send('PING|1\nPING|2\nPING|3\nPING|4\n');
    expect(await c.lines(4)).toEqual(['PONG|1', 'PONG|2', 'PONG|3', 'PONG|4']);
    const { a, b, aName } = await pair();
    a.send('TEXT|one\nTEXT|two\nTEXT|three\n');
    expect(await b.lines(3)).toEqual([`TEXT|${aName}|one`, `TEXT|${aName}|two`, `TEXT|${aName}|three`]);
  });

  it('handles frames cut at arbitrary points across writes', async () => {
    const c = await LineClient.connect(srv.port);
    for (const piece of ['PI', 'NG|al', 'pha\nPING|b', 'eta\nPING|gam', 'ma|delta', '\n']) {
      c.send(piece);
      await sleep(15);
    }
    expect(await c.lines(3)).toEqual(['PONG|alpha', 'PONG|beta', 'PONG|gamma|delta']);
  });

  it('drops the CR of CRLF (telnet) everywhere', async () => {
    const c = await LineClient.connect(srv.port);
    const name = `telnet${++counter}`;
    c.send(`LOGIN|${name}\r\n`);
    expect(await c.nextLine()).toMatch(/^SUCCESS\|/);
    const system = await c.waitFor(systemNaming(name));
    expect(system).not.toContain('\r');
    c.send('TEXT|hi there\r\n');
    expect(await c.nextLine()).toBe(`TEXT|${name}|hi there`);
    c.send('PING|tok\r\nPING\r\n');
    expect(await c.lines(2)).toEqual(['PONG|tok', 'PONG|']);
    c.send('USERS\r\n');
    expect(await c.nextLine()).toMatch(/^USERS\|\d+\|/);
  });

  it('ignores empty lines', async () => {
    const c = await LineClient.connect(srv.port);
    c.send('\n\r\n\n');
    await c.expectNoLine(300);
    c.send('\n\nPING|after blanks\n\r\n');
    expect(await c.nextLine()).toBe('PONG|after blanks');
    await c.expectNoLine(200);
  });
});

describe('LINE_TOO_LONG', () => {
  it('accepts a line of exactly 4096 bytes and refuses 4097, then the session goes on', async () => {
    const c = await LineClient.connect(srv.port);
    const exact = `PING|${'a'.repeat(4096 - 5)}`;
    c.sendLine(exact);
    expect(await c.nextLine()).toBe(`PONG|${'a'.repeat(4091)}`);
    c.sendLine(`PING|${'b'.repeat(4092)}`);
    expect(await c.nextLine()).toMatch(/^ERROR\|LINE_TOO_LONG\|/);
    c.sendLine('PING|next');
    expect(await c.nextLine()).toBe('PONG|next');
  });

  it('discards the rest of the long line, relays none of it, and the session goes on', async () => {
    const { a, b, aName } = await pair();
    a.send(`TEXT|${'x'.repeat(6000)}PING|tail\nPING|after\n`);
    expect(await a.nextLine()).toMatch(/^ERROR\|LINE_TOO_LONG\|/);
    expect(await a.nextLine()).toBe('PONG|after');
    await b.expectNoLine(200);
    a.sendLine('TEXT|short');
    expect(await b.nextLine()).toBe(`TEXT|${aName}|short`);
    expect(await a.nextLine()).toBe(`TEXT|${aName}|short`);
  });

  it('reports the long line before its end arrives: it never buffers an unbounded line', async () => {
    const { a, b, aName } = await pair();
    a.send('TEXT|');
    const chunk = 'y'.repeat(64 * 1024);
    for (let i = 0; i < 32; i++) a.send(chunk); // 2 MiB, no LF yet
    expect(await a.nextLine(3_000)).toMatch(/^ERROR\|LINE_TOO_LONG\|/);
    for (let i = 0; i < 16; i++) a.send(chunk);
    a.send('\nTEXT|recovered\n');
    expect(await a.nextLine(3_000)).toBe(`TEXT|${aName}|recovered`);
    expect(await b.nextLine()).toBe(`TEXT|${aName}|recovered`);
    await a.expectNoLine(200);
  });

  it('honours a smaller maxLineBytes', async () => {
    const small = await startTestServer({ rateLimit: 0, maxLineBytes: 100 });
    const c = await LineClient.connect(small.port);
    c.sendLine(`PING|${'z'.repeat(95)}`);
    expect(await c.nextLine()).toBe(`PONG|${'z'.repeat(95)}`);
    c.sendLine(`PING|${'z'.repeat(96)}`);
    expect(await c.nextLine()).toMatch(/^ERROR\|LINE_TOO_LONG\|/);
    c.sendLine('PING|ok');
    expect(await c.nextLine()).toBe('PONG|ok');
    await small.close();
  });
});

describe('BAD_ENCODING', () => {
  it('refuses bytes that are not UTF-8, relays nothing, and the session goes on', async () => {
    const { a, b, aName } = await pair();
    const bad = [
      Buffer.from([0xff, 0xfe]), // never valid
      Buffer.from([0xc0, 0xaf]), // overlong '/'
      Buffer.from([0xed, 0xa0, 0x80]), // UTF-16 surrogate
      Buffer.from([0xe6, 0x97]), // truncated 3-byte sequence
      Buffer.from([0x80]), // lone continuation byte
    ];
    for (const bytes of bad) {
      a.send(Buffer.concat([Buffer.from('TEXT|bad '), bytes, Buffer.from(' bytes\n')]));
      expect(await a.nextLine(), bytes.toString('hex')).toMatch(/^ERROR\|BAD_ENCODING\|/);
    }
    await b.expectNoLine(300);
    a.sendLine('TEXT|good bytes');
    expect(await b.nextLine()).toBe(`TEXT|${aName}|good bytes`);
  });

  it('refuses a LOGIN with a name that is not UTF-8', async () => {
    const c = await LineClient.connect(srv.port);
    c.send(Buffer.concat([Buffer.from('LOGIN|na'), Buffer.from([0xff]), Buffer.from('me\n')]));
    expect(await c.nextLine()).toMatch(/^ERROR\|BAD_ENCODING\|/);
    c.sendLine('PING|x');
    expect(await c.nextLine()).toBe('PONG|x');
  });
});

describe('legacy framing (no LF)', () => {
  it('ends a 1|, 3|, 2| frame after 250 ms of quiet, and drops the own-name prefix', async () => {
    const watcher = await LineClient.loggedIn(srv.port, `lw${++counter}`);
    const name = `legacy${counter}`;
    const c = await LineClient.connect(srv.port);
    const sentAt = Date.now();
    c.send(`1|${name}`);
    // Not before the quiet period…
    await c.expectNoLine(180);
    // …but soon after it.
    const success = await c.nextLine(1_500);
    expect(success).toMatch(/^SUCCESS\|/);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(200);
    await c.waitFor(systemNaming(name));
    await watcher.waitFor(systemNaming(name));

    c.send(`3|${name}:hi`);
    await watcher.waitFor(`TEXT|${name}|hi`, 1_500);
    await c.waitFor(`TEXT|${name}|hi`);

    c.send('3|bob:hi');
    expect(await watcher.nextLine(1_500)).toBe(`TEXT|${name}|bob:hi`);
    await c.waitFor(`TEXT|${name}|bob:hi`);

    c.send('3|plain');
    expect(await watcher.nextLine(1_500)).toBe(`TEXT|${name}|plain`);
    await c.waitFor(`TEXT|${name}|plain`);

    c.send(`2|${name}`);
    expect(systemNaming(name)(await watcher.nextLine(1_500))).toBe(true);
    await c.waitClosed();
  });

  it('waits for quiet: bytes 100 ms apart belong to the same frame', async () => {
    const watcher = await LineClient.loggedIn(srv.port, `lw${++counter}`);
    const name = `split${counter}`;
    const c = await LineClient.connect(srv.port);
    c.send(`1|${name.slice(0, 3)}`);
    await sleep(100);
    c.send(name.slice(3));
    expect(await c.nextLine(1_500)).toMatch(/^SUCCESS\|/);
    await watcher.waitFor(systemNaming(name), 1_500);
    await c.waitFor(systemNaming(name));
    c.send(`3|${name}:par`);
    await sleep(100);
    c.send('ts');
    expect(await watcher.nextLine(1_500)).toBe(`TEXT|${name}|parts`);
  });

  it('does not apply once the connection has sent an LF', async () => {
    const c = await LineClient.connect(srv.port);
    c.sendLine('PING|lf');
    expect(await c.nextLine()).toBe('PONG|lf');
    const name = `nolegacy${++counter}`;
    c.send(`1|${name}`);
    await c.expectNoLine(700);
    c.send('\n');
    expect(await c.nextLine()).toMatch(/^SUCCESS\|/);
  });

  it('does not apply to pending bytes that do not start with 1|, 2| or 3|', async () => {
    const c = await LineClient.connect(srv.port);
    c.send(`LOGIN|unterminated${++counter}`);
    await c.expectNoLine(700);
    c.send('\n');
    expect(await c.nextLine()).toMatch(/^SUCCESS\|/);
  });
});

describe('HTTP on the chat port', () => {
  const requests: Array<[string, string]> = [
    ['a GET request line', 'GET / HTTP/1.1\r\n'],
    ['a POST request line', 'POST /x HTTP/1.1\r\n'],
    ['a whole HTTP request in one write', 'GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n'],
    ['a Host: line', 'Host: example.com\r\n'],
  ];
  for (const [what, request] of requests) {
    it(`closes a connection that starts with ${what} at once, with no reply`, async () => {
      const c = await LineClient.connect(srv.port);
      c.send(request);
      await c.waitClosed(1_500);
      expect(c.bytesReceived).toBe(0);
    });
  }
});
