import type net from 'node:net';
import { encodeError } from '../../protocol/index.js';
import type { Admission } from '../admission.js';
import type { Logger } from '../log.js';
import type { Connection, ConnectionEvents, ConnectionHandler } from './connection.js';

// What the TCP and TLS transports share: a socket as a Connection, and a
// listener that admits or refuses each socket (SERVER_FULL), sets keepalive
// and an error handler on it, and hands the admitted ones on.

/** The kernel caps this at net.core.somaxconn (4096 on current Linux). */
const LISTEN_BACKLOG = 4096;
/** A peer that does not close its side after end() is cut off after this. */
const END_LINGER_MS = 2000;
/** A refused peer gets this long to read why. */
const REFUSAL_LINGER_MS = 1000;

/** The SocketConnection of an admitted socket, for listeners shared by every socket. */
const OWNER = Symbol('connection');
type OwnedSocket = net.Socket & { [OWNER]?: SocketConnection };

// One function per event for every socket, finding the session through the
// socket: no closure per connection.
function onData(this: OwnedSocket, chunk: Buffer): void {
  this[OWNER]?.events?.receive(chunk);
}
function onEnd(this: OwnedSocket): void {
  this[OWNER]?.events?.peerEnded();
}

/** A net.Socket (plain or TLS) as the session layer sees it. */
export class SocketConnection implements Connection {
  /** Set by attach(). */
  events: ConnectionEvents | undefined;

  constructor(
    private readonly socket: OwnedSocket,
    readonly remoteAddress: string,
    readonly secure: boolean,
  ) {
    socket[OWNER] = this;
  }

  attach(events: ConnectionEvents): void {
    this.events = events;
    this.socket.on('end', onEnd);
    // Last: a 'data' listener starts the flow.
    this.socket.on('data', onData);
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  get paused(): boolean {
    return this.socket.isPaused();
  }

  write(chunks: readonly Buffer[]): void {
    this.socket.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  }

  end(): void {
    this.socket.end();
    setTimeout(() => this.socket.destroy(), END_LINGER_MS).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  on(event: 'drain' | 'close', listener: () => void): this {
    this.socket.on(event, listener);
    return this;
  }

  off(event: 'drain' | 'close', listener: () => void): this {
    this.socket.off(event, listener);
    return this;
  }
}

export interface ListenOptions {
  host: string;
  port: number;
  keepAliveMs: number;
  /** The last line to a connection refused at admission, in the listener's protocol (the line protocol's ERROR by default). */
  refusalLine?: (reason: string) => string;
}

/**
 * Listens on host:port, resolving once listening (rejecting on a bind
 * error). A deep accept queue: a burst of logins must not lose handshakes
 * (and cost each client a SYN retry) before the event loop accepts them.
 */
export function listenOn(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** A listening net.Server (or tls.Server) whose sockets go through admission. */
export class SocketListener {
  private listening = false;
  private stopped = false;
  /** One listener for every socket (no closure per connection): logged, and its session told. */
  private readonly socketError: (this: OwnedSocket, err: Error) => void;
  /** One listener for every admitted socket: its place is given back, then its session told. */
  private readonly released: (this: OwnedSocket) => void;

  constructor(
    private readonly server: net.Server,
    /** Which event brings a ready socket: 'connection', or 'secureConnection' after a TLS handshake. */
    event: 'connection' | 'secureConnection',
    private readonly options: ListenOptions,
    private readonly admission: Admission,
    private readonly log: Logger,
    private readonly onConnection: ConnectionHandler,
    private readonly secure: boolean,
  ) {
    this.socketError = function (this: OwnedSocket, err: Error) {
      log.debug('socket-error', { address: this.remoteAddress ?? 'unknown', error: err.message });
      this[OWNER]?.events?.failed(err);
    };
    this.released = function (this: OwnedSocket) {
      admission.release(this.remoteAddress ?? 'unknown');
      this[OWNER]?.events?.closed();
    };
    server.on(event, (socket: net.Socket) => this.accept(socket));
    // Until it listens, listen() reports errors (a port in use) to the caller, once.
    server.on('error', (err) => {
      if (this.listening) log.error('server-error', { error: err.message });
    });
  }

  get host(): string {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.address : this.options.host;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.port;
  }

  async listen(): Promise<void> {
    await listenOn(this.server, this.options.host, this.options.port);
    this.listening = true;
  }

  /** Stops accepting (connections arriving now are closed); resolves once the listener is closed. */
  close(): Promise<void> {
    this.stopped = true;
    if (!this.listening) return Promise.resolve();
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    socket.on('error', this.socketError);
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const refusal = this.admission.admit(address);
    if (refusal !== undefined) {
      this.log.warn('connection-refused', { address, reason: refusal });
      socket.end(this.options.refusalLine?.(refusal) ?? encodeError('SERVER_FULL', refusal));
      setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
      return;
    }
    socket.on('close', this.released);
    socket.setKeepAlive(true, this.options.keepAliveMs);
    this.onConnection(new SocketConnection(socket, address, this.secure));
  }
}
