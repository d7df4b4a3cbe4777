import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffPolicy } from '../../src/client/backoff.js';
import { Connection, ConnectError, type ConnectionStatus } from '../../src/client/connection.js';
import type { ServerFrame } from '../../src/protocol/frames.js';
import { FakeClientSocket } from '../helpers/fake-socket.js';
import { FakeTimers } from '../helpers/fake-timers.js';

const POLICY: BackoffPolicy = { initialMs: 500, maxMs: 8000, factor: 2, jitter: 0.5 };

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap (no jitter at random = 1)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, POLICY, () => 1));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('takes up to `jitter` of the delay off at random', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, POLICY, () => 0))).toEqual([250, 500, 1000, 2000, 4000]);
    expect(backoffDelay(3, POLICY, () => 0.5)).toBe(1500);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, POLICY, Math.random);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });

  it('stays finite and capped for huge attempt numbers and odd random values', () => {
    expect(backoffDelay(10_000, POLICY, () => 1)).toBe(8000);
    expect(backoffDelay(0, POLICY, () => 1)).toBe(500);
    expect(backoffDelay(2, POLICY, () => 7)).toBe(1000);
    expect(backoffDelay(2, POLICY, () => -1)).toBe(500);
  });

  it('has sensible defaults', () => {
    expect(backoffDelay(1, DEFAULT_BACKOFF, () => 1)).toBeLessThanOrEqual(1000);
    expect(backoffDelay(100, DEFAULT_BACKOFF, () => 1)).toBeLessThanOrEqual(30_000);
  });
});

function setup(extra: Partial<ConstructorParameters<typeof Connection>[0]> = {}) {
  const timers = new FakeTimers(1_000_000);
  const sockets: FakeClientSocket[] = [];
  const statuses: ConnectionStatus[] = [];
  const frames: ServerFrame[] = [];
  const connection = new Connection({
    host: 'chat.example',
    port: 4000,
    name: 'alice',
    password: 'pw',
    timers,
    random: () => 1,
    backoff: POLICY,
    heartbeatMs: 0,
    createSocket: (host, port) => {
      expect([host, port]).toEqual(['chat.example', 4000]);
      const s = new FakeClientSocket();
      sockets.push(s);
      return s;
    },
    events: { status: (s) => statuses.push(s), frame: (f) => frames.push(f) },
    ...extra,
  });
  const last = () => sockets[sockets.length - 1]!;
  return { timers, sockets, statuses, frames, connection, last };
}

describe('Connection', () => {
  it('logs in, then passes frames on', async () => {
    const { connection, last, frames, statuses } = setup();
    const opened = connection.open();
    last().connect();
    expect(last().written).toEqual(['LOGIN|alice|pw\n']);
    last().serverSays('SUCCESS|welcome', 'TEXT|bob|hi');
    await opened;
    expect(connection.status).toEqual({ state: 'online', reconnected: false, welcome: 'welcome' });
    expect(statuses.map((s) => s.state)).toEqual(['connecting', 'logging-in', 'online']);
    expect(frames).toEqual([{ type: 'TEXT', from: 'bob', message: 'hi' }]);
    expect(connection.send('TEXT|yo\n')).toBe(true);
    expect(last().written).toContain('TEXT|yo\n');
  });

  it('rejects the first open with a clear error when the connection is refused', async () => {
    const { connection, last } = setup();
    const opened = connection.open();
    last().refuse();
    await expect(opened).rejects.toMatchObject({ kind: 'connect', code: 'ECONNREFUSED' });
    await expect(opened).rejects.toThrow(/connection refused by chat\.example:4000/);
    expect(connection.status).toMatchObject({ state: 'closed', reason: { kind: 'connect-failed' } });
  });

  it('rejects with the server code when the login is refused', async () => {
    const { connection, last } = setup();
    const opened = connection.open();
    last().connect();
    last().serverSays('ERROR|NAME_TAKEN|alice is already online');
    const error = await opened.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ kind: 'login', code: 'NAME_TAKEN', message: 'alice is already online' });
    expect(last().destroyed).toBe(true);
  });

  it('times out a connect that never completes', async () => {
    const { connection, timers } = setup({ connectTimeoutMs: 3000 });
    const opened = connection.open();
    timers.advance(3000);
    await expect(opened).rejects.toMatchObject({ kind: 'connect', code: 'ETIMEDOUT' });
  });

  it('reconnects with exponential backoff and logs in again under the same name and password', async () => {
    const { connection, last, sockets, timers, statuses } = setup();
    const opened = connection.open();
    last().connect();
    last().serverSays('SUCCESS|hi');
    await opened;

    last().destroy(); // the network drops
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      const status = connection.status;
      expect(status.state).toBe('waiting');
      if (status.state !== 'waiting') return;
      expect(status.attempt).toBe(attempt);
      delays.push(status.delayMs);
      timers.advance(status.delayMs - 1);
      expect(sockets).toHaveLength(attempt); // not yet
      timers.advance(1);
      expect(sockets).toHaveLength(attempt + 1);
      last().refuse();
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000]);
    const status = connection.status;
    if (status.state !== 'waiting') throw new Error('expected waiting');
    timers.advance(status.delayMs);
    last().connect();
    expect(last().written).toEqual(['LOGIN|alice|pw\n']);
    last().serverSays('SUCCESS|welcome back');
    expect(connection.status).toEqual({ state: 'online', reconnected: true, welcome: 'welcome back' });
    expect(statuses.filter((s) => s.state === 'online')).toHaveLength(2);

    // The attempt counter starts over after a success.
    last().destroy();
    expect(connection.status).toMatchObject({ state: 'waiting', attempt: 1, delayMs: 500 });
  });

  it('keeps retrying while the old session still holds the name, but stops on a wrong password', async () => {
    const { connection, last, timers } = setup();
    const opened = connection.open();
    last().connect();
    last().serverSays('SUCCESS|hi');
    await opened;
    last().destroy();
    timers.advance(500);
    last().connect();
    last().serverSays('ERROR|NAME_TAKEN|alice is already online');
    expect(connection.status).toMatchObject({ state: 'waiting', attempt: 2 });
    timers.advance(1000);
    last().connect();
    last().serverSays('ERROR|BAD_PASSWORD|wrong password for alice');
    expect(connection.status).toEqual({
      state: 'closed',
      reason: { kind: 'login-refused', code: 'BAD_PASSWORD', text: 'wrong password for alice' },
    });
  });

  it('gives up after maxReconnects', async () => {
    const { connection, last, timers } = setup({ maxReconnects: 2 });
    const opened = connection.open();
    last().connect();
    last().serverSays('SUCCESS|hi');
    await opened;
    last().destroy();
    timers.advance(500);
    last().refuse();
    timers.advance(1000);
    last().refuse();
    expect(connection.status).toMatchObject({ state: 'closed', reason: { kind: 'gave-up', attempts: 2 } });
  });

  it('notices a silent server with a heartbeat PING, and hides its PONG', async () => {
    const { connection, last, timers, frames, sockets } = setup({ heartbeatMs: 20_000, heartbeatTimeoutMs: 5000 });
    const opened = connection.open();
    last().connect();
    last().serverSays('SUCCESS|hi');
    await opened;
    timers.advance(20_000);
    expect(last().written.at(-1)).toBe('PING|~hb1\n');
    last().serverSays('PONG|~hb1');
    expect(frames).toEqual([]);
    expect(connection.status.state).toBe('online');

    timers.advance(20_000);
    expect(last().written.at(-1)).toBe('PING|~hb2\n');
    timers.advance(5000); // no answer
    expect(connection.status).toMatchObject({ state: 'waiting', attempt: 1 });
    expect(sockets[0]!.destroyed).toBe(true);
  });

  it('sends LOGOUT on quit and does not reconnect', async () => {
    const { connection, last, timers, sockets } = setup();
    const opened = connection.open();
    last().connect();
    last().serverSays('SUCCESS|hi');
    await opened;
    await connection.quit();
    expect(last().written.at(-1)).toBe('LOGOUT\n');
    expect(connection.status).toEqual({ state: 'closed', reason: { kind: 'quit' } });
    timers.advance(60_000);
    expect(sockets).toHaveLength(1);
    expect(connection.send('TEXT|late\n')).toBe(false);
  });

  it('with waitForServer, waits for a server that is not up yet, with the reconnect backoff', async () => {
    const { connection, last, sockets, timers } = setup({ waitForServer: true });
    const opened = connection.open();
    let settled = false;
    void opened.then(() => (settled = true));
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      last().refuse();
      const status = connection.status;
      if (status.state !== 'waiting') throw new Error(`expected waiting, got ${status.state}`);
      expect(status).toMatchObject({ attempt, error: 'connection refused by chat.example:4000' });
      delays.push(status.delayMs);
      timers.advance(status.delayMs);
      expect(sockets).toHaveLength(attempt + 1);
    }
    expect(delays).toEqual([500, 1000, 2000]);
    await Promise.resolve();
    expect(settled).toBe(false);
    last().connect();
    last().serverSays('SUCCESS|welcome');
    await opened;
    // The first login, not a reconnect; the next loss starts the backoff over.
    expect(connection.status).toEqual({ state: 'online', reconnected: false, welcome: 'welcome' });
    last().destroy();
    expect(connection.status).toMatchObject({ state: 'waiting', attempt: 1, delayMs: 500 });
  });

  it('with waitForServer, still fails at once for an unknown host, and on quit', async () => {
    const unknown = setup({ waitForServer: true });
    const opened = unknown.connection.open();
    unknown.last().emit('error', Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
    unknown.last().destroy();
    await expect(opened).rejects.toMatchObject({ kind: 'connect', code: 'ENOTFOUND' });

    const quitting = setup({ waitForServer: true });
    const waiting = quitting.connection.open();
    quitting.last().refuse();
    await quitting.connection.quit();
    await expect(waiting).rejects.toMatchObject({ kind: 'connect', code: 'QUIT' });
    quitting.timers.advance(60_000);
    expect(quitting.sockets).toHaveLength(1);
  });

  it('with waitForServer and maxReconnects, gives up and rejects the open', async () => {
    const { connection, last, timers } = setup({ waitForServer: true, maxReconnects: 1 });
    const opened = connection.open();
    last().refuse();
    timers.advance(500);
    last().refuse();
    await expect(opened).rejects.toMatchObject({ kind: 'connect', code: 'ECONNREFUSED' });
    expect(connection.status).toMatchObject({ state: 'closed', reason: { kind: 'connect-failed' } });
  });
});
