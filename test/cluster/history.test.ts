// Cluster mode, in-process: room history lives in Redis, so it is shared by
// every node and kept when all of them restart; offline private messages
// wait in Redis for their addressee, whichever node they log in on.

import { describe, expect, it } from 'vitest';
import { CROSS_MS, notice, startsNotice, useSharedRedis } from '../helpers/cluster.js';
import { LineClient, parseHistory } from '../helpers/line-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const redis = useSharedRedis();


function node(): Promise<TestServer> {
  return startTestServer({ redisUrl: redis.url });
}


const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** HISTORY|n, answered by n lines at most: reads them up to a PONG sent right after. */
async function history(client: LineClient, n?: number): Promise<Array<{ from: string; message: string }>> {
  client.sendLine(n === undefined ? 'HISTORY' : `HISTORY|${n}`);
  client.sendLine('PING|end-of-history');
  const lines = await client.collectUntil('PONG|end-of-history', CROSS_MS);
  return lines
    .filter((l) => l.startsWith('HISTORY|'))
    .map((l) => {
      const h = parseHistory(l);
      expect(h.time).toMatch(ISO);
      return { from: h.from, message: h.message };
    });
}

describe('history across nodes', () => {
  it('messages said on A and on B are in HISTORY on both nodes, in order, and replayed to a new login on either', async () => {
    const a = await node();
    const b = await node();
    const alice = await LineClient.loggedIn(a.port, 'alice');
    const bob = await LineClient.loggedIn(b.port, 'bob');
    await alice.waitFor(notice('bob joined lobby'), CROSS_MS);
    const said = [
      { who: alice, from: 'alice', message: 'one from A' },
      { who: bob, from: 'bob', message: 'two from B | bar' },
      { who: alice, from: 'alice', message: 'three from A 小明' },
    ];
    for (const { who, from, message } of said) {
      who.sendLine(`TEXT|${message}`);
      await alice.waitFor(`TEXT|${from}|${message}`, CROSS_MS);
      await bob.waitFor(`TEXT|${from}|${message}`, CROSS_MS);
    }
    const expected = said.map(({ from, message }) => ({ from, message }));
    expect(await history(bob)).toEqual(expected);
    expect(await history(alice)).toEqual(expected);
    expect(await history(bob, 2)).toEqual(expected.slice(1));

    for (const port of [a.port, b.port]) {
      const newcomer = await LineClient.connect(port);
      const login = await newcomer.login(port === a.port ? 'carol' : 'dave');
      expect(login.between.map((l) => ({ from: parseHistory(l).from, message: parseHistory(l).message }))).toEqual(expected);
    }
  });

  it('JOIN replays the room’s history said on the other node; rooms keep their own history', async () => {
    const a = await node();
    const b = await node();
    const dave = await LineClient.loggedIn(a.port, 'dave');
    dave.sendLine('JOIN|den');
    await dave.waitFor(notice('dave joined den'));
    dave.sendLine('TEXT|d1');
    await dave.waitFor('TEXT|dave|d1');
    const erin = await LineClient.loggedIn(b.port, 'erin');
    erin.sendLine('TEXT|lobby only');
    await erin.waitFor('TEXT|erin|lobby only');
    erin.sendLine('JOIN|den');
    const lines = await erin.collectUntil(startsNotice('erin joined'), CROSS_MS);
    expect(lines.filter((l) => l.startsWith('HISTORY|')).map((l) => parseHistory(l).message)).toEqual(['d1']);
    await dave.waitFor(startsNotice('erin joined'), CROSS_MS);
  });

  it('private messages across nodes never show up in HISTORY', async () => {
    const a = await node();
    const b = await node();
    const alice = await LineClient.loggedIn(a.port, 'alice');
    const bob = await LineClient.loggedIn(b.port, 'bob');
    await alice.waitFor(notice('bob joined lobby'), CROSS_MS);
    alice.sendLine('PRIVATE|bob|secret');
    await bob.waitFor('PRIVATE|alice|secret', CROSS_MS);
    alice.sendLine('TEXT|public');
    await bob.waitFor('TEXT|alice|public', CROSS_MS);
    expect(await history(bob)).toEqual([{ from: 'alice', message: 'public' }]);
  });

  it('is kept over a restart of all nodes: new nodes on the same Redis replay it and answer HISTORY with it', async () => {
    const first = [await node(), await node()];
    const alice = await LineClient.loggedIn(first[0]!.port, 'alice');
    const bob = await LineClient.loggedIn(first[1]!.port, 'bob');
    await alice.waitFor(notice('bob joined lobby'), CROSS_MS);
    const expected: Array<{ from: string; message: string }> = [];
    for (let i = 1; i <= 6; i++) {
      const [who, from] = i % 2 === 1 ? [alice, 'alice'] : [bob, 'bob'];
      who.sendLine(`TEXT|before restart ${i}`);
      for (const c of [alice, bob]) await c.waitFor(`TEXT|${from}|before restart ${i}`, CROSS_MS);
      expected.push({ from, message: `before restart ${i}` });
    }

    await Promise.all(first.map((s) => s.close()));
    for (const c of [alice, bob]) await c.waitClosed(CROSS_MS);

    const second = [await node(), await node()];
    const carol = await LineClient.connect(second[1]!.port);
    const login = await carol.login('carol');
    expect(login.between.map((l) => ({ from: parseHistory(l).from, message: parseHistory(l).message }))).toEqual(expected);
    const dave = await LineClient.loggedIn(second[0]!.port, 'dave');
    expect(await history(dave, 50)).toEqual(expected);
    // And the new cluster goes on adding to it.
    dave.sendLine('TEXT|after restart');
    await carol.waitFor('TEXT|dave|after restart', CROSS_MS);
    expect((await history(carol, 2)).map((h) => h.message)).toEqual(['before restart 6', 'after restart']);
  });
});

describe('offline private messages across nodes', () => {
  it('to a registered user who is offline: stored; delivered at their next login on the other node, once', async () => {
    const a = await node();
    const b = await node();
    const gina = await LineClient.connect(a.port);
    await gina.login('gina', 'pw-gina-1');
    gina.sendLine('LOGOUT');
    await gina.waitClosed(CROSS_MS);

    const henry = await LineClient.loggedIn(b.port, 'henry');
    henry.sendLine('PRIVATE|Gina|while you were out');
    await henry.expectLine('SENT|gina|while you were out', CROSS_MS);
    await henry.expectLine(startsNotice('gina is offline'), CROSS_MS);
    henry.sendLine('PRIVATE|gina|and another');
    await henry.waitFor('SENT|gina|and another', CROSS_MS);

    // Back on node A: after SUCCESS, history and the join notice.
    const back = await LineClient.connect(a.port);
    await back.login('gina', 'pw-gina-1', CROSS_MS);
    expect(await back.lines(3, CROSS_MS)).toEqual([
      'SYSTEM|2 private messages arrived while you were away',
      'PRIVATE|henry|while you were out',
      'PRIVATE|henry|and another',
    ]);
    back.sendLine('LOGOUT');
    await back.waitClosed(CROSS_MS);
    await henry.waitFor(startsNotice('gina left lobby'), CROSS_MS);

    // Delivered once: the next login, on B this time, has nothing waiting.
    const again = await LineClient.connect(b.port);
    await again.login('gina', 'pw-gina-1', CROSS_MS);
    again.sendLine('PING|none');
    expect(await again.nextLine(CROSS_MS)).toBe('PONG|none');
  });

  it('to an offline guest of the other node: NO_SUCH_USER', async () => {
    const a = await node();
    const b = await node();
    const guest = await LineClient.loggedIn(a.port, 'ivan');
    const judy = await LineClient.loggedIn(b.port, 'judy');
    await guest.waitFor(notice('judy joined lobby'), CROSS_MS);
    await guest.close();
    await judy.waitFor(startsNotice('ivan left lobby'), CROSS_MS);
    judy.sendLine('PRIVATE|ivan|gone?');
    expect(await judy.nextLine(CROSS_MS)).toMatch(/^ERROR\|NO_SUCH_USER\|/);
  });
});
