import net from 'node:net';
import type { Admission } from '../admission.js';
import type { Logger } from '../log.js';
import type { ConnectionHandler } from './connection.js';
import { SocketListener, type ListenOptions } from './socket-listener.js';

// The plain TCP transport: what nc, telnet and the earlier client use.

export class TcpTransport extends SocketListener {
  constructor(options: ListenOptions, admission: Admission, log: Logger, onConnection: ConnectionHandler) {
    super(net.createServer({ noDelay: true, allowHalfOpen: true }), 'connection', options, admission, log, onConnection, false);
  }
}
