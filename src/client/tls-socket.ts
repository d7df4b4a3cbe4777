import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { SocketLike } from './connection.js';

// The client's TLS: a socket factory for Connection that verifies the
// server's certificate against the host name it was asked to reach, and
// says 'connect' only once the handshake (and so the check) is done.

export interface TlsSettings {
  /** A PEM file of a CA to trust besides the system's. */
  caFile?: string | undefined;
  /** Skip the certificate check (testing only). */
  insecure?: boolean;
}

/** Reads the CA file up front, so a wrong path is a clear error before any connection. */
export function tlsSocketFactory(settings: TlsSettings): (host: string, port: number) => SocketLike {
  const ca = settings.caFile === undefined ? undefined : [...tls.rootCertificates, readFileSync(settings.caFile, 'utf8')];
  return (host, port) => {
    const socket = tls.connect({
      host,
      port,
      // A name to check the certificate against (SNI is for names, not addresses).
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
      ...(ca !== undefined ? { ca } : {}),
      rejectUnauthorized: settings.insecure !== true,
      minVersion: 'TLSv1.2',
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 15_000);
    return new SecureSocket(socket);
  };
}

/** A TLS socket whose 'connect' is the end of the handshake. */
class SecureSocket implements SocketLike {
  constructor(private readonly socket: tls.TLSSocket) {}

  write(data: string): boolean {
    return this.socket.write(data);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  on(event: 'connect' | 'data' | 'error' | 'close', listener: (...args: never[]) => void): this {
    this.socket.on(event === 'connect' ? 'secureConnect' : event, listener as (...args: unknown[]) => void);
    return this;
  }
}
