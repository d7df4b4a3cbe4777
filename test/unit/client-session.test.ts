import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { ChatSession, type LineKind } from '../../src/client/session.js';
import { FakeClientSocket } from '../helpers/fake-socket.js';
import { FakeTimers } from '../helpers/fake-timers.js';

/** The session's completer, awaited. */
function completeWith(session: ChatSession, line: string): Promise<[string[], string]> {
  return new Promise((resolve) => session.completer(line, (_error, result) => resolve(result)));
}

function setup(room = 'lobby', queueLimit = 100, extra: Partial<ConstructorParameters<typeof ChatSession>[0]> = {}) {
  const timers = new FakeTimers(Date.UTC(2024, 4, 17, 9, 0));
  const sockets: FakeClientSocket[] = [];
  const printed: Array<[LineKind, string]> = [];
  const session = new ChatSession({
    host: 'h',
    port: 1,
    name: 'alice',
    room,
    chalk: new Chalk({ level: 0 }),
    output: { print: (line, kind) => printed.push([kind, line.replace(/^\[[^\]]+\] /, '')]) },
    queueLimit,
    timers,
    sendRate: 0,
    ...extra,
    connection: {
      random: () => 1,
      heartbeatMs: 0,
      ...extra.connection,
      createSocket: () => {
        const s = new FakeClientSocket();
        sockets.push(s);
        return s;
      },
    },
  });
  const sock = () => sockets[sockets.length - 1]!;
  const text = () => printed.map(([, l]) => l);
  return { session, timers, sockets, sock, printed, text };
}

async function login(s: ReturnType<typeof setup>, ...after: string[]) {
  const opened = s.session.open();
  s.sock().connect();
  s.sock().serverSays('SUCCESS|Welcome, alice!', ...after);
  await opened;
}

describe('ChatSession', () => {
  it('sends typed lines, shows the echo, and seeds the name list silently', async () => {
    const s = setup();
    await login(s, 'HISTORY|2024-05-17T08:00:00.000Z|bob|earlier', 'SYSTEM|alice joined lobby');
    expect(s.sock().written).toEqual(['LOGIN|alice\n', 'USERS\n']);
    s.sock().serverSays('USERS|2|alice,bob');
    expect(s.text()).toEqual(['* Welcome, alice!', '(history) bob: earlier', '* alice joined lobby']);
    expect(s.session.onlineNames()).toEqual(['alice', 'bob']);
    expect(await completeWith(s.session, '/msg b')).toEqual([['bob '], 'b']);

    expect(s.session.input('hello | world')).toBe('continue');
    expect(s.sock().written.at(-1)).toBe('TEXT|hello | world\n');
    s.sock().serverSays('TEXT|alice|hello | world');
    expect(s.text().at(-1)).toBe('alice: hello | world');

    s.session.input('/msg bob psst');
    expect(s.sock().written.at(-1)).toBe('PRIVATE|bob|psst\n');
    s.sock().serverSays('SENT|bob|psst');
    expect(s.text().at(-1)).toBe('[private] you → bob: psst');

    s.session.input('/users');
    s.sock().serverSays('USERS|2|alice,bob');
    expect(s.text().at(-1)).toBe('* 2 people in lobby: alice, bob');
  });

  it('sends nothing for unknown commands and explains', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    const before = s.sock().written.length;
    s.session.input('/frobnicate now');
    expect(s.sock().written).toHaveLength(before);
    expect(s.printed.at(-1)).toEqual(['notice', '! unknown command /frobnicate; /help lists the commands']);
  });

  it('enters --room after login without showing the lobby it passes through', async () => {
    const s = setup('dev');
    await login(s, 'HISTORY|2024-05-17T08:00:00.000Z|bob|lobby chatter', 'SYSTEM|alice joined lobby');
    expect(s.sock().written).toEqual(['LOGIN|alice\n', 'JOIN|dev\n']);
    s.sock().serverSays('HISTORY|2024-05-17T08:30:00.000Z|carol|dev talk', 'SYSTEM|alice joined dev');
    expect(s.session.status.room).toBe('dev');
    expect(s.sock().written.at(-1)).toBe('USERS\n');
    expect(s.text()).toEqual(['* Welcome, alice!', '(history) carol: dev talk', '* alice joined dev']);
  });

  it('after a lost connection: says so, queues typed lines, logs in again, rejoins the room, then sends them', async () => {
    const s = setup('dev');
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('HISTORY|2024-05-17T08:30:00.000Z|carol|seen before', 'SYSTEM|alice joined dev', 'USERS|1|alice');

    s.sock().destroy();
    expect(s.session.status).toMatchObject({ connection: 'waiting', room: 'dev' });
    expect(s.printed.at(-1)).toEqual(['error', '! connection lost (closed by the server); reconnecting in 0.5 s']);
    s.session.input('while away');
    expect(s.printed.at(-1)?.[1]).toContain('queued');
    expect(s.session.status.queued).toBe(1);

    s.timers.advance(500);
    s.sock().connect();
    s.sock().serverSays('SUCCESS|Welcome back', 'HISTORY|2024-05-17T08:00:00.000Z|bob|lobby chatter', 'SYSTEM|alice joined lobby');
    expect(s.sock().written).toEqual(['LOGIN|alice\n', 'JOIN|dev\n']);
    s.sock().serverSays(
      'HISTORY|2024-05-17T08:30:00.000Z|carol|seen before',
      'HISTORY|2024-05-17T08:59:00.000Z|carol|said while you were away',
      'SYSTEM|alice joined dev',
    );
    expect(s.sock().written).toEqual(['LOGIN|alice\n', 'JOIN|dev\n', 'USERS\n']);
    s.sock().serverSays('USERS|2|alice,carol');
    expect(s.sock().written.at(-1)).toBe('TEXT|while away\n');
    s.sock().serverSays('TEXT|alice|while away');
    expect(s.session.status).toMatchObject({ connection: 'online', room: 'dev', queued: 0 });

    const afterDrop = s.text().slice(s.text().indexOf('* reconnected to h:1'));
    expect(afterDrop).toEqual([
      '* reconnected to h:1',
      '* sending 1 queued line',
      '(history) carol: said while you were away',
      '* alice joined dev',
      '* back in dev as alice',
      'alice: while away',
    ]);
  });

  it('refuses a line when the offline queue is full, loudly', async () => {
    const s = setup('lobby', 2);
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().destroy();
    s.session.input('one');
    s.session.input('two');
    s.session.input('three');
    expect(s.printed.at(-1)?.[0]).toBe('error');
    expect(s.printed.at(-1)?.[1]).toContain('dropped: three');
    expect(s.session.status.queued).toBe(2);
  });

  it('prints the round-trip time for /ping and hides internal PONGs', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice');
    s.session.input('/ping');
    const ping = s.sock().written.at(-1)!;
    expect(ping).toMatch(/^PING\|~o\d+\n$/);
    s.timers.advance(42);
    s.sock().serverSays(`PONG|${ping.slice(5, -1)}`);
    expect(s.text().at(-1)).toBe('* pong from h:1 in 42 ms');
    expect(s.text().some((l) => l.includes('pong ~'))).toBe(false);
  });

  it('/history shows the lines, or says there were none', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice');
    s.session.input('/history 2');
    const [request, ping] = s.sock().written.slice(-2);
    expect(request).toBe('HISTORY|2\n');
    expect(ping).toMatch(/^PING\|~o\d+\n$/);
    s.sock().serverSays('HISTORY|2024-05-17T08:58:00.000Z|bob|one', `PONG|${ping!.slice(5, -1)}`);
    expect(s.text().at(-1)).toBe('(history) bob: one');

    s.session.input('/history');
    const again = s.sock().written.at(-1)!;
    expect(s.sock().written.at(-2)).toBe('HISTORY\n');
    s.sock().serverSays(`PONG|${again.slice(5, -1)}`);
    expect(s.text().at(-1)).toBe('* no messages in lobby yet');
  });

  it('does not send /join for the room it is in', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice');
    const before = s.sock().written.length;
    s.session.input('/join LOBBY');
    expect(s.sock().written).toHaveLength(before);
    expect(s.text().at(-1)).toBe('* you are already in lobby');
  });

  it('flush() waits for every line and a PING round trip; quit() sends LOGOUT', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice');
    s.session.input('last words');
    let flushed = false;
    const flushing = s.session.flush().then(() => (flushed = true));
    await Promise.resolve();
    s.sock().serverSays('TEXT|alice|last words');
    await new Promise((r) => setImmediate(r));
    const sync = s.sock().written.at(-1)!;
    expect(sync).toMatch(/^PING\|~o\d+\n$/);
    expect(flushed).toBe(false);
    s.sock().serverSays(`PONG|${sync.slice(5, -1)}`);
    await flushing;
    expect(flushed).toBe(true);
    await s.session.quit();
    expect(s.sock().written.at(-1)).toBe('LOGOUT\n');
    expect(await s.session.closed()).toEqual({ kind: 'quit' });
  });

  it("/join with a bad room sends it and shows the server's reason", async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice');
    s.session.input('/join bad room');
    expect(s.sock().written.at(-1)).toBe('JOIN|bad room\n');
    s.sock().serverSays("ERROR|BAD_NAME|room name may hold only letters, digits, '_', '-' and '.'");
    expect(s.printed.at(-1)).toEqual(['error', "! room name may hold only letters, digits, '_', '-' and '.' [BAD_NAME]"]);
    expect(s.session.status.room).toBe('lobby');
  });

  it('Tab after /join asks the server for its rooms (silently) and completes from the answer', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice');
    const shown = s.printed.length;
    const completing = completeWith(s.session, '/join d');
    expect(s.sock().written.at(-1)).toBe('ROOMS\n');
    s.sock().serverSays('ROOMS|design:1,lobby:1');
    expect(await completing).toEqual([['design '], 'd']);
    // The answer was for completion only: nothing printed.
    expect(s.printed).toHaveLength(shown);
  });

  it('Tab after /join completes from what it knows when the server does not answer in time', async () => {
    const s = setup('lobby', 100, { roomsWaitMs: 500 });
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice');
    s.session.input('/rooms');
    s.sock().serverSays('ROOMS|dev:2,lobby:1');
    const completing = completeWith(s.session, '/join ');
    expect(s.sock().written.at(-1)).toBe('ROOMS\n');
    s.timers.advance(500);
    expect(await completing).toEqual([['dev '], '']);
  });

  it('completes /msg with everyone seen online, also people in a room it has left', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|2|alice,bob');
    s.session.input('/join dev');
    s.sock().serverSays('SYSTEM|alice joined dev');
    s.sock().serverSays('USERS|2|alice,carol', 'SYSTEM|dave joined dev', 'PRIVATE|erin|psst');
    expect(await completeWith(s.session, '/msg b')).toEqual([['bob '], 'b']);
    expect(await completeWith(s.session, '/msg e')).toEqual([['erin '], 'e']);
    expect(s.session.knownNames()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
    // A name in a plain line completes from the current room only.
    expect(await completeWith(s.session, 'bo')).toEqual([[], 'bo']);
    expect(await completeWith(s.session, 'ca')).toEqual([['carol: '], 'ca']);
  });

  it('with showReplayedHistory false (--no-history): no replay after login or JOIN, but /history still shows', async () => {
    const s = setup('lobby', 100, { showReplayedHistory: false });
    await login(s, 'HISTORY|2024-05-17T08:00:00.000Z|bob|before we came', 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice');
    s.session.input('/join dev');
    s.sock().serverSays('HISTORY|2024-05-17T08:30:00.000Z|carol|dev talk', 'SYSTEM|alice joined dev', 'USERS|1|alice');
    s.session.input('/history 1');
    const ping = s.sock().written.at(-1)!;
    s.sock().serverSays('HISTORY|2024-05-17T08:30:00.000Z|carol|dev talk', `PONG|${ping.slice(5, -1)}`, 'TEXT|carol|live');
    expect(s.text()).toEqual(['* Welcome, alice!', '* alice joined lobby', '* alice joined dev', '(history) carol: dev talk', 'carol: live']);
  });

  it('waits for a server that is not up yet (waitForServer): says so, retries with the backoff, then logs in', async () => {
    const s = setup('lobby', 100, { connection: { waitForServer: true } });
    const opened = s.session.open();
    s.sock().refuse();
    expect(s.printed.at(-1)).toEqual(['notice', '! cannot connect: connection refused by h:1; retrying in 0.5 s']);
    s.timers.advance(500);
    s.sock().refuse();
    expect(s.printed.at(-1)).toEqual(['notice', '! cannot connect: connection refused by h:1; retrying in 1.0 s']);
    s.timers.advance(1000);
    s.sock().connect();
    s.sock().serverSays('SUCCESS|Welcome, alice!', 'SYSTEM|alice joined lobby');
    await opened;
    expect(s.text().slice(-2)).toEqual(['* Welcome, alice!', '* alice joined lobby']);
    expect(s.sockets).toHaveLength(3);
  });

  it('says "still offline" for each failed reconnect', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().destroy();
    s.timers.advance(500);
    s.sock().refuse();
    expect(s.printed.at(-1)).toEqual(['notice', '! still offline (connection refused by h:1); retrying in 1.0 s']);
  });
});
