// Cross-node fan-out. Each node delivers to its own sessions directly and
// publishes the event (events.ts: one JSON text per line) for the other
// nodes, which encode it for their own sessions' protocols. Every
// envelope carries the sending node's id; a node ignores its own. A bus may
// join the lines of one turn for one target into one event, so `line` is one
// or more whole lines, in order.

export type BusEvent =
  /** A line for every session in a room. */
  | { kind: 'room'; roomKey: string; line: string }
  /** A line for one user, on the node that holds them. */
  | { kind: 'user'; node: string; userKey: string; line: string }
  /** A line for every session on every node. */
  | { kind: 'everyone'; line: string }
  /** A command for every node (moderation): one JSON text, opaque to the bus and never joined with another. */
  | { kind: 'control'; line: string };

export interface Envelope {
  node: string;
  event: BusEvent;
}

export interface Bus {
  readonly nodeId: string;
  /** Whether other nodes can be listening: false lets a single node skip publishing. */
  readonly shared: boolean;
  /** Queues an event for the other nodes; sent at flush(). */
  publish(event: BusEvent): void;
  /** Sends what was published this turn (after the store's commit). */
  flush(): void;
  /** Registers the handler for events published by other nodes. */
  subscribe(handler: (event: BusEvent) => void): void;
  /** This node has members in the room now / no longer: room traffic is (no longer) needed here. */
  watchRoom(roomKey: string): void;
  unwatchRoom(roomKey: string): void;
  close(): Promise<void>;
}
