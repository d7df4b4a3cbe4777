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

  it('message tags: one msgid for every copy, client-only tags to message-tags clients alone, TAGMSG never to others', async () => {
    const srv = await server();
    const bob = await LineClient.loggedIn(srv.port, 'bob');
    const alice = await ircUser(srv.ircPort, 'alice', { caps: ['message-tags', 'echo-message'] });
    const carol = await ircUser(srv.ircPort, 'carol', { caps: ['message-tags'] });
    const dave = await ircUser(srv.ircPort, 'dave', { caps: ['server-time'] });
    const erin = await ircUser(srv.ircPort, 'erin');
    for (const c of [alice, carol, dave, erin]) {
      c.sendLine('JOIN #lobby');
      await c.collectUntil(/ 366 /);
    }
    await bob.waitFor('SYSTEM|erin joined lobby');
    for (const c of [alice, carol, dave]) await c.waitFor(/erin\S* JOIN #lobby/);

    alice.sendLine('@+draft/react=\\:-);secret=no;+x=a\u001b[31mb PRIVMSG #lobby :hi all');
    const echo = clean([await alice.waitFor(/PRIVMSG #lobby :hi all/)])[0]!;
    const toCarol = clean([await carol.waitFor(/PRIVMSG #lobby :hi all/)])[0]!;
    const id = /msgid=([^; ]+)/.exec(echo)?.[1];
    expect(id).toBeTruthy();
    expect(toCarol).toBe(echo);
    expect(toCarol).toMatch(new RegExp(`^@time=\\S+;msgid=${id};\\+draft/react=\\\\:-\\);\\+x=a\\[31mb :alice!alice@${SERVER} PRIVMSG #lobby :hi all$`));
    expect(toCarol).not.toMatch(/secret/);
    expect(clean([await dave.waitFor(/PRIVMSG #lobby :hi all/)])[0]).toMatch(/^@time=[^; ]+ :alice/);
    expect(clean([await erin.waitFor(/PRIVMSG #lobby :hi all/)])[0]).toBe(`:alice!alice@${SERVER} PRIVMSG #lobby :hi all`);
    await bob.waitFor('TEXT|alice|hi all');

    alice.sendLine('@+typing=active TAGMSG #lobby');
    alice.sendLine('@+typing=active TAGMSG bob');
    const tag = clean([await carol.waitFor(/TAGMSG/)])[0]!;
    expect(tag).toMatch(new RegExp(`^@time=\\S+;msgid=\\S+;\\+typing=active :alice!alice@${SERVER} TAGMSG #lobby$`));
    await alice.waitFor(/TAGMSG #lobby/);
    // A line afterwards shows that nothing of the TAGMSG reached the others before it.
    alice.sendLine('PRIVMSG #lobby :after');
    for (const c of [dave, erin]) expect((await c.collectUntil(/:after/)).some((l) => l.includes('TAGMSG'))).toBe(false);
    expect((await bob.collectUntil('TEXT|alice|after')).some((l) => /typing|TAGMSG/.test(l))).toBe(false);

    // A private message carries its msgid and tags too; the echo has the same id.
    carol.sendLine('@+draft/reply=abc PRIVMSG alice :psst');
    const got = clean([await alice.waitFor(/PRIVMSG alice :psst/)])[0]!;
    expect(got).toMatch(/^@time=\S+;msgid=\S+;\+draft\/reply=abc :carol/);
    alice.sendLine('PRIVMSG carol :hey');
    const out = clean([await alice.waitFor(/PRIVMSG carol :hey/)])[0]!;
    const into = clean([await carol.waitFor(/PRIVMSG carol :hey/)])[0]!;
    expect(/msgid=([^; ]+)/.exec(out)?.[1]).toBe(/msgid=([^; ]+)/.exec(into)?.[1]);
  });

  it('WHO: a channel, a nick (with the USER name as ~user), and masks that find only people sharing a channel', async () => {
    const srv = await server();
    const bob = await LineClient.loggedIn(srv.port, 'bob');
    const alice = await ircUser(srv.ircPort, 'alice');
    const zed = await ircUser(srv.ircPort, 'zed');
    alice.sendLine('JOIN #lobby');
    await alice.collectUntil(/ 366 /);
    await bob.waitFor('SYSTEM|alice joined lobby');

    alice.sendLine('WHO #lobby');
    const chan = clean(await alice.collectUntil(/ 315 /)).filter((l) => / 352 /.test(l));
    expect(chan.sort()).toEqual([
      `:${SERVER} 352 alice #lobby bob ${SERVER} ${SERVER} bob H :0 bob`,
      `:${SERVER} 352 alice #lobby ~alice ${SERVER} ${SERVER} alice H :0 alice here`,
    ]);
    alice.sendLine('WHO ZED');
    expect(clean(await alice.collectUntil(/ 315 /))).toEqual([
      `:${SERVER} 352 alice * ~zed ${SERVER} ${SERVER} zed H :0 zed here`,
      `:${SERVER} 315 alice ZED :End of WHO list`,
    ]);
    // zed shares no channel with alice: a mask does not find it; bob and alice it does.
    alice.sendLine('WHO *');
    expect(clean(await alice.collectUntil(/ 315 /)).filter((l) => / 352 /.test(l)).map((l) => l.split(' ')[7]).sort()).toEqual(['alice', 'bob']);
    alice.sendLine('WHO B?b %tnuaf,7');
    expect(clean(await alice.collectUntil(/ 315 /))).toEqual([`:${SERVER} 354 alice 7 bob bob H 0`, `:${SERVER} 315 alice B?b :End of WHO list`]);
    alice.sendLine(`WHO ${'*a'.repeat(200)}`);
    expect(clean(await alice.collectUntil(/ 315 /)).filter((l) => / 352 /.test(l))).toEqual([]);
    zed.sendLine('PING ok');
    await zed.waitFor(/PONG/);
  });

  it('topics: the line protocol asks, sets and clears with TOPIC; IRC sees the same stored topic; guests may not set one', async () => {
    const srv = await server();
    const bob = await LineClient.loggedIn(srv.port, 'bob', 'bob-password');
    const guest = await LineClient.loggedIn(srv.port, 'gus');
    bob.sendLine('TOPIC');
    await bob.waitFor('TOPIC|lobby|');
    bob.sendLine('TOPIC|release on Friday | maybe');
    await guest.waitFor('SYSTEM|bob set the topic of lobby: release on Friday | maybe');
    guest.sendLine('TOPIC|mine now');
    await guest.waitFor(/^ERROR\|NOT_ALLOWED\|only registered users may set a topic/);
    guest.sendLine('TOPIC');
    await guest.waitFor('TOPIC|lobby|release on Friday | maybe');

    const alice = await ircUser(srv.ircPort, 'alice');
    alice.sendLine('JOIN #lobby');
    const joined = clean(await alice.collectUntil(/ 366 /));
    expect(joined).toContain(`:${SERVER} 332 alice #lobby :release on Friday | maybe`);
    bob.sendLine('TOPIC|');
    expect(clean([await alice.waitFor(/ TOPIC /)])[0]).toBe(`:bob!bob@${SERVER} TOPIC #lobby :`);
    await guest.waitFor('SYSTEM|bob cleared the topic of lobby');
    guest.sendLine('TOPIC');
    await guest.waitFor('TOPIC|lobby|');
    bob.sendLine(`TOPIC|${'x'.repeat(391)}`);
    await bob.waitFor(/^ERROR\|MESSAGE_TOO_LONG\|topics are limited to 390 characters/);
  });

  it('moderation over IRC: OPER, then KILL, KLINE, UNKLINE, MUTE, UNMUTE and MODLOG act as the line frames do; others get 481', async () => {
    const srv = await startTestServer({ ircPort: 0, serverName: SERVER, operators: ['boss'], rateLimit: 0 });
    const port = (srv as TestServer & { ircPort: number }).ircPort;
    (await LineClient.loggedIn(srv.port, 'boss', 'boss-password')).sendLine('LOGOUT');
    const troll = await ircUser(port, 'troll');
    const boss = await ircUser(port, 'bossy');
    troll.sendLine('KILL bossy :no');
    await troll.waitFor(/ 481 troll :Permission Denied/);
    boss.sendLine('KILL troll :spam');
    await boss.waitFor(/ 481 bossy /);
    boss.sendLine('OPER boss boss-password');
    await boss.waitFor(/ 381 bossy /);

    const bob = await LineClient.loggedIn(srv.port, 'bob');
    boss.sendLine('MUTE 5 bob :calm down');
    await boss.waitFor(/NOTICE bossy :you muted bob for 5 minutes/);
    bob.sendLine('TEXT|hi');
    await bob.waitFor(/^ERROR\|MUTED\|/);
    boss.sendLine('UNMUTE bob');
    await boss.waitFor(/NOTICE bossy :bob is no longer muted/);

    boss.sendLine('KILL troll :spam');
    await troll.waitFor(/kicked by boss: spam/);
    await boss.waitFor(/NOTICE bossy :you kicked troll: spam/);
    boss.sendLine('KLINE 99999999 bob :x');
    await boss.waitFor(/NOTICE bossy :at most \d+ minutes/);
    boss.sendLine('KLINE bob :flood');
    await bob.waitFor(/banned by boss/);
    await boss.waitFor(/NOTICE bossy :you banned bob until lifted: flood/);
    const again = await LineClient.connect(srv.port);
    again.sendLine('LOGIN|bob');
    await again.waitFor(/^ERROR\|BANNED\|/);
    boss.sendLine('UNKLINE bob');
    await boss.waitFor(/NOTICE bossy :bob is no longer banned/);
    boss.sendLine('MODLOG 10');
    const log = clean(await boss.collectUntil(/unbanned bob/));
    expect(log.filter((l) => / NOTICE bossy :\d{4}-/.test(l)).map((l) => l.replace(/^.* :\S+ /, ''))).toEqual([
      'boss muted bob for 5 minutes: calm down',
      'boss unmuted bob',
      'boss kicked troll: spam',
      'boss banned bob until lifted: flood',
      'boss unbanned bob',
    ]);
  });

  it('/me: an IRC ACTION reaches line users as "* text" and IRC users as an ACTION again, in a channel and privately; other CTCP is not relayed', async () => {
    const srv = await server();
    const bob = await LineClient.loggedIn(srv.port, 'bob');
    const alice = await ircUser(srv.ircPort, 'alice');
    const carol = await ircUser(srv.ircPort, 'carol');
    for (const c of [alice, carol]) {
      c.sendLine('JOIN #lobby');
      await c.collectUntil(/ 366 /);
    }
    alice.sendLine('PRIVMSG #lobby :\u0001VERSION\u0001');
    alice.sendLine('PRIVMSG #lobby :\u0001ACTION waves\u0001');
    await bob.waitFor('TEXT|alice|* waves');
    expect(clean([await carol.waitFor(/PRIVMSG #lobby/)])[0]).toBe(`:alice!alice@${SERVER} PRIVMSG #lobby :\u0001ACTION waves\u0001`);
    // A line user's "* text" is text: it stays so.
    bob.sendLine('TEXT|* not an action');
    expect(clean([await carol.waitFor(/not an action/)])[0]).toBe(`:bob!bob@${SERVER} PRIVMSG #lobby :* not an action`);
    alice.sendLine('PRIVMSG carol :\u0001ACTION nods\u0001');
    expect(clean([await carol.waitFor(/PRIVMSG carol/)])[0]).toBe(`:alice!alice@${SERVER} PRIVMSG carol :\u0001ACTION nods\u0001`);
    alice.sendLine('PRIVMSG bob :\u0001ACTION nods\u0001');
    await bob.waitFor('PRIVATE|alice|* nods');
    expect(bob.drain().some((l) => l.includes('VERSION'))).toBe(false);
  });
});
