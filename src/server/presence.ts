import { nameSkeleton } from '../protocol/index.js';
import { sortNames, sortRooms, type RoomCount } from './sorting.js';

// Who is online on this node and where: names (by comparison key) and rooms
// as sets of members. A room exists while it has members. Generic over the
// member (a session), so this module depends on nothing above it.

/** What presence reads of a member. */
export interface Member {
  readonly name: string | undefined;
}

export interface Room<M extends Member = Member> {
  readonly key: string;
  /** The spelling of whoever opened the room. */
  readonly name: string;
  readonly members: Set<M>;
  /** Moves on at every membership change (the output turn's batches follow it). */
  epoch: number;
  /** The members' names, sorted, until the membership changes. */
  names: readonly string[] | undefined;
}

export const LOBBY = 'lobby';

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
      room = { key, name, members: new Set(), epoch: 0, names: undefined };
      this.rooms.set(key, room);
    }
    changed(room);
    this.listing = undefined;
    room.members.add(member);
    return room;
  }

  /** Takes the member out of the room: 'emptied' when that left it empty (and gone); undefined if not in it. */
  leave(member: M, room: Room<M>): 'left' | 'emptied' | undefined {
    if (!room.members.delete(member)) return undefined;
    changed(room);
    this.listing = undefined;
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
}

/** A membership change: newcomers must not get earlier lines, leavers later ones. */
function changed(room: Room): void {
  room.epoch++;
  room.names = undefined;
}
