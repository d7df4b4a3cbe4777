import type { RedisClient } from '../redis-connections.js';
import type { Bus, BusEvent } from './bus.js';

// Redis pub/sub bus. One channel per room, subscribed only by nodes that have
// members in that room, so a node receives only traffic it will deliver; one
// channel per node for lines addressed to a user it holds; one channel for
// lines to everyone. Publishes are queued and sent at the turn's flush, on
// the same connection as the store's commit and after it, so no node relays
// a message before it is stored.

/**
 * Channel names. Pub/sub ignores Redis's logical databases, so the names
 * carry the database number: clusters on /1 and /2 of one server stay apart.
 */
export function busChannels(database = 0) {
  const prefix = `chat:${database}:`;
  return {
    room: (roomKey: string) => `${prefix}room:${roomKey}`,
    node: (nodeId: string) => `${prefix}node:${nodeId}`,
    everyone: `${prefix}everyone`,
  };
}

/** The database number of a redis:// URL (`/3` → 3; none → 0). */
export function databaseOf(url: string): number {
  const n = Number(new URL(url).pathname.slice(1) || '0');
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

// NUL cannot occur in a line: it is stripped from messages and refused in names.
const SEP = '\u0000';

export function encodeEnvelope(node: string, event: BusEvent): string {
  switch (event.kind) {
    case 'room':
      return `${node}${SEP}room${SEP}${event.roomKey}${SEP}${event.line}`;
    case 'user':
      return `${node}${SEP}user${SEP}${event.node}:${event.userKey}${SEP}${event.line}`;
    case 'everyone':
      return `${node}${SEP}everyone${SEP}${SEP}${event.line}`;
    case 'control':
      return `${node}${SEP}control${SEP}${SEP}${event.line}`;
  }
}

export function decodeEnvelope(payload: string): { node: string; event: BusEvent } | undefined {
  const a = payload.indexOf(SEP);
  const b = payload.indexOf(SEP, a + 1);
  const c = payload.indexOf(SEP, b + 1);
  if (a < 0 || b < 0 || c < 0) return undefined;
  const node = payload.slice(0, a);
  const kind = payload.slice(a + 1, b);
  const target = payload.slice(b + 1, c);
  const line = payload.slice(c + 1);
  switch (kind) {
    case 'room':
      return { node, event: { kind, roomKey: target, line } };
    case 'user': {
      const colon = target.indexOf(':');
      return { node, event: { kind, node: target.slice(0, colon), userKey: target.slice(colon + 1), line } };
    }
    case 'everyone':
      return { node, event: { kind, line } };
    case 'control':
      return { node, event: { kind, line } };
    default:
      return undefined;
  }
}

export class RedisBus implements Bus {
  readonly shared = true;
  private handler: ((event: BusEvent) => void) | undefined;
  /** This turn's events in order; consecutive lines for one channel and target share an entry. */
  private queue: Array<{ key: string | undefined; channel: string; event: BusEvent; lines: string[] }> = [];
  private readonly rooms = new Set<string>();
  private readonly channels: ReturnType<typeof busChannels>;

  /**
   * `publisher` is the connection the store commits on; `subscriber` a
   * connection of its own (a subscribed connection can do nothing else).
   */
  constructor(
    readonly nodeId: string,
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly onError: (err: unknown) => void,
    database = 0,
  ) {
    this.channels = busChannels(database);
  }

  /** Subscribes the node's own and the everyone channel. */
  async start(): Promise<void> {
    const listener = (message: string): void => this.receive(message);
    await this.subscriber.subscribe([this.channels.node(this.nodeId), this.channels.everyone], listener);
  }

  /**
   * Consecutive lines for one room (or one user) within a turn go out as one
   * message: in a busy room one PUBLISH per turn, however many lines, and
   * the receiving node appends them to its room batch as they are. Only
   * consecutive ones, so every line keeps its place in the publisher's order.
   */
  publish(event: BusEvent): void {
    if (event.kind === 'control') {
      this.queue.push({ key: undefined, channel: this.channels.everyone, event, lines: [] });
      return;
    }
    const channel =
      event.kind === 'room'
        ? this.channels.room(event.roomKey)
        : event.kind === 'user'
          ? this.channels.node(event.node)
          : this.channels.everyone;
    const key = event.kind === 'user' ? `${channel}\u0000${event.userKey}` : channel;
    const last = this.queue[this.queue.length - 1];
    if (last !== undefined && last.key === key) last.lines.push(event.line);
    else this.queue.push({ key, channel, event, lines: [event.line] });
  }

  flush(): void {
    if (this.queue.length === 0) return;
    const queue = this.queue;
    this.queue = [];
    for (const { channel, event, lines } of queue) {
      const line = event.kind === 'control' ? event.line : lines.length === 1 ? lines[0]! : lines.join('');
      this.publisher.publish(channel, encodeEnvelope(this.nodeId, { ...event, line })).catch(this.onError);
    }
  }

  subscribe(handler: (event: BusEvent) => void): void {
    this.handler = handler;
  }

  watchRoom(roomKey: string): void {
    if (this.rooms.has(roomKey)) return;
    this.rooms.add(roomKey);
    this.subscriber.subscribe(this.channels.room(roomKey), (message) => this.receive(message)).catch(this.onError);
  }

  unwatchRoom(roomKey: string): void {
    if (!this.rooms.delete(roomKey)) return;
    // While disconnected the client would queue this (and make close() wait for it);
    // a stale subscription only brings lines this node ignores.
    if (this.subscriber.isReady) this.subscriber.unsubscribe(this.channels.room(roomKey)).catch(this.onError);
  }

  private receive(message: string): void {
    const envelope = decodeEnvelope(message);
    if (envelope !== undefined && envelope.node !== this.nodeId) this.handler?.(envelope.event);
  }

  async close(): Promise<void> {
    this.flush();
  }
}
