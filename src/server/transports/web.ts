import http from 'node:http';
import type net from 'node:net';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeError } from '../../protocol/index.js';
import { Admission } from '../admission.js';
import type { Logger } from '../log.js';
import type { ConnectionHandler } from './connection.js';
import { listenOn } from './socket-listener.js';
import { readKeyPair, type TlsFiles } from './tls.js';
import { requestPath, securityHeaders, type WebFiles } from './web-files.js';
import { WsConnection, connectionOf } from './ws-connection.js';

// The browsers' door: one HTTP (or HTTPS) server with the web page's files
// and a WebSocket endpoint at /ws speaking the line protocol, a frame per
// message. The upgrade checks the page's origin (cross-site WebSocket
// hijacking: a page elsewhere must not drive a visitor's browser into the
// chat) and admission; from then on the connection is a session like any.

export const WS_PATH = '/ws';
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How often unfinished requests are looked at (Node's default, 30 s, would let them stay well past their timeout). */
const REQUEST_CHECK_MS = 1000;
/** A refused WebSocket gets this long to read why. */
const REFUSAL_LINGER_MS = 1000;
/** WebSocket close code for "try again later" (RFC 6455 registry). */
const TRY_AGAIN_LATER = 1013;

export interface WebOptions {
  host: string;
  port: number;
  /** Origins allowed to open the WebSocket; empty: the page's own origin alone. */
  origins: readonly string[];
  /**
   * The largest message the WebSocket reads at all; past it the connection
   * is closed (1009). Messages up to it but past the line limit get
   * LINE_TOO_LONG from the session, as on TCP.
   */
  maxPayloadBytes: number;
  /** A browser that does not finish its request (or its upgrade) in this time is cut off: the login timeout. */
  requestTimeoutMs: number;
}

/** Whether a WebSocket upgrade may go ahead, by its Origin header. */
export function originAllowed(origin: string | undefined, host: string | undefined, secure: boolean, allowed: readonly string[]): boolean {
  // Not a browser: nothing to hijack (a script can set any Origin it likes anyway).
  if (origin === undefined) return true;
  let normal: string;
  try {
    normal = new URL(origin).origin;
  } catch {
    return false;
  }
  if (allowed.length > 0) return allowed.includes(normal);
  if (host === undefined) return false;
  try {
    return normal === new URL(`${secure ? 'https' : 'http'}://${host}`).origin;
  } catch {
    return false;
  }
}

/** A plain HTTP answer on a socket that asked to upgrade (the upgrade is refused). */
function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Refused'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export class WebListener {
  private readonly server: http.Server | https.Server;
  private readonly wss: WebSocketServer;
  private listening = false;
  private stopped = false;
  private current: string | undefined;
  /** Every open WebSocket, for close(). */
  private readonly sockets = new Set<WebSocket>();
  /**
   * Every socket of this port, an HTTP one too, held to the caps of
   * admission: idle or unfinished requests cannot hold more of the
   * server than WebSockets may. (Sessions are counted by `admission`.)
   */
  private readonly socketGate: Admission;
  // One listener each for every socket or WebSocket of this port (no closure per connection).
  private readonly socketReleased: (this: net.Socket) => void;
  private readonly socketError: (this: Duplex, err: Error) => void;
  private readonly wsError: (this: WebSocket, err: Error) => void;
  private readonly wsClosed: (this: WebSocket) => void;

  constructor(
    private readonly options: WebOptions,
    private readonly files: WebFiles,
    private readonly admission: Admission,
    private readonly log: Logger,
    private readonly onConnection: ConnectionHandler,
    private readonly tlsFiles?: TlsFiles,
  ) {
    this.socketGate = new Admission(admission.current);
    const { socketGate, sockets } = this;
    // The address was read at connect, so the socket still knows it once closed.
    this.socketReleased = function (this: net.Socket) {
      socketGate.release(this.remoteAddress ?? 'unknown');
    };
    this.socketError = function (this: Duplex, err: Error) {
      log.debug('socket-error', { address: (this as net.Socket).remoteAddress ?? 'unknown', error: err.message });
    };
    this.wsError = function (this: WebSocket, err: Error) {
      const connection = connectionOf(this)!;
      log.debug('websocket-error', { address: connection.remoteAddress, error: err.message });
      connection.failed(err);
    };
    this.wsClosed = function (this: WebSocket) {
      const connection = connectionOf(this)!;
      sockets.delete(this);
      admission.release(connection.remoteAddress);
      connection.closed();
    };
    const serverOptions = {
      requestTimeout: options.requestTimeoutMs,
      headersTimeout: options.requestTimeoutMs,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: REQUEST_CHECK_MS,
    };
    if (tlsFiles === undefined) this.server = http.createServer(serverOptions);
    else {
      const pair = readKeyPair(tlsFiles);
      this.current = pair.fingerprint;
      this.server = https.createServer({ ...serverOptions, cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' });
      this.server.on('tlsClientError', (err, socket) => {
        log.debug('tls-handshake-failed', { address: socket.remoteAddress, error: err.message });
        socket.destroy();
      });
    }
    // perMessageDeflate off: a compression bomb is no way past the size limit, and every frame costs one copy.
    // autoPong off: WsConnection answers pings itself, and not while its earlier output is unread.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes, perMessageDeflate: false, clientTracking: false, autoPong: false });
    this.server.on('connection', (socket: net.Socket) => this.gate(socket));
    this.server.on('request', (req, res) => this.serveFile(req, res));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.server.on('error', (err) => {
      if (this.listening) log.error('server-error', { error: err.message });
    });
  }

  get secure(): boolean {
    return this.tlsFiles !== undefined;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  /** The SHA-256 fingerprint of the certificate (HTTPS). */
  get fingerprint(): string | undefined {
    return this.current;
  }

  async listen(): Promise<void> {
    await listenOn(this.server, this.options.host, this.options.port);
    this.listening = true;
  }

  /** Stops accepting; open WebSockets end with their sessions. Resolves once the server is closed. */
  close(): Promise<void> {
    this.stopped = true;
    if (!this.listening) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // Sessions end their sockets at shutdown; any left after the linger go now.
      setTimeout(() => {
        for (const ws of this.sockets) ws.terminate();
        this.server.closeAllConnections();
      }, REFUSAL_LINGER_MS * 3).unref();
    });
  }

  /** Reads the certificate and key again (HTTPS); on a bad file logs why and keeps the old pair. */
  reload(): boolean {
    if (this.tlsFiles === undefined) return false;
    let pair: ReturnType<typeof readKeyPair>;
    try {
      pair = readKeyPair(this.tlsFiles);
    } catch (err) {
      this.log.error('tls-reload-failed', { error: (err as Error).message, keeping: this.current, listener: 'web' });
      return false;
    }
    (this.server as https.Server).setSecureContext({ cert: pair.cert, key: pair.key });
    this.log.info('tls-reloaded', { fingerprint: pair.fingerprint, previous: this.current, listener: 'web' });
    this.current = pair.fingerprint;
    return true;
  }

  /** Admits a socket to this port, or cuts it off at once. */
  private gate(socket: net.Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    this.socketGate.update(this.admission.current);
    const refusal = this.socketGate.admit(address);
    if (refusal !== undefined) {
      this.log.warn('connection-refused', { address, reason: refusal, listener: 'web' });
      socket.destroy();
      return;
    }
    socket.on('close', this.socketReleased);
  }

  private serveFile(req: http.IncomingMessage, res: http.ServerResponse): void {
    const headers = securityHeaders(req.headers.host);
    const answer = (status: number, body: string, extra: Record<string, string> = {}): void => {
      res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra });
      res.end(req.method === 'HEAD' ? undefined : `${body}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405, 'only GET and HEAD', { allow: 'GET, HEAD' });
    const wanted = requestPath(req.url);
    if (wanted === WS_PATH) return answer(426, 'this is the WebSocket endpoint: open it with a WebSocket', { upgrade: 'websocket' });
    const file = wanted === undefined ? undefined : this.files.get(wanted);
    if (file === undefined) {
      if (this.files.size === 0) return answer(503, 'the web page is not built here: run npm run build');
      return answer(404, 'not found');
    }
    // Small files, asked for again on every load: the validator makes that a 304 without the body.
    const common = { ...headers, 'content-type': file.type, etag: file.etag, 'cache-control': 'no-cache' };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, common);
      res.end();
      return;
    }
    res.writeHead(200, { ...common, 'content-length': String(file.body.length) });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const address = req.socket.remoteAddress ?? 'unknown';
    socket.on('error', this.socketError);
    if (this.stopped) {
      socket.destroy();
      return;
    }
    if (requestPath(req.url) !== WS_PATH) return refuseUpgrade(socket, 404, `the WebSocket endpoint is ${WS_PATH}`);
    const origin = req.headers.origin;
    if (!originAllowed(origin, req.headers.host, this.secure, this.options.origins)) {
      this.log.warn('web-origin-refused', { address, origin: String(origin).slice(0, 200) });
      return refuseUpgrade(socket, 403, 'this page may not open the chat: its origin is not allowed here (--web-origin)');
    }
    // A handshake ws refuses (no key, a bad version) never calls back: admission counts from here.
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // Made before admission so that errors of a refused WebSocket are logged with its address too; only an admitted one gets a session.
      const connection = new WsConnection(ws, socket, address, this.secure);
      ws.on('error', this.wsError);
      const refusal = this.admission.admit(address);
      if (refusal !== undefined) {
        this.log.warn('connection-refused', { address, reason: refusal });
        ws.send(encodeError('SERVER_FULL', refusal).slice(0, -1));
        ws.close(TRY_AGAIN_LATER, 'server full');
        setTimeout(() => ws.terminate(), REFUSAL_LINGER_MS).unref();
        return;
      }
      if (this.stopped) {
        this.admission.release(address);
        ws.terminate();
        return;
      }
      this.sockets.add(ws);
      ws.on('close', this.wsClosed);
      this.onConnection(connection);
    });
  }
}
