// The IRC listener on a real server: IRC users and line-protocol users in
// the same rooms, registration with and without an account, history on
// JOIN, long messages split, colour codes removed, private messages both
// ways and kept for an offline registered user.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, startTestServer, type TestServer } from '../helpers/server.js';

afterEach(async () => {
  await closeAllClients();
  await closeAllServers();
});
afterAll(() => removeTempDirs());

const SERVER = 'irc.test';

async function server(): Promise<TestServer & { ircPort: number }> {
  const srv = await startTestServer({ ircPort: 0, serverName: SERVER, minPasswordLength: 4 });
  return srv as TestServer & { ircPort: number };
}

/** An IRC client: registers (optionally with caps and SASL PLAIN) and waits for the end of the MOTD. */
async function ircUser(port: number, nick: string, opts: { caps?: string[]; sasl?: [string, string]; pass?: string } = {}): Promise<LineClient> {
  const c = await LineClient.connect(port);
  const caps = [...(opts.caps ?? []), ...(opts.sasl ? ['sasl'] : [])];
  if (caps.length > 0) {
    c.sendLine('CAP LS 302');
    await c.waitFor(/ CAP \* LS /);
    c.sendLine(`CAP REQ :${caps.join(' ')}`);
    await c.collectUntil(/ CAP \S+ ACK /);
  }
  if (opts.sasl) {
    c.sendLine('AUTHENTICATE PLAIN');
    await c.collectUntil(/^AUTHENTICATE \+/);
    c.sendLine(`AUTHENTICATE ${Buffer.from(`\0${opts.sasl[0]}\0${opts.sasl[1]}`).toString('base64')}`);
    await c.collectUntil(/ 903 /);
  }
  if (opts.pass !== undefined) c.sendLine(`PASS ${opts.pass}`);
  c.sendLine(`NICK ${nick}`);
  c.sendLine(`USER ${nick} 0 * :${nick} here`);
  if (caps.length > 0) c.sendLine('CAP END');
  await c.collectUntil(/ (376|422) /);
  return c;
}

const clean = (lines: string[]): string[] => lines.map((l) => l.replace(/\r$/, ''));

describe('IRC listener', () => {
  it('an IRC user and a line user chat in one room, both ways, with join and part notices', async () => {
    const srv = await server();
    const bob = await LineClient.loggedIn(srv.port, 'bob');
    const alice = await ircUser(srv.ircPort, 'alice');
    alice.sendLine('JOIN #lobby');
    const join = clean(await alice.collectUntil(/ 366 /));
    expect(join[0]).toBe(`:alice!alice@${SERVER} JOIN #lobby`);
    expect(join.find((l) => / 353 /.test(l))).toMatch(/:alice bob$|:bob alice$/);
    await bob.waitFor('SYSTEM|alice joined lobby');

    alice.sendLine('PRIVMSG #lobby :hello \u00034,5bob\u000f');
    await bob.waitFor('TEXT|alice|hello bob');
    bob.sendLine('TEXT|hi alice');
    expect((await alice.waitFor(/PRIVMSG #lobby/)).replace(/\r$/, '')).toBe(`:bob!bob@${SERVER} PRIVMSG #lobby :hi alice`);

    bob.sendLine('PRIVATE|alice|psst');
    expect((await alice.waitFor(/PRIVMSG alice/)).replace(/\r$/, '')).toBe(`:bob!bob@${SERVER} PRIVMSG alice :psst`);
    alice.sendLine('PRIVMSG bob :back at you');
    await bob.waitFor('PRIVATE|alice|back at you');

    alice.sendLine('PART #lobby :bye now');
    await bob.waitFor('SYSTEM|alice left lobby (bye now)');
    expect((await alice.waitFor(/ PART /)).replace(/\r$/, '')).toBe(`:alice!alice@${SERVER} PART #lobby :bye now`);
  });

  it('an IRC user sits in several rooms; each room gets only its own lines; QUIT tells every room', async () => {
    const srv = await server();
    const lobby = await LineClient.loggedIn(srv.port, 'bob');
    const dev = await LineClient.loggedIn(srv.port, 'carol');
    dev.sendLine('JOIN|dev');
    await dev.collectUntil('SYSTEM|carol joined dev');
    const alice = await ircUser(srv.ircPort, 'alice');
    alice.sendLine('JOIN #lobby,#dev');
    await alice.collectUntil(/ 366 alice #lobby /);
    await alice.collectUntil(/ 366 alice #dev /);
    alice.sendLine('PRIVMSG #dev :only dev');
    await dev.waitFor('TEXT|alice|only dev');
    lobby.sendLine('USERS');
    expect(await lobby.collectUntil(/^USERS\|/)).toContain('USERS|2|alice,bob');
    expect(lobby.drain().filter((l) => l.includes('only dev'))).toEqual([]);
    alice.sendLine('QUIT :done');
    await lobby.waitFor('SYSTEM|alice left lobby (Quit: done)');
    await dev.waitFor('SYSTEM|alice left dev (Quit: done)');
  });

  it('history on JOIN: with server-time tags in a chathistory batch, or with the time in the text', async () => {
    const srv = await server();
    const bob = await LineClient.loggedIn(srv.port, 'bob');
    bob.sendLine('TEXT|said before');
    await bob.waitFor('TEXT|bob|said before');
    const tagged = await ircUser(srv.ircPort, 'alice', { caps: ['server-time', 'batch'] });
    tagged.sendLine('JOIN #lobby');
    const lines = clean(await tagged.collectUntil(/^BATCH -/));
    const start = lines.find((l) => l.startsWith('BATCH +'))!;
    const id = /^BATCH \+(\S+) chathistory #lobby$/.exec(start)![1];
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^@batch=${id};time=\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z :bob!bob@${SERVER} PRIVMSG #lobby :said before$`)));
    const plain = await ircUser(srv.ircPort, 'dave');
    plain.sendLine('JOIN #lobby');
    expect(clean(await plain.collectUntil(/said before/)).pop()).toMatch(/^:bob!bob@irc\.test PRIVMSG #lobby :\[\d{4}-\d\d-\d\d \d\d:\d\d\] said before$/);
  });

  it('a 2,000-character message reaches IRC in lines of at most 512 bytes, split between characters', async () => {
    const srv = await server();
    const alice = await ircUser(srv.ircPort, 'alice');
    alice.sendLine('JOIN #lobby');
    await alice.collectUntil(/ 366 /);
    const bob = await LineClient.loggedIn(srv.port, 'bob');
    await alice.waitFor(/ JOIN #lobby/);
    const message = 'é🙂x'.repeat(500);
    bob.sendLine(`TEXT|${message}`);
    const pieces: string[] = [];
    let text = '';
    while (text.length < message.length) {
      const line = (await alice.waitFor(/PRIVMSG #lobby/)).replace(/\r$/, '');
      pieces.push(line);
      text += line.slice(line.indexOf(' :') + 2);
    }
    expect(text).toBe(message);
    expect(pieces.length).toBeGreaterThan(1);
    for (const line of pieces) expect(Buffer.byteLength(line) + 2).toBeLessThanOrEqual(512);
  });

  it('a registered name needs its password: NICK alone gets 433; SASL PLAIN and PASS log in; a wrong password does not', async () => {
    const srv = await server();
    const reg = await LineClient.loggedIn(srv.port, 'alice', 'sesame-pw');
    await reg.close();
    const c = await LineClient.connect(srv.ircPort);
    c.sendLine('NICK alice');
    c.sendLine('USER alice 0 * :Alice');
    expect(await c.waitFor(/ 433 /)).toMatch(/is registered/);
    c.sendLine('PRIVMSG #lobby :sneaky');
    expect(await c.waitFor(/ 451 /)).toMatch(/not registered/);

    const sasl = await ircUser(srv.ircPort, 'whatever', { sasl: ['alice', 'sesame-pw'] });
    sasl.sendLine('WHOIS alice');
    expect(await sasl.collectUntil(/ 318 /)).toContainEqual(expect.stringMatching(/ 330 alice alice alice /));
    await sasl.close();

    const viaPass = await ircUser(srv.ircPort, 'alice', { pass: 'alice:sesame-pw' });
    viaPass.sendLine('JOIN #lobby');
    await viaPass.collectUntil(/ 366 /);
    await viaPass.close();

    const wrong = await LineClient.connect(srv.ircPort);
    wrong.sendLine('PASS alice:nope-nope');
    wrong.sendLine('NICK alice');
    wrong.sendLine('USER alice 0 * :Alice');
    await wrong.waitFor(/ 464 /);
    await wrong.waitFor(/^ERROR /);
  });

  it('a private message to an offline registered user waits in the mailbox and arrives at their IRC login', async () => {
    const srv = await server();
    const reg = await LineClient.loggedIn(srv.port, 'alice', 'sesame-pw');
    await reg.close();
    const bob = await ircUser(srv.ircPort, 'bob');
    bob.sendLine('PRIVMSG alice :while you were out');
    expect(await bob.waitFor(/NOTICE bob/)).toMatch(/alice is offline/);
    const alice = await ircUser(srv.ircPort, 'alice', { caps: ['server-time'], sasl: ['alice', 'sesame-pw'] });
    expect((await alice.waitFor(/PRIVMSG alice/)).replace(/\r$/, '')).toMatch(new RegExp(`^@time=\\S+ :bob!bob@${SERVER} PRIVMSG alice :while you were out$`));
  });

  it('hostile input: an overlong line gets 417, unknown commands 421, and the server keeps serving', async () => {
    const srv = await server();
    const alice = await ircUser(srv.ircPort, 'alice');
    alice.sendLine(`PRIVMSG #lobby :${'x'.repeat(600)}`);
    await alice.waitFor(/ 417 /);
    alice.sendLine('FROBNICATE now');
    await alice.waitFor(/ 421 alice FROBNICATE /);
    alice.sendLine(`@+t=${'a'.repeat(5000)} PRIVMSG #lobby :x`);
    await alice.waitFor(/ 417 /);
    alice.sendLine('PING still-here');
    expect(await alice.waitFor(/PONG/)).toMatch(/still-here/);
  });
});
