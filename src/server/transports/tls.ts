import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';
import type { Admission } from '../admission.js';
import type { Logger } from '../log.js';
import type { ConnectionHandler } from './connection.js';
import { SocketListener, type ListenOptions } from './socket-listener.js';

// The TLS transport: the same protocol inside TLS 1.2 or newer. The
// certificate and key are read at start and again on reload(): new
// connections get the new pair, connections already open keep theirs.

/** A peer that opens a connection and never finishes the handshake is cut off after this. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** A certificate and its key, read and checked; throws with a one-line reason naming the file. */
export function readKeyPair(files: TlsFiles): { cert: Buffer; key: Buffer; fingerprint: string } {
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const cert = read(files.certFile, 'certificate');
  const key = read(files.keyFile, 'key');
  let fingerprint: string;
  try {
    fingerprint = new X509Certificate(cert).fingerprint256;
  } catch {
    throw new Error(`${files.certFile} is not a PEM certificate`);
  }
  try {
    // Refuses a key that is not PEM or does not belong to the certificate.
    tls.createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`the TLS key ${files.keyFile} does not fit ${files.certFile} (${(err as Error).message})`);
  }
  return { cert, key, fingerprint };
}

export class TlsTransport extends SocketListener {
  private current: string;

  constructor(
    private readonly files: TlsFiles,
    options: ListenOptions,
    admission: Admission,
    log: Logger,
    onConnection: ConnectionHandler,
  ) {
    const pair = readKeyPair(files);
    const server = tls.createServer({
      cert: pair.cert,
      key: pair.key,
      minVersion: 'TLSv1.2',
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      noDelay: true,
      allowHalfOpen: true,
    });
    super(server, 'secureConnection', options, admission, log, onConnection, true);
    this.current = pair.fingerprint;
    // A failed handshake (a plain-text client on the TLS port, an old TLS version) is the peer's problem.
    server.on('tlsClientError', (err, socket) => {
      log.debug('tls-handshake-failed', { address: socket.remoteAddress, error: err.message });
      // With a listener here Node leaves the socket open: it would hold a file and keep close() waiting.
      socket.destroy();
    });
    this.tlsServer = server;
    this.reloadLog = log;
    // Sockets still in their handshake belong to no session: close() has to end them itself.
    server.on('connection', (raw: net.Socket) => {
      this.handshaking.add(raw);
      raw.once('close', () => this.handshaking.delete(raw));
    });
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      // The same peer port and address: the TCP socket under this TLS one (the set holds only handshakes).
      for (const raw of this.handshaking) {
        if (raw.remotePort === socket.remotePort && raw.remoteAddress === socket.remoteAddress) {
          this.handshaking.delete(raw);
          break;
        }
      }
    });
  }

  private readonly handshaking = new Set<net.Socket>();

  /** Stops accepting, and ends the handshakes still under way (a peer gone mid-handshake would hold close() for the handshake timeout). */
  override close(): Promise<void> {
    const closed = super.close();
    for (const raw of this.handshaking) raw.destroy();
    this.handshaking.clear();
    return closed;
  }

  private readonly tlsServer: tls.Server;
  private readonly reloadLog: Logger;

  /** The SHA-256 fingerprint of the certificate new connections get. */
  get fingerprint(): string {
    return this.current;
  }

  /** Reads the certificate and key again; on a bad file logs why and keeps the old pair. True when reloaded. */
  reload(): boolean {
    let pair: ReturnType<typeof readKeyPair>;
    try {
      pair = readKeyPair(this.files);
    } catch (err) {
      this.reloadLog.error('tls-reload-failed', { error: (err as Error).message, keeping: this.current });
      return false;
    }
    this.tlsServer.setSecureContext({ cert: pair.cert, key: pair.key });
    this.reloadLog.info('tls-reloaded', { fingerprint: pair.fingerprint, previous: this.current });
    this.current = pair.fingerprint;
    return true;
  }
}
