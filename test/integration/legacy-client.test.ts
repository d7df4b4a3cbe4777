// The earlier design's client (test/helpers/legacy-client.ts: frames without
// line endings, one recv(1024) per reply, `name:` before each message)
// against the real server. ../shared's Python original is run too, by
// .ci/run, where it is present (test/peers/).

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LegacyClient } from '../helpers/legacy-client.js';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
const legacy: LegacyClient[] = [];

beforeAll(async () => {
  srv = await startTestServer();
});

afterEach(async () => {
  for (const c of legacy.splice(0)) c.close();
  await closeAllClients();
});

afterAll(async () => {
  await closeAllServers();
  removeTempDirs();
});

async function legacyClient(): Promise<LegacyClient> {
  const c = await LegacyClient.connect(srv.port);
  legacy.push(c);
  return c;
}

const naming =
  (name: string) =>
  (line: string): boolean =>
    line.startsWith('SYSTEM|') && line.includes(name);

describe('the earlier client', () => {
  it('logs in, gets SUCCESS alone in its first recv, chats as name:message, and leaves with /quit', async () => {
    const other = await LineClient.loggedIn(srv.port, 'other');
    const seed = await legacyClient();
    const done = seed.run(['seedy', 'hello there', '/quit']);

    expect(await other.waitFor(naming('seedy'))).toBe('SYSTEM|seedy joined lobby');
    // Its own name before the message is dropped; the sender is the session's name.
    expect(await other.waitFor('TEXT|seedy|')).toBe('TEXT|seedy|hello there');
    expect(await other.waitFor(naming('seedy'))).toMatch(/^SYSTEM\|seedy left lobby/);
    await done;

    // print(data.split('|')[1]) of a first recv that held SUCCESS alone.
    expect(seed.printed[0]).toBe('Welcome, seedy! You are in lobby. (guest)\n');
    expect(seed.printed[1]).toBe('SYSTEM|seedy joined lobby\n');
    expect(seed.printed[2]).toBe('TEXT|seedy|hello there\n');
  });

  it('cannot speak as somebody else: another name before the colon stays part of the message', async () => {
    const other = await LineClient.loggedIn(srv.port, 'watcher');
    const seed = await legacyClient();
    const done = seed.run(['mallory', 'watcher:I owe mallory money', '/quit']);
    expect(await other.waitFor('TEXT|mallory|')).toBe('TEXT|mallory|watcher:I owe mallory money');
    await done;
  });

  it('each frame without a line ending is one frame after the quiet, one write each', async () => {
    const other = await LineClient.loggedIn(srv.port, 'listener');
    const seed = await legacyClient();
    seed.send('1|quiet');
    expect(await seed.recv()).toBe('SUCCESS|Welcome, quiet! You are in lobby. (guest)\n');
    await other.waitFor(naming('quiet'));
    seed.send('3|quiet:first');
    expect(await other.waitFor('TEXT|quiet|')).toBe('TEXT|quiet|first');
    seed.send('3|quiet:second | with a bar');
    expect(await other.waitFor('TEXT|quiet|')).toBe('TEXT|quiet|second | with a bar');
    seed.send('2|quiet');
    expect(await other.waitFor(naming('quiet'))).toMatch(/^SYSTEM\|quiet left lobby/);
  });

  it('is refused cleanly when the name is taken and prints the code, as it always did', async () => {
    await LineClient.loggedIn(srv.port, 'taken');
    const seed = await legacyClient();
    await seed.run(['taken']);
    expect(seed.printed).toEqual(['NAME_TAKEN']);
  });
});
