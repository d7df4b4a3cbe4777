// One conformance suite for every Directory implementation (STYLE pattern 9):
// LocalDirectory (one node: this process's presence) and RedisDirectory
// (names, rooms and node liveness shared in Redis). The suite uses only the
// Directory interface of src/server/directory/directory.ts and each node's
// Presence, in the order the server calls them (membership.ts and
// session-lifecycle.ts): claim, then the session's identity; presence.enter,
// session.moveTo, directory.entered; release, then presence.leave and
// directory.left.
//
// The factory says what its implementation can do: how many nodes it makes
// (a case that needs two nodes runs only where there are two), whether a
// node can die and be reaped by another, whether STATS gets cluster figures.
// Cases written for "node A and node B" run on one node where there is only
// one: B is then A itself, and what is claimed "elsewhere" is claimed on the
// same node, which the directory must refuse just the same.

import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Directory, LostUser } from '../../src/server/directory/directory.js';
import type { Presence, Room } from '../../src/server/presence.js';
import { Session, type SessionDeps } from '../../src/server/session.js';
import { LINE_DIALECT } from '../../src/server/events.js';
import { backgroundTimers } from '../../src/cli/timers.js';
import { FakeConnection } from '../helpers/fake-socket.js';

export interface DirectoryNode {
  readonly nodeId: string;
  readonly presence: Presence<Session>;
  readonly directory: Directory;
  /** A new session of this node, not logged in. */
  session(): Session;
}

export interface DirectoryNodes {
  readonly nodes: readonly DirectoryNode[];
  /** Resolves once what every node sent without waiting (entered, left, release) is seen by every node. */
  settle(): Promise<void>;
  /**
   * The node dies: it does nothing more and never deregisters, and its
   * liveness lapses (only where the factory says `nodesDie`).
   */
  kill(node: DirectoryNode): Promise<void>;
  /** Closes every directory and whatever it uses, and removes what the nodes left behind. */
  cleanup(): Promise<void>;
}

export interface DirectoryFactory {
  /** The most nodes it makes: 1 for a single-node directory. */
  readonly maxNodes: number;
  /** Whether a node can die without deregistering and a live node then reaps it. */
  readonly nodesDie: boolean;
  /** How long a live node may take to reap a dead one, and to run its periodic work at all. */
  readonly reapWithinMs: number;
  /** Whether stats() has the cluster figures (`cluster_*`); otherwise it is empty. */
  readonly clusterStats: boolean;
  make(n: number): Promise<DirectoryNodes>;
}

/** The cluster figures, in the order STATS prints them. */
export const CLUSTER_STATS = ['cluster_nodes', 'cluster_connections', 'cluster_users', 'cluster_rooms', 'cluster_messages'] as const;

let nextSessionId = 1;

const SESSION_DEPS: SessionDeps = {
  limits: { maxLineBytes: 4096, rateLimit: 10, rateBurst: 10, outputCapBytes: 1 << 20 },
  outboxLimits: { outputCapBytes: 1 << 20, turnOutputFactor: 16 },
  // The suite's sessions send nothing; the turn is never asked to write.
  turn: { markDirty: () => undefined },
  clock: Date.now,
  timers: backgroundTimers,
  dispatch: () => undefined,
  protocol: 'line',
  dialect: LINE_DIALECT,
  onStateChange: () => undefined,
  errors: {},
};

/** A real Session on a FakeConnection, as a node's `session()` may make it. */
export function makeSession(address = '127.0.0.1'): Session {
  return new Session(nextSessionId++, new FakeConnection(address), Date.now(), SESSION_DEPS);
}

const WAIT_MS = 3_000;

async function until(what: string, check: () => boolean, withinMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${withinMs} ms`);
    await sleep(20);
  }
}

/** A comparison key as checkName makes one (lower case); the directory takes keys as given. */
const keyOf = (name: string): string => name.toLowerCase();

export function describeDirectoryConformance(name: string, factory: DirectoryFactory): void {
  const multiNode = factory.maxNodes >= 2;

  describe(`Directory conformance: ${name}`, () => {
    let made: DirectoryNodes | undefined;

    async function make(n: number): Promise<readonly DirectoryNode[]> {
      made = await factory.make(Math.min(n, factory.maxNodes));
      return made.nodes;
    }

    /** Two nodes, or one node twice. */
    async function pair(): Promise<[DirectoryNode, DirectoryNode]> {
      const nodes = await make(2);
      return [nodes[0]!, nodes[1] ?? nodes[0]!];
    }

    const settle = (): Promise<void> => made!.settle();

    afterEach(async () => {
      await made?.cleanup();
      made = undefined;
    });

    /** LOGIN as the server does it: the claim, then the session's identity. Undefined when the name is taken. */
    async function login(node: DirectoryNode, userName: string): Promise<Session | undefined> {
      const session = node.session();
      const key = keyOf(userName);
      if (!(await node.directory.claim(session, key, userName))) return undefined;
      session.setState({ kind: 'joining', name: userName, key });
      return session;
    }

    async function loggedIn(node: DirectoryNode, userName: string): Promise<Session> {
      const session = await login(node, userName);
      if (session === undefined) throw new Error(`${userName} could not log in`);
      return session;
    }

    /** Leaves the session's room, if any (membership.leaveRoom). */
    function leave(node: DirectoryNode, session: Session): void {
      const state = session.state;
      if (state.kind !== 'active' || state.room === undefined) return;
      if (node.presence.leave(session, state.room) !== undefined) node.directory.left(state, state.room);
    }

    /** JOIN as membership.moveToRoom does it: the room's spelling from the directory, out of the old room, into the new. */
    async function enter(node: DirectoryNode, session: Session, roomKey: string, proposed = roomKey): Promise<Room<Session>> {
      return enterAs(node, session, roomKey, await node.directory.roomName(roomKey, proposed));
    }

    /** The second half of enter(), with the spelling roomName gave. */
    function enterAs(node: DirectoryNode, session: Session, roomKey: string, spelling: string): Room<Session> {
      leave(node, session);
      const state = session.state;
      if (state.kind !== 'joining' && state.kind !== 'active') throw new Error(`session is ${state.kind}`);
      const room = node.presence.enter(session, roomKey, node.presence.room(roomKey)?.name ?? spelling);
      session.moveTo(room);
      node.directory.entered({ name: state.name, key: state.key }, room);
      return room;
    }

    /** A session's end as the lifecycle retires it: release, then out of its room. */
    function logout(node: DirectoryNode, session: Session): void {
      const user = session.user;
      if (user === undefined) throw new Error('not logged in');
      node.directory.release(session, user.key);
      leave(node, session);
    }

    function roomOf(session: Session): Room<Session> {
      const state = session.state;
      if (state.kind !== 'active' || state.room === undefined) throw new Error(`session is ${state.kind}`);
      return state.room;
    }

    describe('names', () => {
      it('every node is available', async () => {
        for (const node of await make(factory.maxNodes >= 3 ? 3 : factory.maxNodes)) expect(node.directory.available).toBe(true);
      });

      it('a name is claimed once: another claim of the same key, on the same or another node, fails', async () => {
        const [a, b] = await pair();
        const alice = await loggedIn(a, 'alice');
        expect(a.presence.user('alice')).toBe(alice);
        // Another spelling of the name is the same key (the caller's job): the claim still fails.
        const loser = b.session();
        expect(await b.directory.claim(loser, 'alice', 'ALICE')).toBe(false);
        const again = a.session();
        expect(await a.directory.claim(again, 'alice', 'Alice')).toBe(false);
        // A refused claim leaves nothing behind on the node that tried.
        expect(b.presence.user('alice')).not.toBe(loser);
        expect(a.presence.user('alice')).toBe(alice);
        // Other names are free.
        expect(await login(b, 'bob')).toBeDefined();
      });

      it('of claims of one name made at once, on every node, exactly one wins', async () => {
        const nodes = await make(3);
        const contenders = [...nodes, ...nodes].map((node) => ({ node, session: node.session() }));
        const won = await Promise.all(contenders.map(({ node, session }) => node.directory.claim(session, 'mallory', 'mallory')));
        expect(won.filter(Boolean)).toHaveLength(1);
        const winner = contenders[won.indexOf(true)]!;
        expect(winner.node.presence.user('mallory')).toBe(winner.session);
        for (const { node, session } of contenders) if (session !== winner.session) expect(node.presence.user('mallory')).not.toBe(session);
      });

      it('release frees the name for another node; a release by a session that does not hold it changes nothing', async () => {
        const [a, b] = await pair();
        const alice = await loggedIn(a, 'alice');
        // The loser of a claim, and a session that never claimed, give up nothing.
        const loser = b.session();
        expect(await b.directory.claim(loser, 'alice', 'alice')).toBe(false);
        b.directory.release(loser, 'alice');
        b.directory.release(b.session(), 'alice');
        await settle();
        expect(await login(b, 'alice')).toBeUndefined();
        expect(a.presence.user('alice')).toBe(alice);

        logout(a, alice);
        await settle();
        expect(a.presence.user('alice')).toBeUndefined();
        const back = await login(b, 'Alice');
        expect(back).toBeDefined();
        expect(b.presence.user('alice')).toBe(back);
        expect(await login(a, 'alice')).toBeUndefined();
      });

      it('locate finds a user on any node, with the node id and the spelling it logged in with; undefined after release', async () => {
        const [a, b] = await pair();
        const alice = await loggedIn(a, 'Alice');
        await enter(a, alice, 'lobby');
        await settle();
        expect(await b.directory.locate('alice')).toEqual({ node: a.nodeId, name: 'Alice' });
        expect(await a.directory.locate('alice')).toEqual({ node: a.nodeId, name: 'Alice' });
        expect(await b.directory.locate('nobody')).toBeUndefined();
        // Claimed but in no room yet is online too.
        await loggedIn(b, 'bob');
        await settle();
        expect(await a.directory.locate('bob')).toEqual({ node: b.nodeId, name: 'bob' });

        logout(a, alice);
        await settle();
        expect(await b.directory.locate('alice')).toBeUndefined();
        expect(await a.directory.locate('alice')).toBeUndefined();
      });
    });

    describe('rooms', () => {
      it('entered and left show in namesIn, sorted without regard to case, on every node', async () => {
        const [a, b] = await pair();
        const carol = await loggedIn(a, 'carol');
        const bob = await loggedIn(b, 'Bob');
        const alice = await loggedIn(a, 'alice');
        const aLobby = await enter(a, carol, 'lobby');
        const bLobby = await enter(b, bob, 'lobby');
        await enter(a, alice, 'lobby');
        await settle();
        expect(await a.directory.namesIn(aLobby)).toEqual(['alice', 'Bob', 'carol']);
        expect(await b.directory.namesIn(bLobby)).toEqual(['alice', 'Bob', 'carol']);

        leave(a, alice);
        await settle();
        expect(await a.directory.namesIn(aLobby)).toEqual(['Bob', 'carol']);
        expect(await b.directory.namesIn(bLobby)).toEqual(['Bob', 'carol']);
        // A released user is gone from its room for everyone.
        logout(a, carol);
        await settle();
        expect(await b.directory.namesIn(bLobby)).toEqual(['Bob']);
      });

      it('namesIn lists that room only, and follows a user who moves between rooms', async () => {
        const [a, b] = await pair();
        const alice = await loggedIn(a, 'alice');
        const bob = await loggedIn(b, 'bob');
        const erin = await loggedIn(b, 'erin');
        await enter(a, alice, 'lobby');
        const lobby = await enter(b, bob, 'lobby');
        const dev = await enter(b, erin, 'dev');
        await settle();
        expect(await b.directory.namesIn(lobby)).toEqual(['alice', 'bob']);
        expect(await b.directory.namesIn(dev)).toEqual(['erin']);

        await enter(a, alice, 'dev');
        await settle();
        expect(await b.directory.namesIn(lobby)).toEqual(['bob']);
        expect(await b.directory.namesIn(dev)).toEqual(['alice', 'erin']);
        expect(await a.directory.namesIn(roomOf(alice))).toEqual(['alice', 'erin']);
      });

      it('rooms() lists the rooms with people in them, with counts, sorted by name without regard to case', async () => {
        const [a, b] = await pair();
        expect(await a.directory.rooms()).toEqual([]);
        const people = await Promise.all(
          ['u1', 'u2', 'u3', 'u4', 'u5'].map((n, i) => loggedIn(i % 2 === 0 ? a : b, n)),
        );
        const nodeOf = (i: number): DirectoryNode => (i % 2 === 0 ? a : b);
        await enter(nodeOf(0), people[0]!, 'lobby');
        await enter(nodeOf(1), people[1]!, 'lobby');
        await enter(nodeOf(2), people[2]!, 'beta', 'beta');
        await enter(nodeOf(3), people[3]!, 'alpha', 'Alpha');
        await enter(nodeOf(4), people[4]!, 'zeta', 'ZETA');
        await settle();
        const expected = [
          { room: 'Alpha', count: 1 },
          { room: 'beta', count: 1 },
          { room: 'lobby', count: 2 },
          { room: 'ZETA', count: 1 },
        ];
        expect(await a.directory.rooms()).toEqual(expected);
        expect(await b.directory.rooms()).toEqual(expected);

        // An emptied room is gone; a room someone left keeps its other members' count.
        leave(nodeOf(4), people[4]!);
        leave(nodeOf(0), people[0]!);
        await settle();
        const after = [
          { room: 'Alpha', count: 1 },
          { room: 'beta', count: 1 },
          { room: 'lobby', count: 1 },
        ];
        expect(await a.directory.rooms()).toEqual(after);
        expect(await b.directory.rooms()).toEqual(after);
      });

      it('roomName is the spelling of whoever opened the room, on any node, while it has people; else the proposal', async () => {
        const [a, b] = await pair();
        expect(await b.directory.roomName('dev', 'dEv')).toBe('dEv');
        const alice = await loggedIn(a, 'alice');
        await enter(a, alice, 'dev', 'Dev');
        await settle();
        expect(await b.directory.roomName('dev', 'DEV')).toBe('Dev');
        expect(await a.directory.roomName('dev', 'DEV')).toBe('Dev');
        const bob = await loggedIn(b, 'bob');
        const bDev = await enter(b, bob, 'dev', 'DEV');
        expect(bDev.name).toBe('Dev');
        await settle();
        expect(await a.directory.rooms()).toEqual([{ room: 'Dev', count: 2 }]);

        leave(a, alice);
        leave(b, bob);
        await settle();
        expect(await a.directory.roomName('dev', 'dEv')).toBe('dEv');
        expect(await b.directory.roomName('dev', 'dEv')).toBe('dEv');
      });

      it('a room opened on two nodes at once is listed with the spelling of the first to enter', async () => {
        const [a, b] = await pair();
        const alice = await loggedIn(a, 'alice');
        const bob = await loggedIn(b, 'bob');
        // Both ask before either is in: each gets its own proposal.
        const [forA, forB] = await Promise.all([a.directory.roomName('dev', 'Dev'), b.directory.roomName('dev', 'DEV')]);
        expect([forA, forB]).toEqual(['Dev', 'DEV']);
        enterAs(a, alice, 'dev', forA);
        await settle();
        enterAs(b, bob, 'dev', forB);
        await settle();
        expect(await a.directory.rooms()).toEqual([{ room: 'Dev', count: 2 }]);
        expect(await b.directory.rooms()).toEqual([{ room: 'Dev', count: 2 }]);
      });

      it("a node's answers follow its own changes at once, without waiting for them to spread", async () => {
        const nodes = await make(1);
        const a = nodes[0]!;
        const alice = await loggedIn(a, 'alice');
        const bob = await loggedIn(a, 'bob');
        const lobby = await enter(a, alice, 'lobby');
        await enter(a, bob, 'lobby');
        expect(await a.directory.namesIn(lobby)).toEqual(['alice', 'bob']);
        expect(await a.directory.rooms()).toEqual([{ room: 'lobby', count: 2 }]);
        await enter(a, bob, 'dev');
        expect(await a.directory.namesIn(lobby)).toEqual(['alice']);
        expect(await a.directory.rooms()).toEqual([
          { room: 'dev', count: 1 },
          { room: 'lobby', count: 1 },
        ]);
        logout(a, alice);
        expect(await a.directory.locate('alice')).toBeUndefined();
        expect(await a.directory.rooms()).toEqual([{ room: 'dev', count: 1 }]);
      });
    });

    describe('stats', () => {
      it(factory.clusterStats ? 'cluster figures: nodes, connections, users, rooms, messages' : 'no extra figures', async () => {
        const [a, b] = await pair();
        const alice = await loggedIn(a, 'alice');
        const bob = await loggedIn(b, 'bob');
        await loggedIn(b, 'carol'); // claimed, in no room yet
        await enter(a, alice, 'lobby');
        await enter(b, bob, 'dev');
        await settle();
        for (const node of made!.nodes) {
          const stats = await node.directory.stats();
          if (!factory.clusterStats) {
            expect(stats).toEqual([]);
            continue;
          }
          expect(stats.map(([field]) => field)).toEqual([...CLUSTER_STATS]);
          const figures = new Map(stats);
          expect(figures.get('cluster_nodes')).toBe(made!.nodes.length);
          expect(figures.get('cluster_users')).toBe(3);
          expect(figures.get('cluster_rooms')).toBe(2);
          for (const [, value] of stats) expect(Number.isInteger(value) && value >= 0).toBe(true);
        }
      });
    });

    // Only a directory of several nodes has nodes that come and go: the cases are not registered for one.
    if (multiNode) describe('nodes coming and going', () => {
      it('a node that closes cleanly takes its users with it at once, and nobody reports them lost', async () => {
        const [a, b] = await pair();
        const lost: LostUser[] = [];
        b.directory.onUsersLost((users) => lost.push(...users));
        const alice = await loggedIn(a, 'alice');
        await enter(a, alice, 'lobby');
        const bob = await loggedIn(b, 'bob');
        const lobby = await enter(b, bob, 'lobby');
        await settle();
        expect(await b.directory.namesIn(lobby)).toEqual(['alice', 'bob']);

        await a.directory.close();
        expect(await b.directory.locate('alice')).toBeUndefined();
        expect(await b.directory.namesIn(lobby)).toEqual(['bob']);
        expect(await b.directory.rooms()).toEqual([{ room: 'lobby', count: 1 }]);
        expect(await login(b, 'alice')).toBeDefined();
        // Past the time a live node needs to notice a dead one: still nobody lost.
        await sleep(factory.reapWithinMs);
        expect(lost).toEqual([]);
      });

      if (factory.nodesDie) it(
        'a node that dies is reaped by one live node, which reports its users who were in rooms; their names are free',
        async () => {
          const nodes = await make(3);
          const [dead, b, c] = [nodes[0]!, nodes[1]!, nodes[2] ?? nodes[1]!];
          const survivors = [...new Set([b, c])];
          const reports = survivors.map(() => [] as Array<readonly LostUser[]>);
          survivors.forEach((node, i) => node.directory.onUsersLost((users) => reports[i]!.push(users)));

          const alice = await loggedIn(dead, 'alice');
          await enter(dead, alice, 'lobby');
          const carol = await loggedIn(dead, 'Carol');
          await enter(dead, carol, 'den', 'Den');
          await loggedIn(dead, 'erin'); // never entered a room
          const bob = await loggedIn(b, 'bob');
          const lobby = await enter(b, bob, 'lobby');
          await settle();
          expect(await b.directory.namesIn(lobby)).toEqual(['alice', 'bob']);

          await made!.kill(dead);
          await until('a live node reports the dead node’s users', () => reports.some((r) => r.length > 0), factory.reapWithinMs);
          const sortByName = (users: readonly LostUser[]): LostUser[] => [...users].sort((x, y) => x.name.localeCompare(y.name));
          const reported = reports.flat();
          expect(reported).toHaveLength(1);
          expect(sortByName(reported[0]!)).toEqual([
            { name: 'alice', roomKey: 'lobby', roomName: 'lobby' },
            { name: 'Carol', roomKey: 'den', roomName: 'Den' },
          ]);

          for (const node of survivors) {
            for (const key of ['alice', 'carol', 'erin']) expect(await node.directory.locate(key)).toBeUndefined();
            expect(await node.directory.rooms()).toEqual([{ room: 'lobby', count: 1 }]);
          }
          expect(await b.directory.namesIn(lobby)).toEqual(['bob']);
          expect(await login(c, 'alice')).toBeDefined();
          expect(await login(b, 'erin')).toBeDefined();
          if (factory.clusterStats) expect(new Map(await b.directory.stats()).get('cluster_nodes')).toBe(survivors.length);

          // Reported once: the other live node, past its own checks, says nothing.
          await sleep(factory.reapWithinMs / 2);
          expect(reports.flat()).toHaveLength(1);
        },
      );
    });
  });
}
