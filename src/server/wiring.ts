import { randomUUID } from 'node:crypto';
import type { Bus } from './bus/bus.js';
import { LocalBus } from './bus/local-bus.js';
import { RedisBus, databaseOf } from './bus/redis-bus.js';
import type { ServerContext, ServerStats } from './context.js';
import { DepartedAddresses } from './departed-addresses.js';
import type { Directory } from './directory/directory.js';
import { LocalDirectory } from './directory/local-directory.js';
import { RedisDirectory } from './directory/redis-directory.js';
import { RoomHistory } from './history.js';
import { createLogger, type Logger } from './log.js';
import { FAILURE_WINDOW_MS, LoginGuard } from './login-guard.js';
import { announceLost } from './membership.js';
import { applyFromBus } from './moderation.js';
import type { ServerOptions } from './options.js';
import { OutputTurn } from './output-turn.js';
import { Pledges, type Pledge } from './pledges.js';
import { Presence } from './presence.js';
import type { Clock } from './rate-limit.js';
import { connectRedis, type RedisConnections } from './redis-connections.js';
import { Relay } from './relay.js';
import type { Session } from './session.js';
import { RedisStore } from './storage/redis-store.js';
import { SqliteStore } from './storage/sqlite-store.js';
import type { Store } from './storage/store.js';
import { backgroundTimers, type Timers } from '../cli/timers.js';
import { Motd, loadMotd } from './motd.js';

// The composition root: builds the back ends (store, bus, directory) for
// single-node or cluster mode and the layers over them, and closes them in
// order. The server and the handler tests both build their context here.

export interface ServerDeps {
  log?: Logger;
  clock?: Clock;
  timers?: Timers;
  store?: Store;
  bus?: Bus;
}

export interface Wiring {
  readonly ctx: ServerContext;
  /** Starts the background work (the cluster directory's heartbeat). */
  start(): Promise<void>;
  /** Closes the store, then the bus, directory and Redis connections. */
  close(): Promise<void>;
}

const NOT_STORED = 'your message could not be stored, so nobody got it; try again later';

export async function createServerContext(options: ServerOptions, deps: ServerDeps = {}): Promise<Wiring> {
  // First: a message of the day that cannot be read stops the start before anything is opened.
  const motd = new Motd();
  loadMotd(motd, options.motd);
  const log = deps.log ?? createLogger({ level: options.logLevel, json: options.logJson });
  const clock = deps.clock ?? Date.now;
  const timers = deps.timers ?? backgroundTimers;
  const nodeId = deps.bus?.nodeId ?? randomUUID();
  let store = deps.store;
  let bus = deps.bus;
  let redis: RedisConnections | undefined;
  if (options.redisUrl !== '' && store === undefined && bus === undefined) {
    redis = await connectRedis(options.redisUrl, log, { caFile: options.redisCa === '' ? undefined : options.redisCa });
    const redisBus = new RedisBus(
      nodeId,
      redis.client,
      redis.subscriber,
      (err) => log.warn('redis-publish-failed', { error: err instanceof Error ? err.message : String(err) }),
      databaseOf(options.redisUrl),
    );
    try {
      await redisBus.start();
    } catch (err) {
      await redis.close();
      throw err;
    }
    store = new RedisStore(redis.client);
    bus = redisBus;
  }
  store ??= new SqliteStore(options.dataDir, {
    checkpointThread: true,
    onCheckpointError: (message) => log.warn('checkpoint-failed', { error: message }),
  });
  const theBus = bus ?? new LocalBus(nodeId);
  const theStore = store;

  const sessions = new Set<Session>();
  const presence = new Presence<Session>();
  const stats: ServerStats = {
    startedAt: clock(),
    peakConnections: 0,
    messagesRelayed: 0,
    roomMessages: 0,
    privateMessages: 0,
    messagesNotStored: 0,
    errors: Object.create(null) as Record<string, number>,
    disconnects: Object.create(null) as Record<string, number>,
    commitObserver: undefined,
    storeFailure: undefined,
  };
  const pledges = new Pledges();
  /** How many the turn being committed took (the commit's timing skips empty turns). */
  let pledgesTaken = 0;
  const history = new RoomHistory(theStore, Math.max(1, options.historyReplay), redis === undefined);
  const turn = new OutputTurn<Pledge>({
    commit: () => {
      // Only a turn with messages counts (timed, and clearing a failure): the other turns' commits are no-ops.
      if (pledgesTaken === 0) return theStore.flush();
      const observe = stats.commitObserver;
      const started = observe === undefined ? 0 : performance.now();
      const done = theStore.flush();
      if (done === undefined) {
        // SQLite: done here, with no closure to make.
        stats.storeFailure = undefined;
        observe?.((performance.now() - started) / 1000);
        return undefined;
      }
      const timed = (): void => observe?.((performance.now() - started) / 1000);
      void done.then(() => {
        stats.storeFailure = undefined;
        timed();
      }, timed);
      return done;
    },
    publish: () => theBus.flush(),
    takePledges: () => {
      const taken = pledges.take();
      pledgesTaken = taken.length;
      return taken;
    },
    notStored: (refused, err) => {
      const error = err instanceof Error ? err.message : String(err);
      log.error('store-flush-failed', { error, messages: refused.length });
      stats.storeFailure = error;
      stats.messagesRelayed -= refused.length;
      stats.messagesNotStored += refused.length;
      for (const pledge of refused) {
        if (pledge.record !== undefined) history.unrecord(pledge.record);
        pledge.sender.sendError('UNAVAILABLE', NOT_STORED);
      }
    },
  }, timers);
  const connections = redis;
  const directory: Directory =
    connections === undefined
      ? new LocalDirectory(presence, nodeId)
      : new RedisDirectory(
          connections.client,
          connections.subscriber,
          { nodeId, presence, figures: () => ({ connections: sessions.size, users: presence.userCount, messages: stats.messagesRelayed }) },
          log,
          timers,
        );
  const loginGuard = new LoginGuard(options.loginFailures, clock);
  const ctx: ServerContext = {
    options,
    log,
    clock,
    timers,
    nodeId,
    sessions,
    presence,
    directory,
    relay: new Relay(presence, sessions, turn, theBus),
    history,
    store: theStore,
    stats,
    motd,
    pledges,
    turn,
    loginGuard,
    departed: new DepartedAddresses(),
    clustered: connections !== undefined,
  };
  directory.onUsersLost((lost) => announceLost(ctx, lost));
  ctx.relay.onControl((body) => applyFromBus(ctx, body));
  const sweeper = setInterval(() => loginGuard.sweep(), FAILURE_WINDOW_MS).unref();

  return {
    ctx,
    async start() {
      if (directory instanceof RedisDirectory) await directory.start();
    },
    async close() {
      clearInterval(sweeper);
      try {
        await theStore.close();
      } catch (err) {
        log.error('store-close-failed', { error: err instanceof Error ? err.message : String(err) });
      }
      // Lines queued for other nodes (leave notices) go out before the node deregisters.
      theBus.flush();
      await directory.close();
      await theBus.close();
      await connections?.close();
    },
  };
}
