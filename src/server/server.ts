import path from 'node:path';
import { Admission } from './admission.js';
import { connectionCap, openFileLimit } from './fd-limit.js';
import { defaultOptions, type ServerOptions } from './options.js';
import { SessionLifecycle } from './session-lifecycle.js';
import { TcpTransport } from './transports/tcp.js';
import { createServerContext, type ServerDeps } from './wiring.js';

// startServer(): the back ends and layers (wiring), the session lifecycle
// over them, and the transports in front, started and stopped in order.

export type { ServerDeps } from './wiring.js';
export { LEGACY_QUIET_MS } from './legacy-framing.js';

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** Tells everyone, flushes history, closes the store; resolves when done. */
  close(): Promise<void>;
}

/** Starts a chat server; resolves once it listens. */
export async function startServer(overrides: Partial<ServerOptions> = {}, deps: ServerDeps = {}): Promise<RunningServer> {
  const options: ServerOptions = { ...defaultOptions(), ...overrides };
  const wiring = await createServerContext(options, deps);
  const { ctx } = wiring;
  const { log } = ctx;
  const lifecycle = new SessionLifecycle(ctx);
  const fileLimit = openFileLimit();
  const cap = connectionCap(options.maxConnections, fileLimit);
  const admission = new Admission({ cap, maxPerIp: options.maxPerIp, limitLoopback: options.limitLoopback });
  const tcp = new TcpTransport(options, admission, log, lifecycle.open);
  let listening = false;
  let closing: Promise<void> | undefined;

  const shutdown = async (): Promise<void> => {
    // A server that never started (a port in use) closes quietly: the caller reports why.
    if (listening) log.info('shutting-down', { connections: ctx.sessions.size });
    const stopped = tcp.close();
    const lost = await lifecycle.shutdown();
    await stopped;
    await wiring.close();
    if (lost > 0) {
      log.error('messages-lost', { count: lost, reason: 'the store could not write them at shutdown' });
      throw new Error(`${lost} message${lost === 1 ? '' : 's'} sent just before shutdown could not be stored`);
    }
    if (listening) log.info('stopped', { messages: ctx.stats.messagesRelayed });
  };
  const server: RunningServer = {
    get host() {
      return tcp.host;
    },
    get port() {
      return tcp.port;
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };

  try {
    await wiring.start();
    await tcp.listen();
  } catch (err) {
    await server.close();
    throw err;
  }
  listening = true;
  log.info('listening', {
    host: tcp.host,
    port: tcp.port,
    ...(ctx.clustered ? { redis: options.redisUrl, node: ctx.nodeId } : { dataDir: path.resolve(options.dataDir) }),
  });
  if (cap < options.maxConnections) {
    log.warn('connection-cap-lowered', {
      maxConnections: options.maxConnections,
      openFileLimit: fileLimit,
      cap,
      hint: 'raise the open-file limit (ulimit -n, LimitNOFILE=) to allow more',
    });
  }
  return server;
}
