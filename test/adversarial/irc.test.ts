// Hostile IRC clients on a real server: one that floods PRIVMSG and
// oversized lines is cut off without slowing a line-protocol user; many
// that try a registered name with NICK, wrong PASS or wrong SASL never
// speak under it; a message through IRC is stored before anyone sees it
// (the disk-full case of the line protocol applies unchanged: one path);
// TAGMSG floods and costly WHO masks are rate-limited like any frame.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, startTestServer } from '../helpers/server.js';

const WORST_PING_MS = 1000;

afterEach(async () => {
  await closeAllClients();
  await closeAllServers();
});

afterAll(() => removeTempDirs());

async function pingMs(c: LineClient, token: string): Promise<number> {
  const started = performance.now();
  c.sendLine(`PING|${token}`);
  await c.waitFor(`PONG|${token}`, 10_000);
  return performance.now() - started;
}

async function registered(port: number, nick: string): Promise<LineClient> {
  const c = await LineClient.connect(port);
  c.sendLine(`NICK ${nick}`);
  c.sendLine(`USER ${nick} 0 * :${nick}`);
  await c.waitFor(/ (376|422) /);
  return c;
}

describe('a flooding IRC client', () => {
  it('is dropped for flooding while a line user in the same room stays fast and sees none of the oversized lines', async () => {
    const srv = await startTestServer({ ircPort: 0 });
    const bystander = await LineClient.loggedIn(srv.port, 'bystander');
    const flooder = await registered(srv.ircPort!, 'flooder');
    flooder.sendLine('JOIN #lobby');
    await bystander.waitFor('SYSTEM|flooder joined lobby');
    const junk = `@+x=${'a'.repeat(4100)} PRIVMSG #lobby :${'b'.repeat(400)}\r\n`;
    let burst = '';
    for (let i = 0; i < 200; i++) burst += `PRIVMSG #lobby :flood ${i}\r\n${junk}`;
    const sender = setInterval(() => flooder.send(burst), 20);
    try {
      const pings: number[] = [];
      for (let i = 0; i < 10; i++) pings.push(await pingMs(bystander, `p${i}`));
      expect(Math.max(...pings), 'the slowest PING of the bystander').toBeLessThan(WORST_PING_MS);
      await flooder.waitClosed(15_000);
    } finally {
      clearInterval(sender);
    }
    const seen = bystander.drain();
    expect(seen.filter((l) => l.includes('bbbb'))).toEqual([]);
    // Rate-limited: far fewer messages got through than were sent.
    expect(seen.filter((l) => l.startsWith('TEXT|flooder|flood')).length).toBeLessThan(100);
    expect(seen).toContain('SYSTEM|flooder left lobby (flooding)');
  }, 30_000);
});

describe('tags, TAGMSG and WHO masks as weapons', () => {
  it('TAGMSG floods with the largest tags, and WHO with the costliest masks in a room of 300, leave a message-tags reader and a line user fast and unflooded', async () => {
    const srv = await startTestServer({ ircPort: 0, maxPerIp: 0, maxConnections: 1000 });
    const crowd: LineClient[] = [];
    for (let i = 0; i < 300; i++) crowd.push(await LineClient.loggedIn(srv.port, `crowd${i}`));
    const bystander = await LineClient.loggedIn(srv.port, 'bystander');
    const reader = await LineClient.connect(srv.ircPort!);
    reader.sendLine('CAP REQ :message-tags');
    reader.sendLine('NICK reader');
    reader.sendLine('USER reader 0 * :reader');
    reader.sendLine('CAP END');
    reader.sendLine('JOIN #lobby');
    await reader.waitFor(/ 366 /);
    const attacker = await LineClient.connect(srv.ircPort!);
    attacker.sendLine('CAP REQ :message-tags');
    attacker.sendLine('NICK attacker');
    attacker.sendLine('USER attacker 0 * :attacker');
    attacker.sendLine('CAP END');
    attacker.sendLine('JOIN #lobby');
    await attacker.waitFor(/ 366 /);

    const tagmsg = `@+a=${'x'.repeat(4080)} TAGMSG #lobby\r\n`;
    const who = `WHO ${'*?'.repeat(240)}\r\nWHO *\r\n`;
    let burst = '';
    for (let i = 0; i < 20; i++) burst += tagmsg + who;
    const sender = setInterval(() => attacker.send(burst), 20);
    try {
      const pings: number[] = [];
      for (let i = 0; i < 10; i++) pings.push(await pingMs(bystander, `p${i}`));
      expect(Math.max(...pings), 'the slowest PING of the bystander').toBeLessThan(WORST_PING_MS);
      reader.sendLine('PING :reader-alive');
      await reader.waitFor(/PONG.*reader-alive/, 5_000);
      await attacker.waitClosed(15_000);
    } finally {
      clearInterval(sender);
    }
    // The reader got some of the TAGMSGs before the cut, rate-limited, and the line users none.
    const tags = reader.drain().filter((l) => l.includes(' TAGMSG #lobby'));
    expect(tags.length).toBeGreaterThan(0);
    expect(tags.length).toBeLessThan(100);
    expect(bystander.drain().filter((l) => l.includes('xxxx'))).toEqual([]);
  }, 60_000);
});

describe('impersonation over IRC', () => {
  it('NICK, a wrong PASS and a wrong SASL password never give a registered name, and nothing is said under it', async () => {
    const srv = await startTestServer({ ircPort: 0, minPasswordLength: 4 });
    const owner = await LineClient.loggedIn(srv.port, 'alice', 'right-pw');
    await owner.close();
    const room = await LineClient.loggedIn(srv.port, 'bystander');
    const tries: Array<Promise<string[]>> = [];
    for (let i = 0; i < 20; i++) {
      tries.push(
        (async () => {
          const c = await LineClient.connect(srv.ircPort!);
          const how = i % 3;
          if (how === 1) c.sendLine('PASS alice:wrong-pw');
          if (how === 2) {
            c.sendLine('AUTHENTICATE PLAIN');
            await c.waitFor(/^AUTHENTICATE \+/);
            c.sendLine(`AUTHENTICATE ${Buffer.from('\0alice\0wrong-pw').toString('base64')}`);
            await c.waitFor(/ 904 /);
          }
          c.sendLine('NICK alice');
          c.sendLine('USER alice 0 * :Alice');
          c.sendLine('JOIN #lobby');
          c.sendLine('PRIVMSG #lobby :I am alice');
          c.sendLine('PING done');
          return c.collectUntil(/PONG|^ERROR /, 5_000);
        })(),
      );
    }
    const answers = await Promise.all(tries);
    for (const lines of answers) expect(lines.some((l) => / 001 /.test(l)), lines.join('\n')).toBe(false);
    room.sendLine('USERS');
    expect(await room.waitFor(/^USERS\|/)).toBe('USERS|1|bystander');
    expect(room.drain().filter((l) => l.includes('I am alice'))).toEqual([]);
  }, 30_000);
});
