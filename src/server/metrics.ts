import client from 'prom-client';
import type { Admission } from './admission.js';
import type { ServerContext } from './context.js';

// What Prometheus scrapes, and the health check. Nothing here is on the hot
// path: the server counts with plain increments (ctx.stats) and the gauges
// and counters below read them when scraped; only the store's commit time
// is observed as it happens, once per commit.

/** How long the health check waits for the store before calling it unwritable. */
const HEALTH_STORE_TIMEOUT_MS = 2000;

export interface MetricsSources {
  ctx: ServerContext;
  admission: Admission;
  /** Whether the listeners are up and the server is not shutting down. */
  accepting: () => boolean;
}

export interface Health {
  ok: boolean;
  /** Why not, when not. */
  reason?: string;
}

export interface Metrics {
  readonly contentType: string;
  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string>;
  health(): Promise<Health>;
  /** Stops the default metrics' timers and the commit observer. */
  close(): void;
}

/** A counter whose values are read from `counts` (by label value) when scraped. */
function countedBy(registry: client.Registry, name: string, help: string, label: string, counts: () => Record<string, number>): void {
  new client.Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [value, count] of Object.entries(counts())) this.inc({ [label]: value }, count);
    },
  });
}

export function createMetrics({ ctx, admission, accepting }: MetricsSources): Metrics {
  const registry = new client.Registry();
  if (ctx.clustered) registry.setDefaultLabels({ node: ctx.nodeId });
  const { stats } = ctx;
  new client.Gauge({
    name: 'chat_connections',
    help: 'Open connections on this server, logged in or not.',
    registers: [registry],
    collect() {
      this.set(ctx.sessions.size);
    },
  });
  new client.Gauge({
    name: 'chat_users_online',
    help: 'Logged-in users on this server.',
    registers: [registry],
    collect() {
      this.set(ctx.presence.userCount);
    },
  });
  new client.Gauge({
    name: 'chat_rooms',
    help: 'Rooms with at least one member on this server.',
    registers: [registry],
    collect() {
      this.set(ctx.presence.roomCount);
    },
  });
  countedBy(registry, 'chat_messages_total', 'Messages taken for delivery, by kind (room: TEXT; private: PRIVATE, delivered or kept).', 'kind', () => ({
    room: stats.roomMessages,
    private: stats.privateMessages,
  }));
  new client.Counter({
    name: 'chat_messages_not_stored_total',
    help: 'Messages refused (UNAVAILABLE) because the store could not write them.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats.messagesNotStored);
    },
  });
  countedBy(registry, 'chat_errors_total', 'ERROR replies sent, by code (SERVER_FULL: connections refused).', 'code', () =>
    admission.refused === 0 ? stats.errors : { ...stats.errors, SERVER_FULL: (stats.errors['SERVER_FULL'] ?? 0) + admission.refused },
  );
  countedBy(registry, 'chat_disconnects_total', 'Sessions closed, by reason (slow-consumer, flood, login-timeout, write-timeout, peer-closed, …).', 'reason', () => stats.disconnects);
  const commits = new client.Histogram({
    name: 'chat_store_commit_seconds',
    help: 'How long each commit of the store took (one per event-loop turn with messages).',
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  stats.commitObserver = (seconds) => commits.observe(seconds);
  new client.Gauge({
    name: 'chat_output_queue_bytes',
    help: 'Output written to connections that their peers have not taken yet, in all.',
    registers: [registry],
    collect() {
      let bytes = 0;
      for (const session of ctx.sessions) bytes += session.connection.pendingBytes;
      this.set(bytes);
    },
  });
  client.collectDefaultMetrics({ register: registry });

  return {
    contentType: registry.contentType,
    scrape: () => registry.metrics(),
    async health() {
      if (!accepting()) return { ok: false, reason: 'not accepting connections (starting or shutting down)' };
      // A tiny write may still fit where messages no longer do: the last commit's failure counts first.
      if (stats.storeFailure !== undefined) return { ok: false, reason: `the store failed its last commit: ${stats.storeFailure}` };
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          ctx.store.checkWritable(ctx.clock()),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_STORE_TIMEOUT_MS} ms`)), HEALTH_STORE_TIMEOUT_MS);
          }),
        ]);
      } catch (err) {
        return { ok: false, reason: `the store cannot take writes: ${err instanceof Error ? err.message : String(err)}` };
      } finally {
        clearTimeout(timer);
      }
      return { ok: true };
    },
    close() {
      stats.commitObserver = undefined;
      registry.clear();
    },
  };
}
