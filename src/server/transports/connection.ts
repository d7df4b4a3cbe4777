// The transport seam: a connection that carries bytes. Sessions, dispatch
// and handlers see only this; TCP (and later TLS, WebSocket, IRC) modules
// implement it and are the only ones that touch sockets.

export interface Connection {
  /** The peer's address, for admission, throttles and logs. */
  readonly remoteAddress: string;
  /** Whether the bytes travel encrypted (TLS): passwords may then come from anywhere. */
  readonly secure: boolean;
  /** Bytes handed to write() that the peer has not taken yet. */
  readonly pendingBytes: number;
  /** Closed or destroyed: writes go nowhere. */
  readonly destroyed: boolean;
  readonly paused: boolean;
  /** Queues the buffers, in order, as one write. */
  write(chunks: readonly Buffer[]): void;
  /** Ends after what was written; a peer that never closes its side is cut off shortly after. */
  end(): void;
  /** Closes at once, discarding what is queued. */
  destroy(): void;
  /** Stops reading (backpressure on a client that sends faster than it is answered). */
  pause(): void;
  resume(): void;
  /** Where this connection's bytes and events go from now on (once, by the session layer). */
  attach(events: ConnectionEvents): void;
  /** 'drain': queued output was taken; 'close': gone (after `events.closed`). */
  on(event: 'drain' | 'close', listener: () => void): this;
  off(event: 'drain' | 'close', listener: () => void): this;
}

/**
 * What a connection tells its session, as one object: a connection then
 * costs no listener closure per event (10,000 idle ones add up).
 */
export interface ConnectionEvents {
  receive(chunk: Buffer): void;
  /** Input this transport could not take as frames (a WebSocket message with a line break, a binary one): refused as a whole. */
  malformed(reason: string): void;
  /** The peer closed its side. */
  peerEnded(): void;
  failed(err: Error): void;
  /** Gone; nothing more comes. */
  closed(): void;
}

/** What a transport hands to the session layer. */
export type ConnectionHandler = (connection: Connection) => void;
