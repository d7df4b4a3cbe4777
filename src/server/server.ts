import path from 'node:path';
import { nameKey } from '../protocol/index.js';
import { Admission } from './admission.js';
import type { Logger } from './log.js';
import type { Store } from './storage/store.js';
import { connectionCap, openFileLimit } from './fd-limit.js';
import { defaultOptions, optionConflict, type ServerOptions } from './options.js';
import { redactUrl } from './redis-connections.js';
import { applyLive, settingChanges, type SettingChange } from './reload.js';
import { SessionLifecycle } from './session-lifecycle.js';
import type { SocketListener } from './transports/socket-listener.js';
import { TcpTransport } from './transports/tcp.js';
import { TlsTransport } from './transports/tls.js';
import { MetricsListener } from './transports/metrics-http.js';
import { WebListener } from './transports/web.js';
import { loadWebFiles } from './transports/web-files.js';
import { createMetrics, type Metrics } from './metrics.js';
import { loadMotd } from './motd.js';
import { createServerContext, type ServerDeps } from './wiring.js';

// startServer(): the back ends and layers (wiring), the session lifecycle
// over them, and the transports in front, started and stopped in order.

export type { ServerDeps } from './wiring.js';

export interface RunningServer {
  readonly host: string;
  /** The plain TCP port (with --no-plain, the TLS port). */
  readonly port: number;
  /** The TLS port, when there is a TLS listener. */
  readonly tlsPort: number | undefined;
  /** The IRC ports, when they listen. */
  readonly ircPort: number | undefined;
  readonly ircTlsPort: number | undefined;
  /** The web page's HTTP port, with --web-port. */
  readonly webPort: number | undefined;
  /** The web page's HTTPS port, with --web-tls-port. */
  readonly webTlsPort: number | undefined;
  /** The port of /metrics and /healthz, when --metrics-port is on. */
  readonly metricsPort: number | undefined;
  /** Reads the TLS certificate and key again (SIGHUP); false, logged, and the old pair kept, when they are bad. */
  reloadTls(): boolean;
  /**
   * Takes on the settings of `next` that can change while running (SIGHUP),
   * logs each change and each one that needs a restart, and returns them.
   */
  reloadSettings(next: ServerOptions): SettingChange[];
  /** Tells everyone, flushes history, closes the store; resolves when done. */
  close(): Promise<void>;
}

/** Starts a chat server; resolves once it listens. */
export async function startServer(overrides: Partial<ServerOptions> = {}, deps: ServerDeps = {}): Promise<RunningServer> {
  const options: ServerOptions = { ...defaultOptions(), ...overrides };
  const conflict = optionConflict(options);
  if (conflict !== undefined) throw new Error(conflict);
  // Bad certificate files are refused before anything starts.
  const tlsFiles = options.tlsCert === '' ? undefined : { certFile: options.tlsCert, keyFile: options.tlsKey };
  const wiring = await createServerContext(options, deps);
  const { ctx } = wiring;
  const { log } = ctx;
  const lifecycle = new SessionLifecycle(ctx);
  const fileLimit = openFileLimit();
  const cap = connectionCap(options.maxConnections, fileLimit);
  const admission = new Admission({ cap, maxPerIp: options.maxPerIp, limitLoopback: options.limitLoopback });
  const tcp = options.plain ? new TcpTransport(options, admission, log, lifecycle.open) : undefined;
  let tls: TlsTransport | undefined;
  try {
    tls = tlsFiles && new TlsTransport(tlsFiles, { ...options, port: options.tlsPort }, admission, log, lifecycle.open);
  } catch (err) {
    await wiring.close();
    throw err;
  }
  const ircRefusal = { refusalLine: (reason: string) => `ERROR :Closing link: ${reason}\r\n` };
  const irc = options.ircPort === -1 ? undefined : new TcpTransport({ ...options, port: options.ircPort, ...ircRefusal }, admission, log, lifecycle.openIrc);
  let ircTls: TlsTransport | undefined;
  try {
    if (tlsFiles !== undefined && options.ircTlsPort !== -1) {
      ircTls = new TlsTransport(tlsFiles, { ...options, port: options.ircTlsPort, ...ircRefusal }, admission, log, lifecycle.openIrc);
    }
  } catch (err) {
    await wiring.close();
    throw err;
  }
  const webs: WebListener[] = [];
  if (options.webPort !== -1 || (tlsFiles !== undefined && options.webTlsPort !== -1)) {
    const files = loadWebFiles();
    if (files.size === 0) log.warn('web-page-missing', { hint: 'the web page is not built: run npm run build' });
    // A message may be a little past the line limit and still get LINE_TOO_LONG; far past it, the WebSocket closes (1009).
    const web = {
      host: options.host,
      origins: options.webOrigins,
      maxPayloadBytes: Math.max(4 * options.maxLineBytes, 64 * 1024),
      requestTimeoutMs: options.loginTimeoutMs,
    };
    try {
      if (options.webPort !== -1) webs.push(new WebListener({ ...web, port: options.webPort }, files, admission, log, lifecycle.open));
      if (tlsFiles !== undefined && options.webTlsPort !== -1) webs.push(new WebListener({ ...web, port: options.webTlsPort }, files, admission, log, lifecycle.open, tlsFiles));
    } catch (err) {
      await wiring.close();
      throw err;
    }
  }
  const webPlain = webs.find((w) => !w.secure);
  const webTls = webs.find((w) => w.secure);
  const transports: SocketListener[] = [tcp, tls, irc, ircTls].filter((t) => t !== undefined);
  const first = transports[0]!;
  let listening = false;
  let closing: Promise<void> | undefined;
  let metrics: Metrics | undefined;
  let metricsListener: MetricsListener | undefined;
  if (options.metricsPort !== -1) {
    metrics = createMetrics({ ctx, admission, accepting: () => listening && closing === undefined });
    metricsListener = new MetricsListener({ host: options.metricsHost, port: options.metricsPort }, metrics, log);
  }

  const shutdown = async (): Promise<void> => {
    // A server that never started (a port in use) closes quietly: the caller reports why.
    if (listening) log.info('shutting-down', { connections: ctx.sessions.size });
    const stopped = Promise.all([...transports.map((t) => t.close()), ...webs.map((w) => w.close()), metricsListener?.close()]);
    const lost = await lifecycle.shutdown();
    await stopped;
    metrics?.close();
    await wiring.close();
    if (lost > 0) {
      log.error('messages-lost', { count: lost, reason: 'the store could not write them at shutdown' });
      throw new Error(`${lost} message${lost === 1 ? '' : 's'} sent just before shutdown could not be stored`);
    }
    if (listening) log.info('stopped', { messages: ctx.stats.messagesRelayed });
  };
  const server: RunningServer = {
    get host() {
      return first.host;
    },
    get port() {
      return first.port;
    },
    get tlsPort() {
      return tls?.port;
    },
    get metricsPort() {
      return metricsListener?.port;
    },
    get ircPort() {
      return irc?.port;
    },
    get ircTlsPort() {
      return ircTls?.port;
    },
    get webPort() {
      return webPlain?.port;
    },
    get webTlsPort() {
      return webTls?.port;
    },
    reloadTls() {
      let reloaded = false;
      for (const listener of [tls, ircTls, webTls]) reloaded = (listener?.reload() ?? false) || reloaded;
      return reloaded;
    },
    reloadSettings(next) {
      const changes = settingChanges(options, next);
      applyLive(options, changes, next);
      admission.update({ cap: connectionCap(options.maxConnections, fileLimit), maxPerIp: options.maxPerIp, limitLoopback: options.limitLoopback });
      lifecycle.limitsChanged();
      // Read again whether or not its name changed: the point of a SIGHUP is often a new text.
      try {
        loadMotd(ctx.motd, options.motd);
        if (options.motd !== '') log.info('motd-loaded', { file: options.motd, lines: ctx.motd.lines.length });
      } catch (err) {
        log.error('motd-reload-failed', { error: err instanceof Error ? err.message : String(err), kept: `${ctx.motd.lines.length} lines` });
      }
      for (const { setting, from, to, reach } of changes) {
        if (reach === 'restart') log.warn('setting-needs-restart', { setting, from, to, running: from });
        else log.info('setting-changed', { setting, from, to, applies: reach });
      }
      if (changes.length === 0) log.info('settings-unchanged');
      return changes;
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };

  try {
    await wiring.start();
    for (const transport of transports) await transport.listen();
    for (const web of webs) await web.listen();
    await metricsListener?.listen();
  } catch (err) {
    await server.close();
    throw err;
  }
  listening = true;
  log.info('listening', {
    host: first.host,
    ...(tcp ? { port: tcp.port } : {}),
    ...(tls ? { tlsPort: tls.port, fingerprint: tls.fingerprint } : {}),
    ...(metricsListener ? { metricsPort: metricsListener.port, metricsHost: options.metricsHost } : {}),
    ...(irc ? { ircPort: irc.port } : {}),
    ...(ircTls ? { ircTlsPort: ircTls.port } : {}),
    ...(webPlain ? { webPort: webPlain.port } : {}),
    ...(webTls ? { webTlsPort: webTls.port } : {}),
    ...(ctx.clustered ? { redis: redactUrl(options.redisUrl), node: ctx.nodeId } : { dataDir: path.resolve(options.dataDir) }),
  });
  if (cap < options.maxConnections) {
    log.warn('connection-cap-lowered', {
      maxConnections: options.maxConnections,
      openFileLimit: fileLimit,
      cap,
      hint: 'raise the open-file limit (ulimit -n, LimitNOFILE=) to allow more',
    });
  }
  await warnUnregisteredOperators(ctx.store, options.operators, log);
  return server;
}

/**
 * An --operator name nobody has registered yet goes to whoever registers it
 * first: say so at start-up, while the operator can still claim it.
 */
async function warnUnregisteredOperators(store: Store, operators: readonly string[], log: Logger): Promise<void> {
  for (const name of operators) {
    try {
      if ((await store.getAccount(nameKey(name))) !== undefined) continue;
      log.warn('operator-not-registered', { name, hint: `log in as ${name} with a password now to register it: until then anyone could` });
    } catch {
      // The store being unreachable is reported where it matters.
    }
  }
}
