import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { exitCodeFor, refusalExitCode } from '../../src/client/failures.js';
import { EXIT } from '../../src/client/options.js';
import { replacedNotice } from '../../src/protocol/notices.js';
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

/** The token of a PING line the client wrote (`PING|~o3\n` → `~o3`). */
const pingToken = (line: string | undefined): string => {
  expect(line).toMatch(/^PING\|~o\d+\n$/);
  return line!.slice(5, -1);
};

describe('ChatSession: topics', () => {
  it('asks for the topic and shows it; sets and clears it with a PING behind', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice');
    s.session.input('/topic');
    expect(s.sock().written.at(-1)).toBe('TOPIC\n');
    s.sock().serverSays('TOPIC|lobby|be \u001b[2Jnice');
    expect(s.text().at(-1)).toBe('* topic of lobby: be \\x1b[2Jnice');
    s.session.input('/topic ship it');
    expect(s.sock().written.at(-2)).toBe('TOPIC|ship it\n');
    s.sock().serverSays('SYSTEM|alice set the topic of lobby: ship it', `PONG|${pingToken(s.sock().written.at(-1))}`);
    expect(s.text().at(-1)).toBe('* alice set the topic of lobby: ship it');
    s.session.input('/topic --clear');
    expect(s.sock().written.at(-2)).toBe('TOPIC|\n');
    s.sock().serverSays('ERROR|NOT_ALLOWED|only registered users may set a topic', `PONG|${pingToken(s.sock().written.at(-1))}`);
    expect(s.text().some((l) => l.includes('only registered users may set a topic'))).toBe(true);
    expect(s.session.status.queued).toBe(0);
  });
});

describe('ChatSession: moderation', () => {
  it('sends each moderation command with a PING behind it and shows the answers', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|2|alice,bob');

    s.session.input('/kick bob spam');
    expect(s.sock().written.slice(-2, -1)).toEqual(['KICK|bob|spam\n']);
    s.sock().serverSays('SYSTEM|bob left lobby (kicked by alice: spam)', 'SYSTEM|you kicked bob: spam', `PONG|${pingToken(s.sock().written.at(-1))}`);
    expect(s.text().slice(-2)).toEqual(['* bob left lobby (kicked by alice: spam)', '* you kicked bob: spam']);
    expect(s.session.status.queued).toBe(0);

    const sent: Array<[string, string]> = [
      ['/ban bob 0 go away', 'BAN|bob|0|go away\n'],
      ['/mute bob 5', 'MUTE|bob|5\n'],
      ['/unban bob', 'UNBAN|bob\n'],
      ['/unmute bob', 'UNMUTE|bob\n'],
      ['/modlog', 'MODLOG\n'],
    ];
    for (const [typed, frame] of sent) {
      s.session.input(typed);
      expect(s.sock().written.at(-2)).toBe(frame);
      s.sock().serverSays('SYSTEM|done', `PONG|${pingToken(s.sock().written.at(-1))}`);
    }

    s.session.input('/modlog 2');
    expect(s.sock().written.at(-2)).toBe('MODLOG|2\n');
    s.sock().serverSays(
      'SYSTEM|2026-12-02T03:00:00Z alice kicked bob: spam',
      'SYSTEM|2026-12-02T03:01:00Z alice banned bob until lifted: go away',
      `PONG|${pingToken(s.sock().written.at(-1))}`,
    );
    expect(s.text().slice(-2)).toEqual(['* 2026-12-02T03:00:00Z alice kicked bob: spam', '* 2026-12-02T03:01:00Z alice banned bob until lifted: go away']);
    expect(s.text().some((l) => l.includes('pong'))).toBe(false);
  });

  it('shows a refusal (NOT_ALLOWED) as an error and moves on to the next line', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice');
    s.session.input('/kick bob');
    s.session.input('after the kick');
    const ping = pingToken(s.sock().written.at(-1));
    s.sock().serverSays('ERROR|NOT_ALLOWED|only operators may send KICK');
    expect(s.printed.at(-1)).toEqual(['error', '! only operators may send KICK [NOT_ALLOWED]']);
    expect(s.sock().written.at(-1)).toBe('TEXT|after the kick\n');
    // The PONG behind the refused KICK is not shown.
    s.sock().serverSays(`PONG|${ping}`, 'TEXT|alice|after the kick');
    expect(s.text().at(-1)).toBe('alice: after the kick');
  });

  it('kicked: shows the notice, does not reconnect, and ends with the exit code for a removal', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice', 'SYSTEM|you were kicked by bob: spam');
    const reason = await s.session.closed();
    expect(reason).toEqual({ kind: 'removed', action: 'kicked', by: 'bob', text: 'you were kicked by bob: spam' });
    expect(exitCodeFor(reason)).toBe(EXIT.REMOVED);
    expect(s.printed.slice(-2)).toEqual([
      ['chat', '! you were kicked by bob: spam'],
      ['error', '! not reconnecting after a kick'],
    ]);
    expect(s.sock().destroyed).toBe(true);
    expect(s.session.status.connection).toBe('closed');
    // Nothing is waiting to reconnect, however long.
    expect(s.timers.pendingDelays()).toEqual([]);
    s.timers.advance(10 * 60_000);
    expect(s.sockets).toHaveLength(1);
    expect(s.text().some((l) => l.includes('reconnect') && !l.includes('not reconnecting'))).toBe(false);
    // A line typed afterwards is not sent anywhere.
    s.session.input('anyone?');
    expect(s.sock().written.some((l) => l.includes('anyone?'))).toBe(false);
  });

  it('banned while online: the same, with the ban', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('SYSTEM|you were banned by bob until 2026-12-02T03:10:00Z: flooding');
    const reason = await s.session.closed();
    expect(reason).toMatchObject({ kind: 'removed', action: 'banned', by: 'bob' });
    expect(exitCodeFor(reason)).toBe(EXIT.REMOVED);
    expect(s.printed.at(-1)).toEqual(['error', '! not reconnecting after a ban']);
    s.timers.advance(10 * 60_000);
    expect(s.sockets).toHaveLength(1);
  });

  it('logged in again elsewhere: does not log back in (the two connections would take the name in turns)', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays(`SYSTEM|${replacedNotice('alice')}`);
    const reason = await s.session.closed();
    expect(reason).toEqual({ kind: 'replaced', text: replacedNotice('alice') });
    expect(exitCodeFor(reason)).toBe(EXIT.REMOVED);
    expect(s.printed.at(-1)).toEqual(['error', '! not reconnecting: the other connection has the name now']);
    expect(s.sock().destroyed).toBe(true);
    s.timers.advance(10 * 60_000);
    expect(s.sockets).toHaveLength(1);
  });

  it('a BANNED refusal when reconnecting ends the session with the same exit code, without trying again', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().destroy();
    s.timers.advance(500);
    s.sock().connect();
    s.sock().serverSays('ERROR|BANNED|alice is banned until lifted: flooding');
    const reason = await s.session.closed();
    expect(reason).toEqual({ kind: 'login-refused', code: 'BANNED', text: 'alice is banned until lifted: flooding' });
    expect(exitCodeFor(reason)).toBe(EXIT.REMOVED);
    expect(s.printed.at(-1)).toEqual(['error', '! the server refused the login: alice is banned until lifted: flooding [BANNED]']);
    s.timers.advance(10 * 60_000);
    expect(s.sockets).toHaveLength(2);
  });

  it('a BANNED refusal at the first login fails open() at once, also when waiting for the server', async () => {
    const s = setup('lobby', 100, { connection: { waitForServer: true } });
    const opened = s.session.open();
    s.sock().connect();
    s.sock().serverSays('ERROR|BANNED|your address is banned until lifted');
    await expect(opened).rejects.toMatchObject({ kind: 'login', code: 'BANNED', message: 'your address is banned until lifted' });
    expect(refusalExitCode('BANNED')).toBe(EXIT.REMOVED);
    s.timers.advance(10 * 60_000);
    expect(s.sockets).toHaveLength(1);
  });

  it('shows being muted and unmuted, and the MUTED refusal of a message', async () => {
    const s = setup();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice', 'SYSTEM|bob muted you until 2026-12-02T03:10:00Z: calm down; you can still read');
    expect(s.text().at(-1)).toBe('! bob muted you until 2026-12-02T03:10:00Z: calm down; you can still read');
    s.session.input('but why');
    s.sock().serverSays('ERROR|MUTED|you are muted until 2026-12-02T03:10:00Z by bob; you can still read and use USERS, ROOMS and HISTORY');
    expect(s.printed.at(-1)).toEqual(['error', '! you are muted until 2026-12-02T03:10:00Z by bob; you can still read and use USERS, ROOMS and HISTORY [MUTED]']);
    expect(s.session.status.queued).toBe(0);
    s.sock().serverSays('SYSTEM|bob unmuted you; you can talk again');
    expect(s.text().at(-1)).toBe('* bob unmuted you; you can talk again');
    expect(s.session.status.connection).toBe('online');
  });
});

describe('ChatSession: changing the password', () => {
  const OLD = 'old-secret-1';
  const NEW = 'new-secret-2';
  const withPassword = () => setup('lobby', 100, { password: OLD });
  const reconnect = (s: ReturnType<typeof setup>, afterMs: number) => {
    s.timers.advance(afterMs);
    s.sock().connect();
    return s.sock().written[0];
  };
  const noPasswordShown = (s: ReturnType<typeof setup>) => {
    for (const [, line] of s.printed) {
      expect(line).not.toContain(OLD);
      expect(line).not.toContain(NEW);
    }
  };

  it('/password is for the front end to ask; changePassword sends PASSWORD, and the confirmation makes reconnects use the new one', async () => {
    const s = withPassword();
    await login(s, 'SYSTEM|alice joined lobby');
    expect(s.sock().written[0]).toBe(`LOGIN|alice|${OLD}\n`);
    s.sock().serverSays('USERS|1|alice');
    const before = s.sock().written.length;
    expect(s.session.input('/password')).toBe('password');
    expect(s.sock().written).toHaveLength(before);
    expect(s.session.passwordChangeBlocked()).toBeUndefined();

    s.session.changePassword(OLD, NEW);
    expect(s.sock().written.at(-1)).toBe(`PASSWORD|${OLD}|${NEW}\n`);
    expect(s.session.passwordChangeBlocked()).toBe('a password change is already on its way; wait for its answer');
    s.sock().serverSays('SYSTEM|your password was changed; use the new one from now on');
    expect(s.text().at(-1)).toBe('* your password was changed; use the new one from now on');
    expect(s.session.status.queued).toBe(0);

    s.sock().destroy();
    expect(reconnect(s, 500)).toBe(`LOGIN|alice|${NEW}\n`);
    s.sock().serverSays('SUCCESS|Welcome back', 'SYSTEM|alice joined lobby');
    expect(s.session.status.connection).toBe('online');
    // The change is not sent again after the reconnect.
    expect(s.sock().written.some((l) => l.startsWith('PASSWORD'))).toBe(false);
    noPasswordShown(s);
  });

  it('a refused change keeps the old password for reconnects', async () => {
    const s = withPassword();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice');
    s.session.changePassword('not-the-old-one', NEW);
    s.sock().serverSays('ERROR|BAD_PASSWORD|the old password is wrong; your password was not changed');
    expect(s.printed.at(-1)).toEqual(['error', '! the old password is wrong; your password was not changed [BAD_PASSWORD]']);
    // A confirmation that is not the answer to a change in flight changes nothing either.
    s.sock().serverSays('SYSTEM|your password was changed; use the new one from now on');
    s.sock().destroy();
    expect(reconnect(s, 500)).toBe(`LOGIN|alice|${OLD}\n`);
  });

  it('a throttled change (RATE_LIMITED) is shown, not sent again', async () => {
    const s = withPassword();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice');
    s.session.changePassword(OLD, NEW);
    s.sock().serverSays('ERROR|RATE_LIMITED|too many wrong passwords from your address; wait a minute and try again');
    expect(s.printed.at(-1)).toEqual(['error', '! too many wrong passwords from your address; wait a minute and try again [RATE_LIMITED]']);
    s.timers.advance(30_000);
    expect(s.sock().written.filter((l) => l.startsWith('PASSWORD'))).toHaveLength(1);
    expect(s.session.passwordChangeBlocked()).toBeUndefined();
  });

  it('lost before the answer: the old password is tried first, then the new one, and the client tells which worked', async () => {
    const s = withPassword();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice');
    s.session.changePassword(OLD, NEW);
    s.sock().destroy();
    expect(s.text()).toContain('! the connection was lost before the server answered /password; logging in again will show whether it was changed');

    expect(reconnect(s, 500)).toBe(`LOGIN|alice|${OLD}\n`);
    s.sock().serverSays('ERROR|BAD_PASSWORD|wrong password for alice');
    expect(s.session.status.connection).toBe('waiting');
    expect(reconnect(s, 1000)).toBe(`LOGIN|alice|${NEW}\n`);
    s.sock().serverSays('SUCCESS|Welcome back', 'SYSTEM|alice joined lobby');
    expect(s.text()).toContain('* your password was changed: the new one logged in');
    expect(s.sock().written.some((l) => l.startsWith('PASSWORD'))).toBe(false);

    // From then on the new one, without trying the old.
    s.sock().destroy();
    expect(reconnect(s, 500)).toBe(`LOGIN|alice|${NEW}\n`);
    noPasswordShown(s);
  });

  it('lost before the answer, and the old password still logs in: the change did not happen', async () => {
    const s = withPassword();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().serverSays('USERS|1|alice');
    s.session.changePassword(OLD, NEW);
    s.sock().destroy();
    expect(reconnect(s, 500)).toBe(`LOGIN|alice|${OLD}\n`);
    s.sock().serverSays('SUCCESS|Welcome back', 'SYSTEM|alice joined lobby');
    expect(s.text()).toContain('! your password was not changed (the old one still logs in); /password to try again');
    s.sock().destroy();
    expect(reconnect(s, 500)).toBe(`LOGIN|alice|${OLD}\n`);
    s.sock().serverSays('ERROR|BAD_PASSWORD|wrong password for alice');
    // No second password to fall back on: a wrong one ends the session.
    expect(await s.session.closed()).toMatchObject({ kind: 'login-refused', code: 'BAD_PASSWORD' });
  });

  it('refuses without asking for a guest, and while offline', async () => {
    const guest = setup();
    await login(guest, 'SYSTEM|alice joined lobby');
    expect(guest.session.passwordChangeBlocked()).toBe('you are a guest (logged in without a password): there is no password to change');
    const before = guest.sock().written.length;
    guest.session.changePassword(OLD, NEW);
    expect(guest.sock().written).toHaveLength(before);

    const s = withPassword();
    await login(s, 'SYSTEM|alice joined lobby');
    s.sock().destroy();
    expect(s.session.passwordChangeBlocked()).toBe('/password needs the connection; try again once reconnected');
    s.session.changePassword(OLD, NEW);
    expect(s.printed.at(-1)).toEqual(['notice', '! not sent: /password needs the connection; try again once reconnected']);
    expect(reconnect(s, 500)).toBe(`LOGIN|alice|${OLD}\n`);
    s.sock().serverSays('SUCCESS|Welcome back', 'SYSTEM|alice joined lobby');
    expect(s.sock().written.some((l) => l.startsWith('PASSWORD'))).toBe(false);
  });
});
