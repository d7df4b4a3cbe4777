import type { Bus, BusEvent } from './bus/bus.js';
import type { Presence, Room } from './presence.js';
import { RoomBatch } from './room-batch.js';
import type { Session } from './session.js';

/**
 * Fan-out. Each outgoing line is encoded to one Buffer and that same Buffer
 * is handed to every local recipient; other nodes get the line on the bus.
 */
export class Relay {
  constructor(
    private readonly presence: Presence,
    private readonly sessions: ReadonlySet<Session>,
    private readonly bus: Bus,
  ) {
    bus.subscribe((event) => this.deliverLocal(event));
  }

  /** Returns the Buffer its members got, for a pledge. */
  toRoom(room: Room, line: string): Buffer {
    const buffer = Buffer.from(line);
    broadcast(room, buffer);
    if (this.bus.shared) this.bus.publish({ kind: 'room', roomKey: room.key, line });
    return buffer;
  }

  /** To a room by key, whether or not it has members on this node. */
  toRoomKey(roomKey: string, line: string): void {
    const room = this.presence.room(roomKey);
    if (room !== undefined) broadcast(room, Buffer.from(line));
    if (this.bus.shared) this.bus.publish({ kind: 'room', roomKey, line });
  }

  /** Room traffic from other nodes is needed here while the room has local members. */
  watchRoom(roomKey: string): void {
    this.bus.watchRoom(roomKey);
  }

  unwatchRoom(roomKey: string): void {
    this.bus.unwatchRoom(roomKey);
  }

  /** Sends to a user on the node that holds them; returns the Buffer queued here, if it was. */
  toUser(node: string, userKey: string, line: string): Buffer | undefined {
    if (node === this.bus.nodeId) return this.toLocalUser(userKey, line);
    this.bus.publish({ kind: 'user', node, userKey, line });
    return undefined;
  }

  /** Sends to a user on this node; returns the Buffer queued, undefined when the user is not connected here. */
  toLocalUser(userKey: string, line: string): Buffer | undefined {
    const session = this.presence.user(userKey);
    if (session === undefined) return undefined;
    const buffer = Buffer.from(line);
    session.send(buffer);
    return buffer;
  }

  /** Every session on every node, logged in or not. */
  toEveryone(line: string): void {
    this.toThisNode(line);
    if (this.bus.shared) this.bus.publish({ kind: 'everyone', line });
  }

  /** Every session on this node alone (its shutdown notice: the other nodes go on). */
  toThisNode(line: string): void {
    deliver(this.sessions, Buffer.from(line));
  }

  private deliverLocal(event: BusEvent): void {
    switch (event.kind) {
      case 'room': {
        const room = this.presence.room(event.roomKey);
        if (room !== undefined) broadcast(room, Buffer.from(event.line));
        break;
      }
      case 'user':
        if (event.node === this.bus.nodeId) this.toLocalUser(event.userKey, event.line);
        break;
      case 'everyone':
        deliver(this.sessions, Buffer.from(event.line));
        break;
    }
  }
}

/** Appends the line to the room's open batch, opening one (held by every member) when needed. */
function broadcast(room: Room, line: Buffer): void {
  let batch = room.batch;
  if (batch === undefined || batch.closed) {
    batch = new RoomBatch();
    room.batch = batch;
    for (const session of room.members) session.sendBatch(batch);
  }
  batch.append(line);
}

function deliver(sessions: Iterable<Session>, data: Buffer): void {
  for (const session of sessions) session.send(data);
}
