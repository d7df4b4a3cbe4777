import { nameSkeleton } from '../protocol/index.js';
import { sortNames, sortRooms, type RoomCount } from './sorting.js';

// Who is online on this node and where: names (by comparison key) and rooms
// as sets of members. A room exists while it has members. Generic over the
// member (a session), so this module depends on nothing above it.

/** What presence reads of a member. */
export interface Member {
  readonly name: string | undefined;
  /**
   * How room lines are encoded for it (the line protocol, IRC with or
   * without tags): members sharing one get the same Buffers.
   */
  readonly audience: object;
}

/** The members of a room that take one encoding of its lines: the output turn's shared batches follow it. */
export interface Audience<M extends Member = Member> {
  readonly kind: object;
  readonly members: Set<M>;
  /** Moves on at every change of these members. */
  epoch: number;
}

export interface Room<M extends Member = Member> {
  readonly key: string;
  /** The spelling of whoever opened the room. */
  readonly name: string;
  readonly members: Set<M>;
  /** The members by encoding; most rooms have one. */
  readonly audiences: Map<object, Audience<M>>;
  /** The members' names, sorted, until the membership changes. */
  names: readonly string[] | undefined;
}

export { LOBBY } from '../protocol/frames.js';

export class Presence<M extends Member = Member> {
  private readonly users = new Map<string, M>();
  /** What each online name looks like: skeleton → the first name online with it; and each key's skeleton. */
  private readonly lookalikes = new Map<string, { key: string; name: string }>();
  private readonly skeletonOf = new Map<string, string>();
  private readonly rooms = new Map<string, Room<M>>();
  /** The sorted room list, until a room's membership changes. */
  private listing: RoomCount[] | undefined;

  get userCount(): number {
    return this.users.size;
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  user(key: string): M | undefined {
    return this.users.get(key);
  }

  /** Claims a name for a member; false when someone already holds it. */
  claim(member: M, key: string, name: string): boolean {
    if (this.users.has(key)) return false;
    this.users.set(key, member);
    const skeleton = nameSkeleton(name);
    this.skeletonOf.set(key, skeleton);
    if (!this.lookalikes.has(skeleton)) this.lookalikes.set(skeleton, { key, name });
    return true;
  }

  /** Gives up the member's claim on `key`; nothing when someone else holds it. */
  release(member: M, key: string): void {
    if (this.users.get(key) !== member) return;
    this.users.delete(key);
    const skeleton = this.skeletonOf.get(key);
    this.skeletonOf.delete(key);
    if (skeleton !== undefined && this.lookalikes.get(skeleton)?.key === key) this.lookalikes.delete(skeleton);
  }

  /** The online name that looks like `name` but is another name, if any. */
  lookalike(name: string, key: string): string | undefined {
    const found = this.lookalikes.get(nameSkeleton(name));
    return found !== undefined && found.key !== key ? found.name : undefined;
  }

  /** Names claimed on this node, with their members (some may still be logging in). */
  claimed(): IterableIterator<[string, M]> {
    return this.users.entries();
  }

  room(key: string): Room<M> | undefined {
    return this.rooms.get(key);
  }

  /** Puts the member in a room, creating it on first use. */
  enter(member: M, key: string, name: string): Room<M> {
    let room = this.rooms.get(key);
    if (room === undefined) {
      room = { key, name, members: new Set(), audiences: new Map(), names: undefined };
      this.rooms.set(key, room);
    }
    if (room.members.has(member)) return room;
    room.names = undefined;
    this.listing = undefined;
    room.members.add(member);
    this.attach(member, room);
    return room;
  }

  /** Takes the member out of the room: 'emptied' when that left it empty (and gone); undefined if not in it. */
  leave(member: M, room: Room<M>): 'left' | 'emptied' | undefined {
    if (!room.members.delete(member)) return undefined;
    room.names = undefined;
    this.listing = undefined;
    this.detach(member, room);
    if (room.members.size > 0) return 'left';
    this.rooms.delete(room.key);
    return 'emptied';
  }

  /** Rooms that have people in them, by name. */
  roomList(): readonly RoomCount[] {
    this.listing ??= sortRooms([...this.rooms.values()].map((r) => ({ room: r.name, count: r.members.size })));
    return this.listing;
  }

  /** Names in a room, sorted case-insensitively. */
  namesIn(room: Room<M>): readonly string[] {
    if (room.names === undefined) {
      const names: string[] = [];
      for (const m of room.members) if (m.name !== undefined) names.push(m.name);
      room.names = sortNames(names);
    }
    return room.names;
  }

  /** Takes a member out of its audience in a room, staying a member (its encoding is about to change). */
  detach(member: M, room: Room<M>): void {
    for (const [kind, audience] of room.audiences) {
      if (!audience.members.delete(member)) continue;
      audience.epoch++;
      if (audience.members.size === 0) room.audiences.delete(kind);
    }
  }

  /** Puts a member of the room into the audience of its encoding now. */
  attach(member: M, room: Room<M>): Audience<M> {
    let audience = room.audiences.get(member.audience);
    if (audience === undefined) {
      audience = { kind: member.audience, members: new Set(), epoch: 0 };
      room.audiences.set(member.audience, audience);
    }
    audience.epoch++;
    audience.members.add(member);
    return audience;
  }

  /** The audience a member is in (for the output turn's big-room batches). */
  audienceOf(room: Room<M>, member: M): Audience<M> | undefined {
    return room.audiences.get(member.audience);
  }
}
