// Cluster mode, in-process: names are unique across nodes (atomically, and
// without regard to case), and accounts registered on one node hold on the
// others.

import { describe, expect, it } from 'vitest';
import { CROSS_MS, startsNotice, useSharedRedis } from '../helpers/cluster.js';
import { LineClient } from '../helpers/line-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const redis = useSharedRedis();


function node(): Promise<TestServer> {
  // Wrong passwords are part of these tests: all from 127.0.0.1, so lift the per-address throttle.
  return startTestServer({ redisUrl: redis.url, loginFailures: 100 });
}


/** The first reply to a LOGIN, cut to its frame type and code (`SUCCESS`, `ERROR|NAME_TAKEN`, …). */
function outcome(line: string): string {
  return line.startsWith('ERROR|') ? line.split('|').slice(0, 2).join('|') : line.split('|')[0]!;
}

describe('the name race', () => {
  it('many concurrent LOGINs of one name on two nodes: exactly one SUCCESS, all others NAME_TAKEN (several rounds)', async () => {
    const a = await node();
    const b = await node();
    const perNode = 8;
    for (let round = 1; round <= 4; round++) {
      const base = `racer${round}`;
      // Spellings differ in case: uniqueness does not regard it.
      const spellings = [base, base.toUpperCase(), base[0]!.toUpperCase() + base.slice(1)];
      const clients: LineClient[] = [];
      for (let i = 0; i < perNode; i++) {
        clients.push(await LineClient.connect(a.port), await LineClient.connect(b.port));
      }
      // All at once: every LOGIN written before any answer is read.
      clients.forEach((c, i) => c.sendLine(`LOGIN|${spellings[i % spellings.length]}`));
      const firsts = await Promise.all(clients.map((c) => c.nextLine(5_000)));
      const outcomes = firsts.map(outcome);
      const tally = outcomes.reduce<Record<string, number>>((t, o) => ({ ...t, [o]: (t[o] ?? 0) + 1 }), {});
      expect(tally, `round ${round}: ${JSON.stringify(firsts)}`).toEqual({ SUCCESS: 1, 'ERROR|NAME_TAKEN': 2 * perNode - 1 });

      // The winner is the one user of that name, on both nodes.
      const winner = clients[outcomes.indexOf('SUCCESS')]!;
      await winner.waitFor(startsNotice(''));
      const loser = clients[outcomes.indexOf('ERROR|NAME_TAKEN')]!;
      // A refused LOGIN leaves the connection free to log in under another name.
      const other = await loser.login(`other${round}`);
      expect(other.success).toMatch(/^SUCCESS\|/);
      for (const c of [winner, loser]) {
        c.sendLine('USERS');
        const users = await c.waitFor('USERS|', CROSS_MS);
        const names = users.split('|')[2]!.split(',');
        expect(names.filter((n) => n.toLowerCase() === base)).toHaveLength(1);
      }
      await Promise.all(clients.map((c) => c.close()));
    }
  }, 60_000);

  it('after a race, the name is free again on both nodes once the winner left', async () => {
    const a = await node();
    const b = await node();
    const watchA = await LineClient.loggedIn(a.port, 'watch-a');
    const watchB = await LineClient.loggedIn(b.port, 'watch-b');
    await watchA.waitFor(startsNotice('watch-b joined lobby'), CROSS_MS);
    const clients: LineClient[] = [];
    for (let i = 0; i < 4; i++) clients.push(await LineClient.connect(a.port), await LineClient.connect(b.port));
    clients.forEach((c) => c.sendLine('LOGIN|prize'));
    const outcomes = (await Promise.all(clients.map((c) => c.nextLine(5_000)))).map(outcome);
    expect(outcomes.filter((o) => o === 'SUCCESS')).toHaveLength(1);
    const winner = clients[outcomes.indexOf('SUCCESS')]!;
    winner.sendLine('LOGOUT');
    for (const w of [watchA, watchB]) await w.waitFor(startsNotice('prize left lobby'), CROSS_MS);
    await Promise.all(clients.map((c) => c.close()));
    for (const [label, port] of [['A', a.port], ['B', b.port]] as const) {
      const c = await LineClient.connect(port);
      c.sendLine('LOGIN|prize');
      expect(await c.nextLine(CROSS_MS), `LOGIN|prize on node ${label} after the winner left`).toMatch(/^SUCCESS\|/);
      c.sendLine('LOGOUT');
      for (const w of [watchA, watchB]) await w.waitFor(startsNotice('prize left lobby'), CROSS_MS);
      await c.close();
    }
  });
});

describe('names across nodes', () => {
  it('a name held on one node is refused on the other in any case (Unicode case folding included)', async () => {
    const a = await node();
    const b = await node();
    await LineClient.loggedIn(a.port, 'Alice');
    await LineClient.loggedIn(a.port, 'ΟΔΟΣ');
    const other = await LineClient.connect(b.port);
    for (const spelling of ['Alice', 'alice', 'ALICE', 'aLiCe', 'οδος', 'οδοσ', 'ΟΔΟΣ']) {
      other.sendLine(`LOGIN|${spelling}`);
      expect(await other.nextLine(CROSS_MS), `LOGIN|${spelling} on the other node`).toMatch(/^ERROR\|NAME_TAKEN\|/);
    }
    // Still refused on the holder's own node, and still allowed a free name.
    const same = await LineClient.connect(a.port);
    same.sendLine('LOGIN|ALICE');
    expect(await same.nextLine(CROSS_MS)).toMatch(/^ERROR\|NAME_TAKEN\|/);
    expect((await other.login('bob')).success).toMatch(/^SUCCESS\|/);
  });

  it('a LOGIN refused because the name is online on another node does not keep the name taken once its holder left', async () => {
    const a = await node();
    const b = await node();
    const alice = await LineClient.loggedIn(a.port, 'alice');
    const watcher = await LineClient.loggedIn(b.port, 'watcher');
    await alice.waitFor(startsNotice('watcher joined lobby'), CROSS_MS);
    const refused = await LineClient.connect(b.port);
    refused.sendLine('LOGIN|Alice');
    expect(await refused.nextLine(CROSS_MS)).toMatch(/^ERROR\|NAME_TAKEN\|/);
    await refused.close();

    alice.sendLine('LOGOUT');
    await watcher.waitFor(startsNotice('alice left lobby'), CROSS_MS);
    const again = await LineClient.connect(b.port);
    again.sendLine('LOGIN|alice');
    expect(await again.nextLine(CROSS_MS), 'LOGIN|alice on B after alice logged out of A').toMatch(/^SUCCESS\|/);
  });
});

describe('accounts across nodes', () => {
  it('registered on A: on B it needs the password (PASSWORD_REQUIRED, BAD_PASSWORD), and logs in with it', async () => {
    const a = await node();
    const b = await node();
    const dana = await LineClient.connect(a.port);
    expect((await dana.login('Dana', 's3cret|with bar')).success).toMatch(/^SUCCESS\|/);
    // While Dana is online on A, even the right password elsewhere is NAME_TAKEN (on a third node,
    // so that this refusal has no bearing on B below).
    const c = await node();
    const onC = await LineClient.connect(c.port);
    onC.sendLine('LOGIN|dana|s3cret|with bar');
    expect(await onC.nextLine(CROSS_MS)).toMatch(/^ERROR\|NAME_TAKEN\|/);
    const watcher = await LineClient.loggedIn(b.port, 'watcher');
    await dana.waitFor(startsNotice('watcher joined lobby'), CROSS_MS);
    dana.sendLine('LOGOUT');
    await watcher.waitFor(startsNotice('Dana left lobby'), CROSS_MS);

    const onB = await LineClient.connect(b.port);

    onB.sendLine('LOGIN|dana');
    expect(await onB.nextLine(CROSS_MS)).toMatch(/^ERROR\|PASSWORD_REQUIRED\|/);
    onB.sendLine('LOGIN|DANA|wrong');
    expect(await onB.nextLine(CROSS_MS)).toMatch(/^ERROR\|BAD_PASSWORD\|/);
    onB.sendLine('LOGIN|dana|s3cret|with bar');
    // Shown as registered, whatever the spelling of the LOGIN.
    expect(await onB.nextLine(CROSS_MS)).toMatch(/^SUCCESS\|.*Dana/);
    await onB.waitFor('SYSTEM|Dana joined lobby', CROSS_MS);
  });

  it('two nodes registering one name at once with different passwords: one account, the other is refused', async () => {
    const a = await node();
    const b = await node();
    const watchA = await LineClient.loggedIn(a.port, 'watch-a');
    const watchB = await LineClient.loggedIn(b.port, 'watch-b');
    await watchA.waitFor(startsNotice('watch-b joined lobby'), CROSS_MS);
    /** Logs out and waits until both nodes have seen it, so the name is free everywhere. */
    const logout = async (c: LineClient, name: string): Promise<void> => {
      c.sendLine('LOGOUT');
      for (const w of [watchA, watchB]) await w.waitFor(startsNotice(`${name} left lobby`), CROSS_MS);
      await c.close();
    };
    for (let round = 1; round <= 3; round++) {
      const name = `eve${round}`;
      const onA = await LineClient.connect(a.port);
      const onB = await LineClient.connect(b.port);
      onA.sendLine(`LOGIN|${name}|from-a-pass`);
      onB.sendLine(`LOGIN|${name}|from-b-pass`);
      const [ra, rb] = await Promise.all([onA.nextLine(5_000), onB.nextLine(5_000)]);
      const outcomes = [outcome(ra), outcome(rb)];
      expect(outcomes.filter((o) => o === 'SUCCESS'), JSON.stringify([ra, rb])).toHaveLength(1);
      expect(outcomes.find((o) => o !== 'SUCCESS'), JSON.stringify([ra, rb])).toBe('ERROR|BAD_PASSWORD');
      const [winnerClient, winner, loser] = outcomes[0] === 'SUCCESS' ? [onA, 'from-a-pass', 'from-b-pass'] : [onB, 'from-b-pass', 'from-a-pass'];
      await logout(winnerClient, name);
      // The account is the winner's, on both nodes.
      for (const port of [a.port, b.port]) {
        const c = await LineClient.connect(port);
        c.sendLine(`LOGIN|${name}|${loser}`);
        expect(await c.nextLine(CROSS_MS)).toMatch(/^ERROR\|BAD_PASSWORD\|/);
        expect((await c.login(name, winner, CROSS_MS)).success).toMatch(/^SUCCESS\|/);
        await logout(c, name);
      }
      await Promise.all([onA.close(), onB.close()]);
    }
  }, 60_000);
});
