import type { Bus, BusEvent } from './bus/bus.js';
import { decodeEvents, encodeEvents, type AudienceCodec, type RoomEvent, type UserEvent } from './events.js';
import type { Broadcaster } from './output-turn.js';
import type { Audience, Presence, Room } from './presence.js';
import type { Session } from './session.js';

/**
 * Fan-out. Each room event is encoded once per kind of audience in the
 * room, and that Buffer goes to every local member of the kind through the
 * output turn's shared batch; other nodes get the event on the bus and
 * encode it for their own members.
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

  /**
   * Returns the Buffers its members got, for a pledge. `except` is a member
   * that must not get it (an IRC sender that did not ask for its echo).
   */
  toRoom(room: Room<Session>, event: RoomEvent, except?: Session): Buffer[] {
    const buffers = this.toLocalRoom(room, event, except);
    if (this.bus.shared) this.bus.publish({ kind: 'room', roomKey: room.key, line: encodeEvents([event]) });
    return buffers;
  }

  /** To a room by key, whether or not it has members on this node. */
  toRoomKey(roomKey: string, event: RoomEvent): void {
    const room = this.presence.room(roomKey);
    if (room !== undefined) this.toLocalRoom(room, event);
    if (this.bus.shared) this.bus.publish({ kind: 'room', roomKey, line: encodeEvents([event]) });
  }

  private toLocalRoom(room: Room<Session>, event: RoomEvent, except?: Session): Buffer[] {
    const buffers: Buffer[] = [];
    for (const audience of room.audiences.values()) {
      const buffer = (audience.kind as AudienceCodec).room(event, room);
      if (buffer === undefined) continue;
      buffers.push(buffer);
      this.turn.broadcast(audience, buffer, except !== undefined && audience.members.has(except) ? except : undefined);
    }
    return buffers;
  }

  /** A member entered a room: a big room's open batch takes them on from here (before the join notice). */
  joined(audience: Audience<Session>, session: Session): void {
    this.turn.memberJoined(audience, session);
  }

  /** A member left a room: a big room's open batch lets them go here (before the leave notice). */
  left(audience: Audience<Session>, session: Session): void {
    this.turn.memberLeft(audience, session);
  }

  /** Room traffic from other nodes is needed here while the room has local members. */
  watchRoom(roomKey: string): void {
    this.bus.watchRoom(roomKey);
  }

  unwatchRoom(roomKey: string): void {
    this.bus.unwatchRoom(roomKey);
  }

  /** Sends to a user on the node that holds them; returns the Buffer queued here, if it was. */
  toUser(node: string, userKey: string, event: UserEvent): Buffer | undefined {
    if (node === this.bus.nodeId) return this.toLocalUser(userKey, event);
    this.bus.publish({ kind: 'user', node, userKey, line: encodeEvents([event]) });
    return undefined;
  }

  /** Sends to a user on this node; returns the Buffer queued, undefined when the user is not connected here. */
  toLocalUser(userKey: string, event: UserEvent): Buffer | undefined {
    const session = this.presence.user(userKey);
    if (session === undefined) return undefined;
    const line = session.dialect.user(event);
    // Still delivered: the user is here, only its protocol has no words for this event.
    if (line === '') return Buffer.alloc(0);
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

  /** A notice to every session on this node alone (its shutdown notice: the other nodes go on). */
  toThisNode(text: string): void {
    for (const session of this.sessions) session.sendNotice(text);
  }

  private deliverLocal(event: BusEvent): void {
    switch (event.kind) {
      case 'room': {
        const room = this.presence.room(event.roomKey);
        if (room === undefined) break;
        for (const e of decodeEvents<RoomEvent>(event.line)) this.toLocalRoom(room, e);
        break;
      }
      case 'user':
        if (event.node !== this.bus.nodeId) break;
        for (const e of decodeEvents<UserEvent>(event.line)) this.toLocalUser(event.userKey, e);
        break;
      case 'everyone':
        for (const e of decodeEvents<UserEvent>(event.line)) if (e.kind === 'notice') this.toThisNode(e.text);
        break;
      case 'control':
        this.controlListener?.(event.line);
        break;
    }
  }
}
