import type { Bus, BusEvent } from './bus/bus.js';
import type { Broadcaster } from './output-turn.js';
import type { Presence, Room } from './presence.js';
import type { Session } from './session.js';

/**
 * Fan-out. Each outgoing line is encoded to one Buffer and that same Buffer
 * goes to every local recipient (a room's through the output turn's shared
 * batch); other nodes get the line on the bus.
 */
export class Relay {
  private controlListener: ((body: string) => void) | undefined;

  constructor(
    private readonly presence: Presence<Session>,
    private readonly sessions: ReadonlySet<Session>,
    private readonly turn: Broadcaster,
    private readonly bus: Bus,
  ) {
    bus.subscribe((event) => this.deliverLocal(event));
  }

  /** Returns the Buffer its members got, for a pledge. */
  toRoom(room: Room<Session>, line: string): Buffer {
    const buffer = Buffer.from(line);
    this.turn.broadcast(room, buffer);
    if (this.bus.shared) this.bus.publish({ kind: 'room', roomKey: room.key, line });
    return buffer;
  }

  /** To a room by key, whether or not it has members on this node. */
  toRoomKey(roomKey: string, line: string): void {
    const room = this.presence.room(roomKey);
    if (room !== undefined) this.turn.broadcast(room, Buffer.from(line));
    if (this.bus.shared) this.bus.publish({ kind: 'room', roomKey, line });
  }

  /** A member entered a room: a big room's open batch takes them on from here (before the join notice). */
  joined(room: Room<Session>, session: Session): void {
    this.turn.memberJoined(room, session);
  }

  /** A member left a room: a big room's open batch lets them go here (before the leave notice). */
  left(room: Room<Session>, session: Session): void {
    this.turn.memberLeft(room, session);
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

  /** A command for every other node (this node carries it out itself). */
  toOtherNodes(body: string): void {
    if (this.bus.shared) this.bus.publish({ kind: 'control', line: body });
  }

  /** Where commands from other nodes go. */
  onControl(listener: (body: string) => void): void {
    this.controlListener = listener;
  }

  /** Every session on this node alone (its shutdown notice: the other nodes go on). */
  toThisNode(line: string): void {
    const buffer = Buffer.from(line);
    for (const session of this.sessions) session.send(buffer);
  }

  private deliverLocal(event: BusEvent): void {
    switch (event.kind) {
      case 'room': {
        const room = this.presence.room(event.roomKey);
        if (room !== undefined) this.turn.broadcast(room, Buffer.from(event.line));
        break;
      }
      case 'user':
        if (event.node === this.bus.nodeId) this.toLocalUser(event.userKey, event.line);
        break;
      case 'everyone':
        this.toThisNode(event.line);
        break;
      case 'control':
        this.controlListener?.(event.line);
        break;
    }
  }
}
