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
  /** Queues the buffers, in order, as one write; `onWritten` once they reach the kernel. */
  write(chunks: readonly Buffer[], onWritten?: () => void): void;
  /** Ends after what was written; a peer that never closes its side is cut off shortly after. */
  end(): void;
  /** Closes at once, discarding what is queued. */
  destroy(): void;
  /** Stops reading (backpressure on a client that sends faster than it is answered). */
  pause(): void;
  resume(): void;
  on(event: 'data', listener: (chunk: Buffer) => void): this;
  /** 'end': the peer closed its side; 'drain': queued output was taken; 'close': gone. */
  on(event: 'end' | 'drain' | 'close', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  off(event: 'drain' | 'close', listener: () => void): this;
}

/** What a transport hands to the session layer. */
export type ConnectionHandler = (connection: Connection) => void;
