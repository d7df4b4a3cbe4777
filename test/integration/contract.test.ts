// The wire contract (../shared/wire-contract.md beside the clone; restated in docs/PROTOCOL.md), line by line, against
// the in-process server on real sockets. Each test gets a fresh server and
// data dir, so no presence or history leaks from one test to the next.

import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients, parseHistory, parseRooms, parseUsers } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;

beforeEach(async () => {
  // No rate limit here: several tests send more than a burst of messages.
  srv = await startTestServer({ rateLimit: 0 });
});

afterEach(async () => {
  await closeAllClients();
  await closeAllServers();
});

afterAll(() => removeTempDirs());

/** A SYSTEM line that names `name`. */
const systemNaming =
  (name: string) =>
  (line: string): boolean =>
    line.startsWith('SYSTEM|') && line.normalize('NFC').includes(name.normalize('NFC'));

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function connect(): Promise<LineClient> {
  return LineClient.connect(srv.port);
}

/**
 * Logs the users in one after another; every earlier user consumes the
 * later users' join notices, so all queues are empty afterwards.
 */
async function users(...names: string[]): Promise<LineClient[]> {
  const clients: LineClient[] = [];
  for (const name of names) {
    const client = await LineClient.loggedIn(srv.port, name);
    for (const other of clients) await other.waitFor(systemNaming(name));
    clients.push(client);
  }
  return clients;
}

/** Sends TEXT and waits for the sender's own echo. */
async function say(client: LineClient, from: string, message: string): Promise<void> {
  client.sendLine(`TEXT|${message}`);
  await client.expectLine(`TEXT|${from}|${message}`);
}

/** Moves `client` to `room` and waits until `watchers` saw it arrive. */
async function join(client: LineClient, name: string, room: string, ...watchers: LineClient[]): Promise<void> {
  client.sendLine(`JOIN|${room}`);
  await client.waitFor(systemNaming(name));
  for (const w of watchers) await w.waitFor(systemNaming(name));
}

describe('connection start', () => {
  it('sends nothing on connect; the first line answers the first frame', async () => {
    const c = await connect();
    await c.expectNoLine(400);
    expect(c.bytesReceived).toBe(0);
    c.sendLine('PING|first');
    expect(await c.nextLine()).toBe('PONG|first');
  });
});

describe('PING', () => {
  it('answers PONG| without a token and PONG|token with one, before and after login', async () => {
    const c = await connect();
    c.sendLine('PING');
    expect(await c.nextLine()).toBe('PONG|');
    c.sendLine('PING|');
    expect(await c.nextLine()).toBe('PONG|');
    c.sendLine('PING|abc123');
    expect(await c.nextLine()).toBe('PONG|abc123');
    await c.login('pinger');
    c.sendLine('PING|after login');
    expect(await c.nextLine()).toBe('PONG|after login');
  });

  it('keeps | characters in the last field', async () => {
    const c = await connect();
    c.sendLine('PING|a|b||c');
    expect(await c.nextLine()).toBe('PONG|a|b||c');
  });
});

describe('frame types', () => {
  it('are case-insensitive on input and always upper-case on output', async () => {
    const [watcher] = await users('watcher');
    const c = await connect();
    c.sendLine('Ping|x');
    expect(await c.nextLine()).toBe('PONG|x');
    c.sendLine('login|Casey');
    expect(await c.nextLine()).toMatch(/^SUCCESS\|/);
    await c.waitFor(systemNaming('Casey'));
    await watcher!.waitFor(systemNaming('Casey'));
    c.sendLine('text|lower');
    expect(await c.nextLine()).toBe('TEXT|Casey|lower');
    expect(await watcher!.nextLine()).toBe('TEXT|Casey|lower');
    c.sendLine('tExT|mixed');
    expect(await c.nextLine()).toBe('TEXT|Casey|mixed');
    c.sendLine('uSeRs');
    expect(parseUsers(await c.nextLine()).names).toEqual(['Casey', 'watcher']);
    c.sendLine('rooms');
    expect(parseRooms(await c.nextLine()).get('lobby')).toBe(2);
    c.sendLine('history|1');
    expect(parseHistory(await c.nextLine()).message).toBe('mixed');
    c.sendLine('private|watcher|psst');
    expect(await c.nextLine()).toBe('SENT|watcher|psst');
    await watcher!.waitFor('TEXT|Casey|mixed');
    expect(await watcher!.nextLine()).toBe('PRIVATE|Casey|psst');
    c.sendLine('join|den');
    await watcher!.waitFor(systemNaming('Casey'));
    c.sendLine('Logout');
    await c.waitClosed();
    for (const line of c.seen) expect(line).toMatch(/^[A-Z]+(\||$)/);
  });
});

describe('login', () => {
  it('answers SUCCESS, then the room history, then a SYSTEM line naming the new user that everyone gets', async () => {
    const [alice] = await users('alice');
    await say(alice!, 'alice', 'first');
    await say(alice!, 'alice', 'second');

    const bob = await connect();
    bob.sendLine('LOGIN|bob');
    const lines = await bob.lines(4);
    expect(lines[0]).toMatch(/^SUCCESS\|/);
    const h1 = parseHistory(lines[1]!);
    const h2 = parseHistory(lines[2]!);
    expect([h1.from, h1.message]).toEqual(['alice', 'first']);
    expect([h2.from, h2.message]).toEqual(['alice', 'second']);
    for (const h of [h1, h2]) {
      expect(h.time).toMatch(ISO_TIME);
      expect(Math.abs(Date.parse(h.time) - Date.now())).toBeLessThan(60_000);
    }
    expect(Date.parse(h1.time)).toBeLessThanOrEqual(Date.parse(h2.time));
    expect(systemNaming('bob')(lines[3]!)).toBe(true);

    // Everyone in the room gets the same notice, and nothing else first.
    const aliceSees = await alice!.nextLine();
    expect(systemNaming('bob')(aliceSees)).toBe(true);

    // Then live traffic.
    bob.sendLine('TEXT|live');
    expect(await bob.nextLine()).toBe('TEXT|bob|live');
    expect(await alice!.nextLine()).toBe('TEXT|bob|live');
  });

  it('sends no HISTORY lines into an empty room: SUCCESS then the join SYSTEM line', async () => {
    const c = await connect();
    c.sendLine('LOGIN|solo');
    expect(await c.nextLine()).toMatch(/^SUCCESS\|/);
    expect(systemNaming('solo')(await c.nextLine())).toBe(true);
    await c.expectNoLine(200);
  });

  it('accepts the seed alias 1|name as a guest login', async () => {
    const [watcher] = await users('watcher');
    const c = await connect();
    c.sendLine('1|seedy');
    expect(await c.nextLine()).toMatch(/^SUCCESS\|/);
    await c.waitFor(systemNaming('seedy'));
    await watcher!.waitFor(systemNaming('seedy'));
    c.sendLine('TEXT|hi');
    expect(await watcher!.nextLine()).toBe('TEXT|seedy|hi');
  });

  it('refuses a second LOGIN on the same session with ALREADY_LOGGED_IN and keeps the first name', async () => {
    const [watcher, c] = await users('watcher', 'first');
    c!.sendLine('LOGIN|second');
    expect(await c!.nextLine()).toMatch(/^ERROR\|ALREADY_LOGGED_IN\|/);
    c!.sendLine('1|third');
    expect(await c!.nextLine()).toMatch(/^ERROR\|ALREADY_LOGGED_IN\|/);
    c!.sendLine('TEXT|still me');
    expect(await watcher!.nextLine()).toBe('TEXT|first|still me');
  });

  it('keeps names unique without regard to case (NAME_TAKEN), and the session goes on', async () => {
    await users('Alice');
    const c = await connect();
    for (const name of ['alice', 'ALICE', 'aLiCe']) {
      c.sendLine(`LOGIN|${name}`);
      expect(await c.nextLine()).toMatch(/^ERROR\|NAME_TAKEN\|/);
    }
    await c.login('alice2');
  });

  it('compares names after NFC: a decomposed spelling of an online name is taken', async () => {
    await users('Jos\u00e9');
    const c = await connect();
    c.sendLine('LOGIN|Jose\u0301');
    expect(await c.nextLine()).toMatch(/^ERROR\|NAME_TAKEN\|/);
    c.sendLine('LOGIN|JOSE\u0301');
    expect(await c.nextLine()).toMatch(/^ERROR\|NAME_TAKEN\|/);
    await users('\u00dcmit');
    c.sendLine('LOGIN|\u00fcmit');
    expect(await c.nextLine()).toMatch(/^ERROR\|NAME_TAKEN\|/);
  });

  it('frees a name once its user has left', async () => {
    const [a] = await users('leaver');
    a!.sendLine('LOGOUT');
    await a!.waitClosed();
    const again = await connect();
    await again.login('LEAVER');
  });

  it('accepts names in other scripts, with combining marks, and relays them', async () => {
    const names = ['小明', 'हिन्दी', 'Ωmega', 'ñandú', 'Ærøskøbing', 'محمد'];
    const clients = await users(...names);
    const first = clients[0]!;
    clients[1]!.sendLine('TEXT|नमस्ते');
    expect(await first.nextLine()).toBe('TEXT|हिन्दी|नमस्ते');
    first.sendLine('USERS');
    const listed = parseUsers(await first.nextLine());
    expect(listed.count).toBe(names.length);
    expect(listed.names).toEqual([...names].sort());
  });

  it('accepts names at the edges of the rules', async () => {
    await users('ab', 'x'.repeat(32), '小'.repeat(32), 'a.b_c-d', 'user42');
  });

  it('refuses bad names with BAD_NAME and the session goes on', async () => {
    const bad = [
      'a',
      'x'.repeat(33),
      '小'.repeat(33),
      'two words',
      'semi;colon',
      'comma,name',
      'colon:name',
      'slash/name',
      'at@name',
      'emoji😀',
      'esc\u001bname',
      'bell\u0007name',
      'tab\tname',
      'del\u007fname',
      'c1\u009bname',
      'bidi\u202ename',
      'zero\u200bwidth',
    ];
    const c = await connect();
    for (const name of bad) {
      c.sendLine(`LOGIN|${name}`);
      const line = await c.nextLine();
      expect(line, `LOGIN|${JSON.stringify(name)}`).toMatch(/^ERROR\|BAD_NAME\|/);
    }
    c.sendLine('1|x');
    expect(await c.nextLine()).toMatch(/^ERROR\|BAD_NAME\|/);
    await c.login('goodname');
  });

  it('registers a free name with a password; the name then needs it (PASSWORD_REQUIRED, BAD_PASSWORD)', async () => {
    const owner = await connect();
    await owner.login('acct', 'pw-one-11');
    owner.sendLine('LOGOUT');
    await owner.waitClosed();

    const c = await connect();
    c.sendLine('LOGIN|acct');
    expect(await c.nextLine()).toMatch(/^ERROR\|PASSWORD_REQUIRED\|/);
    c.sendLine('1|acct');
    expect(await c.nextLine()).toMatch(/^ERROR\|PASSWORD_REQUIRED\|/);
    c.sendLine('LOGIN|ACCT');
    expect(await c.nextLine()).toMatch(/^ERROR\|PASSWORD_REQUIRED\|/);
    c.sendLine('LOGIN|acct|wrong');
    expect(await c.nextLine()).toMatch(/^ERROR\|BAD_PASSWORD\|/);
    await c.login('acct', 'pw-one-11');
  });

  it('takes the password as the last field, | included', async () => {
    const owner = await connect();
    await owner.login('piped', 'se|cr|et');
    owner.sendLine('LOGOUT');
    await owner.waitClosed();
    const c = await connect();
    c.sendLine('LOGIN|piped|se');
    expect(await c.nextLine()).toMatch(/^ERROR\|BAD_PASSWORD\|/);
    await c.login('piped', 'se|cr|et');
  });
});

describe('TEXT', () => {
  it('goes to everyone in the room, the sender included, and to no other room', async () => {
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await join(carol!, 'carol', 'den', alice!, bob!);
    alice!.sendLine('TEXT|hello room');
    expect(await alice!.nextLine()).toBe('TEXT|alice|hello room');
    expect(await bob!.nextLine()).toBe('TEXT|alice|hello room');
    await carol!.expectNoLine(300);
  });

  it('keeps | characters in the message', async () => {
    const [alice, bob] = await users('alice', 'bob');
    alice!.sendLine('TEXT|a|b||c|');
    expect(await bob!.nextLine()).toBe('TEXT|alice|a|b||c|');
  });

  it('relays the seed alias 3|message and drops the own-name prefix of 3|name:message', async () => {
    const [alice, bob] = await users('alice', 'bob');
    alice!.sendLine('3|plain words');
    expect(await bob!.nextLine()).toBe('TEXT|alice|plain words');
    alice!.sendLine('3|alice:with prefix');
    expect(await bob!.nextLine()).toBe('TEXT|alice|with prefix');
    alice!.sendLine('3|alice:a:b');
    expect(await bob!.nextLine()).toBe('TEXT|alice|a:b');
  });

  it('never relays a client-claimed sender', async () => {
    const [alice, bob] = await users('alice', 'bob');
    alice!.sendLine('TEXT|bob|spoofed');
    expect(await bob!.nextLine()).toBe('TEXT|alice|bob|spoofed');
    alice!.sendLine('3|bob:spoofed');
    expect(await bob!.nextLine()).toBe('TEXT|alice|bob:spoofed');
    alice!.sendLine('TEXT|SYSTEM|fake');
    expect(await bob!.nextLine()).toBe('TEXT|alice|SYSTEM|fake');
    alice!.sendLine('PRIVATE|bob|carol|spoofed');
    expect(await bob!.nextLine()).toBe('PRIVATE|alice|carol|spoofed');
    alice!.sendLine('TEXT|line\nTEXT|second');
    expect(await bob!.nextLine()).toBe('TEXT|alice|line');
    expect(await bob!.nextLine()).toBe('TEXT|alice|second');
  });

  it('refuses an empty message with BAD_FRAME and relays nothing', async () => {
    const [alice, bob] = await users('alice', 'bob');
    alice!.sendLine('TEXT');
    expect(await alice!.nextLine()).toMatch(/^ERROR\|BAD_FRAME\|/);
    alice!.sendLine('TEXT|');
    expect(await alice!.nextLine()).toMatch(/^ERROR\|BAD_FRAME\|/);
    await bob!.expectNoLine(200);
    alice!.sendLine('TEXT|fine');
    expect(await bob!.nextLine()).toBe('TEXT|alice|fine');
  });

  it('relays no control or bidi override character: they are removed, TAB is kept', async () => {
    const [alice, bob] = await users('alice', 'bob');
    alice!.sendLine('TEXT|a\u001b[31mred\u009b2J\u202eevil\u202d\u0007bell\u007fdel\u0000nul\u0085nel\rcr\ttab');
    const expected = 'TEXT|alice|a[31mred2Jevilbelldelnulnelcr\ttab';
    expect(await alice!.nextLine()).toBe(expected);
    expect(await bob!.nextLine()).toBe(expected);
    alice!.sendLine('PRIVATE|bob|x\u001b]0;title\u0007y\u202ez');
    expect(await alice!.nextLine()).toBe('SENT|bob|x]0;titleyz');
    expect(await bob!.nextLine()).toBe('PRIVATE|alice|x]0;titleyz');
    bob!.sendLine('HISTORY');
    const history = parseHistory(await bob!.nextLine());
    expect(history.message).toBe('a[31mred2Jevilbelldelnulnelcr\ttab');
  });

  it('refuses a message that is empty once the unsafe characters are removed (BAD_FRAME)', async () => {
    const [alice, bob] = await users('alice', 'bob');
    alice!.sendLine('TEXT|\u001b\u0007\u202e\u007f');
    expect(await alice!.nextLine()).toMatch(/^ERROR\|BAD_FRAME\|/);
    await bob!.expectNoLine(200);
  });
});

describe('PRIVATE', () => {
  it('goes to the addressee alone, in any room, and the sender gets SENT', async () => {
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await join(bob!, 'bob', 'den', alice!, carol!);
    alice!.sendLine('PRIVATE|bob|psst | secret');
    expect(await alice!.nextLine()).toBe('SENT|bob|psst | secret');
    expect(await bob!.nextLine()).toBe('PRIVATE|alice|psst | secret');
    await carol!.expectNoLine(300);
  });

  it('answers NO_SUCH_USER for an unknown name and for a guest who left', async () => {
    const [alice, guest] = await users('alice', 'guest');
    alice!.sendLine('PRIVATE|nobody|hello');
    expect(await alice!.nextLine()).toMatch(/^ERROR\|NO_SUCH_USER\|/);
    guest!.sendLine('LOGOUT');
    await guest!.waitClosed();
    await alice!.waitFor(systemNaming('guest'));
    alice!.sendLine('PRIVATE|guest|hello');
    expect(await alice!.nextLine()).toMatch(/^ERROR\|NO_SUCH_USER\|/);
  });

  it('refuses PRIVATE without a message (BAD_FRAME)', async () => {
    const [alice] = await users('alice', 'bob');
    alice!.sendLine('PRIVATE|bob');
    expect(await alice!.nextLine()).toMatch(/^ERROR\|BAD_FRAME\|/);
    alice!.sendLine('PRIVATE|bob|');
    expect(await alice!.nextLine()).toMatch(/^ERROR\|BAD_FRAME\|/);
  });

  it('never shows private messages in HISTORY', async () => {
    const [alice, bob] = await users('alice', 'bob');
    await say(alice!, 'alice', 'public one');
    await bob!.expectLine('TEXT|alice|public one');
    alice!.sendLine('PRIVATE|bob|private one');
    await alice!.expectLine('SENT|bob|private one');
    await bob!.expectLine('PRIVATE|alice|private one');
    bob!.sendLine('HISTORY');
    expect(parseHistory(await bob!.nextLine()).message).toBe('public one');
    await bob!.expectNoLine(300);
    const late = await connect();
    const login = await late.login('late');
    expect(login.between.map((l) => parseHistory(l).message)).toEqual(['public one']);
  });
});

describe('USERS', () => {
  it('answers USERS|count|names for the current room only', async () => {
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await join(carol!, 'carol', 'den', alice!, bob!);
    alice!.sendLine('USERS');
    const line = await alice!.nextLine();
    expect(parseUsers(line)).toEqual({ count: 2, names: ['alice', 'bob'] });
    carol!.sendLine('USERS');
    expect(await carol!.nextLine()).toBe('USERS|1|carol');
  });
});

describe('JOIN and ROOMS', () => {
  it('moves the user: the old room gets a leave notice, the new room a join notice, traffic follows', async () => {
    const [alice, bob, dave] = await users('alice', 'bob', 'dave');
    await join(dave!, 'dave', 'den', alice!, bob!);
    await say(dave!, 'dave', 'den talk');
    await say(alice!, 'alice', 'lobby talk');
    await bob!.expectLine('TEXT|alice|lobby talk');

    bob!.sendLine('JOIN|den');
    expect(systemNaming('bob')(await alice!.nextLine())).toBe(true);
    expect(systemNaming('bob')(await dave!.nextLine())).toBe(true);
    const bobLines = await bob!.collectUntil(systemNaming('bob'));
    const replay = bobLines.filter((l) => l.startsWith('HISTORY|')).map((l) => parseHistory(l).message);
    expect(replay).toEqual(['den talk']);

    bob!.sendLine('TEXT|in den now');
    expect(await dave!.nextLine()).toBe('TEXT|bob|in den now');
    expect(await bob!.nextLine()).toBe('TEXT|bob|in den now');
    await alice!.expectNoLine(300);
    bob!.sendLine('HISTORY');
    expect((await bob!.lines(2)).map((l) => parseHistory(l).message)).toEqual(['den talk', 'in den now']);
  });

  it('treats room names without regard to case', async () => {
    const [alice, bob] = await users('alice', 'bob');
    alice!.sendLine('JOIN|Den');
    await alice!.waitFor(systemNaming('alice'));
    bob!.sendLine('JOIN|DEN');
    await alice!.waitFor(systemNaming('bob'));
    bob!.sendLine('TEXT|same room');
    await alice!.expectLine('TEXT|bob|same room');
  });

  it('accepts rooms in other scripts', async () => {
    const [alice, bob] = await users('alice', 'bob');
    await join(alice!, 'alice', '房间');
    await join(bob!, 'bob', '房间', alice!);
    bob!.sendLine('ROOMS');
    expect(parseRooms(await bob!.nextLine())).toEqual(new Map([['房间', 2]]));
  });

  it('refuses bad room names and the user stays where they were', async () => {
    const [alice, bob] = await users('alice', 'bob');
    for (const room of ['x', 'r'.repeat(33), 'two words', 'a:b', 'a,b', 'esc\u001broom', 'bidi\u202eroom', 'pipe']) {
      // `pipe` stands for a room with a | in it: the field takes the rest of the line.
      alice!.sendLine(room === 'pipe' ? 'JOIN|a|b' : `JOIN|${room}`);
      expect(await alice!.nextLine(), `JOIN|${JSON.stringify(room)}`).toMatch(/^ERROR\|(BAD_NAME|BAD_FRAME)\|/);
    }
    await bob!.expectNoLine(200);
    alice!.sendLine('TEXT|still here');
    expect(await bob!.nextLine()).toBe('TEXT|alice|still here');
  });

  it('answers ROOMS|room:count,… with the rooms that have people in them', async () => {
    const [alice, bob, carol, dave, erin] = await users('alice', 'bob', 'carol', 'dave', 'erin');
    await join(carol!, 'carol', 'den', alice!, bob!, dave!, erin!);
    await join(dave!, 'dave', 'den', alice!, bob!, carol!, erin!);
    await join(erin!, 'erin', 'attic', alice!, bob!);
    alice!.sendLine('ROOMS');
    expect(parseRooms(await alice!.nextLine())).toEqual(
      new Map([
        ['lobby', 2],
        ['den', 2],
        ['attic', 1],
      ]),
    );
    await join(carol!, 'carol', 'lobby', alice!, bob!);
    dave!.sendLine('LOGOUT');
    await dave!.waitClosed();
    alice!.sendLine('ROOMS');
    const rooms = parseRooms(await alice!.nextLine());
    expect(rooms).toEqual(
      new Map([
        ['lobby', 3],
        ['attic', 1],
      ]),
    );
  });
});

describe('HISTORY', () => {
  async function fill(count: number): Promise<LineClient> {
    const [alice] = await users('alice');
    const lines = Array.from({ length: count }, (_, i) => `TEXT|m${String(i + 1).padStart(2, '0')}\n`).join('');
    alice!.send(lines);
    await alice!.lines(count);
    return alice!;
  }
  const msg = (i: number): string => `m${String(i).padStart(2, '0')}`;

  it('returns the last 20 messages by default, oldest first', async () => {
    const alice = await fill(25);
    alice.sendLine('HISTORY');
    const lines = await alice.lines(20);
    await alice.expectNoLine(300);
    const parsed = lines.map(parseHistory);
    expect(parsed.map((h) => h.message)).toEqual(Array.from({ length: 20 }, (_, i) => msg(i + 6)));
    for (const h of parsed) {
      expect(h.from).toBe('alice');
      expect(h.time).toMatch(ISO_TIME);
    }
    const times = parsed.map((h) => Date.parse(h.time));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('HISTORY|n returns the last n', async () => {
    const alice = await fill(25);
    alice.sendLine('HISTORY|3');
    expect((await alice.lines(3)).map((l) => parseHistory(l).message)).toEqual([msg(23), msg(24), msg(25)]);
    await alice.expectNoLine(200);
    alice.sendLine('HISTORY|100');
    const all = (await alice.lines(25)).map((l) => parseHistory(l).message);
    expect(all).toEqual(Array.from({ length: 25 }, (_, i) => msg(i + 1)));
    await alice.expectNoLine(200);
  });

  it('replays the last 20 messages on login', async () => {
    await fill(25);
    const bob = await connect();
    const { between } = await bob.login('bob');
    expect(between.map((l) => parseHistory(l).message)).toEqual(Array.from({ length: 20 }, (_, i) => msg(i + 6)));
  });

  it('replays historyReplay messages on login and on JOIN', async () => {
    const short = await startTestServer({ rateLimit: 0, historyReplay: 3 });
    const alice = await LineClient.loggedIn(short.port, 'alice');
    alice.send(Array.from({ length: 6 }, (_, i) => `TEXT|m${String(i + 1).padStart(2, '0')}\n`).join(''));
    await alice.lines(6);
    const bob = await LineClient.connect(short.port);
    const { between } = await bob.login('bob');
    expect(between.map((l) => parseHistory(l).message)).toEqual([msg(4), msg(5), msg(6)]);
    bob.sendLine('JOIN|den');
    await bob.waitFor(systemNaming('bob'));
    bob.sendLine('JOIN|lobby');
    const back = await bob.collectUntil(systemNaming('bob'));
    expect(back.filter((l) => l.startsWith('HISTORY|')).map((l) => parseHistory(l).message)).toEqual([msg(4), msg(5), msg(6)]);
  });

  it('includes messages sent just before, in the same write', async () => {
    const [alice, bob] = await users('alice', 'bob');
    await join(bob!, 'bob', 'fresh', alice!);
    bob!.send('TEXT|just now 1\nTEXT|just now 2\nHISTORY|100\nHISTORY|1\n');
    const lines = await bob!.lines(5);
    expect(lines.slice(0, 2)).toEqual(['TEXT|bob|just now 1', 'TEXT|bob|just now 2']);
    expect(lines.slice(2).map((l) => parseHistory(l).message)).toEqual(['just now 1', 'just now 2', 'just now 2']);
  });

  it('refuses a count that is not a whole number (BAD_FRAME)', async () => {
    const [alice] = await users('alice');
    for (const arg of ['abc', '-1', '2.5']) {
      alice!.sendLine(`HISTORY|${arg}`);
      expect(await alice!.nextLine(), `HISTORY|${arg}`).toMatch(/^ERROR\|BAD_FRAME\|/);
    }
  });

  it('caps HISTORY|n at historyMax', async () => {
    const capped = await startTestServer({ rateLimit: 0, historyMax: 5 });
    const alice = await LineClient.loggedIn(capped.port, 'alice');
    alice.send(Array.from({ length: 8 }, (_, i) => `TEXT|m${String(i + 1).padStart(2, '0')}\n`).join(''));
    await alice.lines(8);
    alice.sendLine('HISTORY|1000');
    expect((await alice.lines(5)).map((l) => parseHistory(l).message)).toEqual([msg(4), msg(5), msg(6), msg(7), msg(8)]);
    await alice.expectNoLine(300);
  });
});

describe('leaving', () => {
  it('LOGOUT: the room gets a SYSTEM line naming the user, and the server closes the connection', async () => {
    const [alice, bob] = await users('alice', 'bob');
    bob!.sendLine('LOGOUT');
    expect(systemNaming('bob')(await alice!.nextLine())).toBe(true);
    await bob!.waitClosed();
  });

  it('the seed alias 2|name leaves the same way', async () => {
    const [alice, bob] = await users('alice', 'bob');
    bob!.sendLine('2|bob');
    expect(systemNaming('bob')(await alice!.nextLine())).toBe(true);
    await bob!.waitClosed();
  });

  it('LOGOUT before login closes the connection', async () => {
    const c = await connect();
    c.sendLine('LOGOUT');
    await c.waitClosed();
  });

  it('a dropped connection: the room gets a SYSTEM line naming the user', async () => {
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    await bob!.close();
    expect(systemNaming('bob')(await alice!.nextLine())).toBe(true);
    expect(systemNaming('bob')(await carol!.nextLine())).toBe(true);
  });

  it('a half-closed connection (FIN, as nc sends at end of input) counts as dropped', async () => {
    const [alice, bob] = await users('alice', 'bob');
    bob!.end();
    expect(systemNaming('bob')(await alice!.nextLine())).toBe(true);
    await bob!.waitClosed();
  });
});

describe('errors', () => {
  it('refuses everything but LOGIN, PING, HELP and LOGOUT before login (NOT_LOGGED_IN), and the session goes on', async () => {
    const [watcher] = await users('watcher');
    const c = await connect();
    for (const frame of ['TEXT|hi', '3|hi', 'PRIVATE|watcher|hi', 'USERS', 'JOIN|den', 'ROOMS', 'HISTORY', 'HISTORY|5', 'STATS']) {
      c.sendLine(frame);
      expect(await c.nextLine(), frame).toMatch(/^ERROR\|NOT_LOGGED_IN\|/);
    }
    await watcher!.expectNoLine(200);
    c.sendLine('PING|ok');
    expect(await c.nextLine()).toBe('PONG|ok');
    await c.login('latecomer');
  });

  it('answers UNKNOWN_TYPE for an unknown frame type, and the session goes on', async () => {
    const [alice] = await users('alice');
    for (const frame of ['FOO', 'FOO|bar', 'SUCCESS|x', 'SEND|hi', '4|x', '|x']) {
      alice!.sendLine(frame);
      expect(await alice!.nextLine(), frame).toMatch(/^ERROR\|UNKNOWN_TYPE\|/);
    }
    alice!.sendLine('PING');
    expect(await alice!.nextLine()).toBe('PONG|');
  });

  it('writes errors as ERROR|CODE|text with a non-empty text', async () => {
    const c = await connect();
    c.sendLine('TEXT|hi');
    const m = /^ERROR\|([A-Z_]+)\|(.+)$/.exec(await c.nextLine());
    expect(m?.[1]).toBe('NOT_LOGGED_IN');
    expect(m?.[2]?.trim()).not.toBe('');
  });
});

describe('STATS and HELP', () => {
  it('STATS answers STATS|key=value|… with the counters', async () => {
    const [alice] = await users('alice', 'bob');
    await say(alice!, 'alice', 'one');
    await say(alice!, 'alice', 'two');
    alice!.sendLine('STATS');
    const line = await alice!.nextLine();
    expect(line).toMatch(/^STATS(\|[a-z_]+=[^|]*)+$/);
    const stats = Object.fromEntries(
      line
        .split('|')
        .slice(1)
        .map((f) => f.split('=') as [string, string]),
    );
    for (const key of ['connections', 'users', 'peak', 'uptime', 'messages', 'rooms']) {
      expect(stats[key], key).toMatch(/^\d+(\.\d+)?$/);
    }
    expect(Number(stats.connections)).toBe(2);
    expect(Number(stats.users)).toBe(2);
    expect(Number(stats.peak)).toBeGreaterThanOrEqual(2);
    expect(Number(stats.messages)).toBeGreaterThanOrEqual(2);
    expect(Number(stats.rooms)).toBe(1);
    expect(Number(stats.uptime)).toBeGreaterThanOrEqual(0);
  });

  it('HELP answers one or more SYSTEM lines, before and after login', async () => {
    const c = await connect();
    for (const phase of ['before', 'after']) {
      c.sendLine('HELP');
      c.sendLine(`PING|${phase}`);
      const lines = await c.collectUntil(`PONG|${phase}`);
      const help = lines.slice(0, -1);
      expect(help.length, phase).toBeGreaterThan(0);
      for (const line of help) expect(line).toMatch(/^SYSTEM\|/);
      if (phase === 'before') await c.login('helpme');
    }
  });
});
