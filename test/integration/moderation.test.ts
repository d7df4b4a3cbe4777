// Operators and moderation on a real server over real sockets: who may use
// KICK, BAN, UNBAN, MUTE, UNMUTE and MODLOG; what the target, the room and
// the operator see; bans by name and by address (each 127.x.y.z its own),
// mutes, their expiry on an injected clock, and both surviving a restart;
// and PASSWORD with the minimum length of new passwords.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/server/log.js';
import { SqliteStore } from '../../src/server/storage/sqlite-store.js';
import { LineClient, closeAllClients, isReply } from '../helpers/line-client.js';
import { closeAllServers, makeTempDir, removeTempDirs, startTestServer, type TestServer } from '../helpers/server.js';

afterEach(async () => {
  await closeAllClients();
  await closeAllServers();
});

afterAll(() => removeTempDirs());

const OP_PASSWORD = 'operator-pw';
const MINUTE = 60_000;

/** A clock the test moves: sanctions end when it says so. */
function testClock(start = Date.UTC(2026, 11, 2, 3, 0, 0)): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

async function server(overrides: Parameters<typeof startTestServer>[0] = {}, clock?: () => number): Promise<TestServer> {
  return startTestServer({ operators: ['alice'], rateLimit: 0, ...overrides }, clock === undefined ? {} : { clock });
}

/** alice, the operator, logged in with her password (registered on first use). */
function operator(srv: TestServer, from?: string): Promise<LineClient> {
  return loggedInFrom(srv, 'alice', OP_PASSWORD, from);
}

async function loggedInFrom(srv: TestServer, name: string, password?: string, from?: string): Promise<LineClient> {
  const c = await LineClient.connect(srv.port, '127.0.0.1', undefined, from);
  const { success } = await c.login(name, password);
  expect(success).toMatch(/^SUCCESS\|/);
  return c;
}

/** Sends a frame and returns the first reply line, skipping live traffic from others. */
async function ask(c: LineClient, frame: string, reply: RegExp | string | ((line: string) => boolean) = isReply): Promise<string> {
  c.sendLine(frame);
  return c.waitFor(reply);
}

async function answerFrom(srv: TestServer, frame: string, from?: string): Promise<string> {
  const c = await LineClient.connect(srv.port, '127.0.0.1', undefined, from);
  c.sendLine(frame);
  const line = await c.nextLine();
  await c.close();
  return line;
}

describe('who may moderate', () => {
  it('a guest, a registered user who is not an operator, and an operator name used as a guest all get NOT_ALLOWED', async () => {
    const srv = await server({ operators: ['alice', 'root'] });
    await loggedInFrom(srv, 'target');
    const guest = await loggedInFrom(srv, 'guest1');
    const member = await loggedInFrom(srv, 'member', 'member-pw');
    // `root` is named an operator but was never registered: as a guest it proves nothing.
    const fake = await loggedInFrom(srv, 'root');
    for (const c of [guest, member, fake]) {
      for (const frame of ['KICK|target|x', 'BAN|target|5|x', 'UNBAN|target', 'MUTE|target|5', 'UNMUTE|target', 'MODLOG']) {
        const type = frame.split('|')[0];
        expect(await ask(c, frame), frame).toBe(`ERROR|NOT_ALLOWED|only operators may send ${type}`);
      }
    }
  });

  it('an --operator name nobody has registered yet is warned about at start-up (whoever registers it first gets it)', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', json: true }, (line) => lines.push(line));
    const dataDir = makeTempDir();
    const first = await startTestServer({ dataDir, operators: ['alice', 'bert'] }, { log });
    const warned = () => lines.map((l) => JSON.parse(l) as { event: string; name?: string }).filter((e) => e.event === 'operator-not-registered').map((e) => e.name);
    expect(warned()).toEqual(['alice', 'bert']);
    await operator(first);
    await first.close();
    lines.length = 0;
    await startTestServer({ dataDir, operators: ['alice', 'bert'] }, { log });
    expect(warned()).toEqual(['bert']);
  });

  it('an operator cannot act on themself or on another operator', async () => {
    const srv = await server({ operators: ['alice', 'bert'] });
    const alice = await operator(srv);
    await loggedInFrom(srv, 'bert', 'bert-password');
    expect(await ask(alice, 'KICK|alice|x')).toBe('ERROR|NOT_ALLOWED|you cannot do that to yourself');
    expect(await ask(alice, 'BAN|ALICE|0')).toBe('ERROR|NOT_ALLOWED|you cannot do that to yourself');
    expect(await ask(alice, 'MUTE|bert|5')).toBe('ERROR|NOT_ALLOWED|bert is an operator');
  });

  it('an operator granted in the store (as chat-server accounts operator does) may moderate at once, and loses it when revoked', async () => {
    const srv = await server({ operators: [] });
    const carol = await loggedInFrom(srv, 'carol', 'carol-password');
    expect(await ask(carol, 'MODLOG')).toBe('ERROR|NOT_ALLOWED|only operators may send MODLOG');
    const admin = new SqliteStore(srv.dataDir);
    try {
      expect(await admin.setOperator('carol', true)).toBe(true);
      expect(await ask(carol, 'MODLOG')).toBe('SYSTEM|no moderation actions yet');
      expect(await admin.setOperator('carol', false)).toBe(true);
      expect(await ask(carol, 'MODLOG')).toBe('ERROR|NOT_ALLOWED|only operators may send MODLOG');
    } finally {
      await admin.close();
    }
  });

  it('malformed moderation frames get BAD_FRAME with the usage', async () => {
    const srv = await server();
    const alice = await operator(srv);
    expect(await ask(alice, 'KICK')).toMatch(/^ERROR\|BAD_FRAME\|usage: KICK\|name\|reason/);
    expect(await ask(alice, 'BAN|bob')).toMatch(/^ERROR\|BAD_FRAME\|usage: BAN\|name\|minutes\|reason/);
    expect(await ask(alice, 'BAN|bob|-3|x')).toMatch(/^ERROR\|BAD_FRAME\|usage: BAN/);
    expect(await ask(alice, 'MUTE|bob|soon')).toMatch(/^ERROR\|BAD_FRAME\|usage: MUTE/);
    expect(await ask(alice, 'MUTE|bob|99999999')).toMatch(/^ERROR\|BAD_FRAME\|usage: MUTE/);
    expect(await ask(alice, 'UNBAN')).toBe('ERROR|BAD_FRAME|usage: UNBAN|name');
    expect(await ask(alice, 'MODLOG|zero')).toMatch(/^ERROR\|BAD_FRAME\|usage: MODLOG/);
    expect(await ask(alice, `KICK|bob|${'x'.repeat(301)}`)).toBe('ERROR|BAD_FRAME|reasons are limited to 300 characters');
    expect(await ask(alice, 'KICK|b|x')).toMatch(/^ERROR\|NO_SUCH_USER\|/);
  });
});

describe('KICK', () => {
  it('the user is told who and why and disconnected; the room is told; the operator gets a confirmation', async () => {
    const srv = await server();
    const alice = await operator(srv);
    const bob = await loggedInFrom(srv, 'bob');
    const carol = await loggedInFrom(srv, 'carol');
    await alice.waitFor('SYSTEM|carol joined lobby');
    expect(await ask(alice, 'KICK|BOB|spamming links')).toBe('SYSTEM|you kicked bob: spamming links');
    await bob.waitFor('SYSTEM|you were kicked by alice: spamming links');
    await bob.waitClosed();
    await carol.waitFor('SYSTEM|bob left lobby (kicked by alice: spamming links)');
    // A kick is not a ban: bob may come back.
    await loggedInFrom(srv, 'bob');
  });

  it('someone who is not online is NO_SUCH_USER', async () => {
    const srv = await server();
    const alice = await operator(srv);
    expect(await ask(alice, 'KICK|nobody|x')).toBe('ERROR|NO_SUCH_USER|nobody is not online');
  });

  it('without a reason the notices leave it out', async () => {
    const srv = await server();
    const alice = await operator(srv);
    const bob = await loggedInFrom(srv, 'bob');
    const carol = await loggedInFrom(srv, 'carol');
    expect(await ask(alice, 'KICK|bob')).toBe('SYSTEM|you kicked bob');
    await bob.waitFor('SYSTEM|you were kicked by alice');
    await carol.waitFor('SYSTEM|bob left lobby (kicked by alice)');
  });
});

describe('BAN and UNBAN', () => {
  it('refuse the name from anywhere and any name from the address used, while others and the operator carry on', async () => {
    const srv = await server();
    const alice = await operator(srv, '127.0.0.1');
    const troll = await loggedInFrom(srv, 'troll', undefined, '127.0.0.2');
    const bystander = await loggedInFrom(srv, 'bystander', undefined, '127.0.0.3');
    expect(await ask(alice, 'BAN|troll|10|flooding')).toMatch(/^SYSTEM\|you banned troll for 10 minutes \(until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\): flooding$/);
    await troll.waitFor(/^SYSTEM\|you were banned by alice until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: flooding$/);
    await troll.waitClosed();
    await bystander.waitFor('SYSTEM|troll left lobby (banned by alice: flooding)');

    // The name, from another address…
    expect(await answerFrom(srv, 'LOGIN|troll', '127.0.0.4')).toMatch(/^ERROR\|BANNED\|troll is banned until .*: flooding$/);
    // …another name from the address (each 127.x.y.z counts on its own)…
    expect(await answerFrom(srv, 'LOGIN|troll2', '127.0.0.2')).toMatch(/^ERROR\|BANNED\|your address is banned until .*: flooding$/);
    expect(await answerFrom(srv, 'LOGIN|newcomer|newcomer-pw', '127.0.0.2')).toMatch(/^ERROR\|BANNED\|/);
    // …while the bystander talks on, and another address logs in.
    bystander.sendLine('TEXT|still here');
    await bystander.waitFor('TEXT|bystander|still here');
    await loggedInFrom(srv, 'fresh', undefined, '127.0.0.5');
    // An operator behind the banned address still logs in, with the password.
    await alice.close();
    await operator(srv, '127.0.0.2');
  });

  it('a ban of someone who just left still catches their address; UNBAN lifts the name and the address', async () => {
    const srv = await server();
    const alice = await operator(srv);
    const gone = await loggedInFrom(srv, 'gone', undefined, '127.0.0.7');
    gone.sendLine('LOGOUT');
    await gone.waitClosed();
    expect(await ask(alice, 'BAN|gone|0|ban evasion')).toBe('SYSTEM|you banned gone until lifted: ban evasion');
    expect(await answerFrom(srv, 'LOGIN|other', '127.0.0.7')).toBe('ERROR|BANNED|your address is banned until lifted: ban evasion');
    expect(await answerFrom(srv, 'LOGIN|gone', '127.0.0.8')).toBe('ERROR|BANNED|gone is banned until lifted: ban evasion');

    expect(await ask(alice, 'UNBAN|gone')).toBe('SYSTEM|gone is no longer banned');
    expect(await ask(alice, 'UNBAN|gone')).toBe('SYSTEM|gone is not banned');
    await loggedInFrom(srv, 'gone', undefined, '127.0.0.8');
    await loggedInFrom(srv, 'other', undefined, '127.0.0.7');
  });

  it('a registered troll is refused even with the right password', async () => {
    const srv = await server();
    const alice = await operator(srv);
    const reg = await loggedInFrom(srv, 'regtroll', 'regtroll-pw', '127.0.0.9');
    expect(await ask(alice, 'BAN|regtroll|0')).toBe('SYSTEM|you banned regtroll until lifted');
    await reg.waitClosed();
    expect(await answerFrom(srv, 'LOGIN|regtroll|regtroll-pw', '127.0.0.10')).toBe('ERROR|BANNED|regtroll is banned until lifted');
  });

  it('ends when its minutes are up (on the server clock)', async () => {
    const clock = testClock();
    const srv = await server({}, clock.now);
    const alice = await operator(srv);
    await loggedInFrom(srv, 'brief', undefined, '127.0.0.11');
    expect(await ask(alice, 'BAN|brief|5|cool off')).toBe('SYSTEM|you banned brief for 5 minutes (until 2026-12-02T03:05:00Z): cool off');
    expect(await answerFrom(srv, 'LOGIN|brief', '127.0.0.12')).toBe('ERROR|BANNED|brief is banned until 2026-12-02T03:05:00Z: cool off');
    clock.advance(5 * MINUTE - 1);
    expect(await answerFrom(srv, 'LOGIN|brief', '127.0.0.12')).toMatch(/^ERROR\|BANNED\|/);
    clock.advance(1);
    expect(await answerFrom(srv, 'LOGIN|brief', '127.0.0.12')).toMatch(/^SUCCESS\|/);
    expect(await answerFrom(srv, 'LOGIN|someone', '127.0.0.11')).toMatch(/^SUCCESS\|/);
  });

  it('survives a restart of the server on the same data directory', async () => {
    const dataDir = makeTempDir();
    const first = await server({ dataDir });
    const alice = await operator(first);
    await loggedInFrom(first, 'persistent', undefined, '127.0.0.13');
    expect(await ask(alice, 'BAN|persistent|0|for good')).toBe('SYSTEM|you banned persistent until lifted: for good');
    await first.close();

    const second = await server({ dataDir });
    expect(await answerFrom(second, 'LOGIN|persistent', '127.0.0.14')).toBe('ERROR|BANNED|persistent is banned until lifted: for good');
    expect(await answerFrom(second, 'LOGIN|sockpuppet', '127.0.0.13')).toBe('ERROR|BANNED|your address is banned until lifted: for good');
    const again = await operator(second);
    expect(await ask(again, 'MODLOG', /^SYSTEM\|\d{4}-/)).toMatch(/^SYSTEM\|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ alice banned persistent until lifted: for good$/);
  });
});

describe('MUTE and UNMUTE', () => {
  it('a muted user reads but cannot TEXT, PRIVATE or JOIN; USERS still works; UNMUTE tells them', async () => {
    const srv = await server();
    const alice = await operator(srv);
    const bob = await loggedInFrom(srv, 'bob');
    const carol = await loggedInFrom(srv, 'carol');
    expect(await ask(alice, 'MUTE|bob|0|calm down')).toBe('SYSTEM|you muted bob until lifted: calm down');
    await bob.waitFor('SYSTEM|alice muted you until lifted: calm down; you can still read');
    const muted = /^ERROR\|MUTED\|you are muted until lifted by alice; /;
    expect(await ask(bob, 'TEXT|let me speak')).toMatch(muted);
    expect(await ask(bob, 'PRIVATE|carol|psst')).toMatch(muted);
    expect(await ask(bob, 'JOIN|elsewhere')).toMatch(muted);
    expect(await ask(bob, 'USERS', /^USERS\|/)).toBe('USERS|3|alice,bob,carol');
    // He still reads the room.
    carol.sendLine('TEXT|bob, you are muted');
    await bob.waitFor('TEXT|carol|bob, you are muted');

    expect(await ask(alice, 'UNMUTE|bob')).toBe('SYSTEM|bob is no longer muted');
    await bob.waitFor('SYSTEM|alice unmuted you; you can talk again');
    bob.sendLine('TEXT|thanks');
    await carol.waitFor('TEXT|bob|thanks');
    expect(await ask(alice, 'UNMUTE|bob')).toBe('SYSTEM|bob is not muted');
  });

  it('holds across logging in again and a restart, and ends when its minutes are up', async () => {
    const clock = testClock();
    const dataDir = makeTempDir();
    const first = await server({ dataDir }, clock.now);
    const alice = await operator(first);
    await loggedInFrom(first, 'dave', 'dave-password');
    expect(await ask(alice, 'MUTE|dave|30')).toBe('SYSTEM|you muted dave for 30 minutes (until 2026-12-02T03:30:00Z)');
    await first.close();

    const second = await server({ dataDir }, clock.now);
    const dave = await loggedInFrom(second, 'dave', 'dave-password');
    expect(await ask(dave, 'TEXT|am I back?')).toMatch(/^ERROR\|MUTED\|you are muted until 2026-12-02T03:30:00Z by alice/);
    clock.advance(30 * MINUTE);
    dave.sendLine('TEXT|am I back?');
    await dave.waitFor('TEXT|dave|am I back?');
  });

  it('a mute of someone offline takes effect at their next login', async () => {
    const srv = await server();
    const alice = await operator(srv);
    expect(await ask(alice, 'MUTE|later|10|pre-emptive')).toMatch(/^SYSTEM\|you muted later for 10 minutes/);
    const later = await loggedInFrom(srv, 'later');
    expect(await ask(later, 'TEXT|hello')).toMatch(/^ERROR\|MUTED\|/);
  });
});

describe('MODLOG and the event log', () => {
  it('lists recent actions oldest first, MODLOG|n the last n; each action is one log event', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', json: true }, (line) => lines.push(line));
    const srv = await startTestServer({ operators: ['alice'], rateLimit: 0 }, { log });
    const alice = await operator(srv);
    await loggedInFrom(srv, 'bob');
    expect(await ask(alice, 'MODLOG')).toBe('SYSTEM|no moderation actions yet');
    await ask(alice, 'MUTE|bob|15|noise');
    await ask(alice, 'UNMUTE|bob');
    await ask(alice, 'KICK|bob|bye');
    alice.sendLine('MODLOG');
    const all = await alice.lines(3);
    expect(all.map((l) => l.replace(/^SYSTEM\|\S+ /, ''))).toEqual([
      'alice muted bob for 15 minutes: noise',
      'alice unmuted bob',
      'alice kicked bob: bye',
    ]);
    expect(await ask(alice, 'MODLOG|1')).toMatch(/^SYSTEM\|\S+ alice kicked bob: bye$/);
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === 'moderation');
    expect(events.map(({ operator, action, target, minutes, reason }) => ({ operator, action, target, minutes, reason }))).toEqual([
      { operator: 'alice', action: 'mute', target: 'bob', minutes: 15, reason: 'noise' },
      { operator: 'alice', action: 'unmute', target: 'bob', minutes: undefined, reason: '' },
      { operator: 'alice', action: 'kick', target: 'bob', minutes: undefined, reason: 'bye' },
    ]);
  });
});

describe('PASSWORD and the length of new passwords', () => {
  it('changes one’s own password: the old one stops working, the new one logs in', async () => {
    const srv = await server();
    const erin = await loggedInFrom(srv, 'erin', 'first-password');
    expect(await ask(erin, 'PASSWORD|first-password|second|password')).toBe('SYSTEM|your password was changed; use the new one from now on');
    erin.sendLine('LOGOUT');
    await erin.waitClosed();
    expect(await answerFrom(srv, 'LOGIN|erin|first-password')).toBe('ERROR|BAD_PASSWORD|wrong password for erin');
    await loggedInFrom(srv, 'erin', 'second|password');
  });

  it('a wrong old password is BAD_PASSWORD and throttled like logins; a short new one is BAD_PASSWORD with the reason', async () => {
    const srv = await server({ loginFailures: 2 });
    const fay = await loggedInFrom(srv, 'fay', 'fay-password');
    expect(await ask(fay, 'PASSWORD|fay-password|short')).toBe('ERROR|BAD_PASSWORD|a new password needs at least 8 characters');
    expect(await ask(fay, 'PASSWORD|guess-one|new-password')).toBe('ERROR|BAD_PASSWORD|the old password is wrong; your password was not changed');
    expect(await ask(fay, 'PASSWORD|guess-two|new-password')).toBe('ERROR|BAD_PASSWORD|the old password is wrong; your password was not changed');
    // Throttled now, even with the right one: the same budget as LOGIN.
    expect(await ask(fay, 'PASSWORD|fay-password|new-password')).toMatch(/^ERROR\|RATE_LIMITED\|too many wrong passwords/);
    expect(await ask(fay, 'PASSWORD')).toBe('ERROR|BAD_FRAME|usage: PASSWORD|old password|new password');
    expect(await ask(fay, 'PASSWORD|old|')).toBe('ERROR|BAD_PASSWORD|the new password must not be empty');
  });

  it('a guest has no password to change', async () => {
    const srv = await server();
    const guest = await loggedInFrom(srv, 'visitor');
    expect(await ask(guest, 'PASSWORD|a|new-password')).toMatch(/^ERROR\|NOT_ALLOWED\|guests have no password/);
  });

  it('registering needs at least 8 characters by default, and what --min-password-length says otherwise', async () => {
    const srv = await server();
    expect(await answerFrom(srv, 'LOGIN|shorty|1234567')).toBe(
      'ERROR|BAD_PASSWORD|shorty is not registered yet, and a new account needs at least 8 characters',
    );
    // Characters, not bytes: eight of them in any script.
    expect(await answerFrom(srv, 'LOGIN|wide|密码密码密码密码')).toMatch(/^SUCCESS\|/);
    expect(await answerFrom(srv, 'LOGIN|shorty|12345678')).toMatch(/^SUCCESS\|/);
    const lax = await server({ minPasswordLength: 3 });
    expect(await answerFrom(lax, 'LOGIN|tiny|abc')).toMatch(/^SUCCESS\|/);
    expect(await answerFrom(lax, 'LOGIN|tinier|ab')).toBe('ERROR|BAD_PASSWORD|tinier is not registered yet, and a new account needs at least 3 characters');
  });
});
