import { nameSkeleton } from '../protocol/index.js';
import { sortNames, sortRooms, type RoomCount } from './directory/directory.js';
import type { RoomBatch } from './room-batch.js';
import type { Session } from './session.js';

/** Membership changes close the room's batch: newcomers must not get earlier lines, leavers later ones. */
function closeBatch(room: Room): void {
  if (room.batch !== undefined) {
    room.batch.closed = true;
    room.batch = undefined;
  }
  room.names = undefined;
}

// Who is online and where: names (by comparison key) and rooms as sets of
// sessions. A room exists while it has members.

export interface Room {
  readonly key: string;
  /** The spelling of whoever opened the room. */
  readonly name: string;
  readonly members: Set<Session>;
  /** This turn's shared broadcast lines (see RoomBatch). */
  batch: RoomBatch | undefined;
  /** The members' names, sorted, until the membership changes. */
  names: readonly string[] | undefined;
}

export const LOBBY = 'lobby';

export class Presence {
  private readonly users = new Map<string, Session>();
  /** What each online name looks like: skeleton → the first name online with it; and each key's skeleton. */
  private readonly lookalikes = new Map<string, { key: string; name: string }>();
  private readonly skeletonOf = new Map<string, string>();
  private readonly rooms = new Map<string, Room>();
  /** The sorted room list, until a room's membership changes. */
  private listing: RoomCount[] | undefined;

  get userCount(): number {
    return this.users.size;
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  user(key: string): Session | undefined {
    return this.users.get(key);
  }

  /** Claims a name for a session; false when someone already holds it. */
  claim(session: Session, key: string, name: string): boolean {
    if (this.users.has(key)) return false;
    this.users.set(key, session);
    const skeleton = nameSkeleton(name);
    this.skeletonOf.set(key, skeleton);
    if (!this.lookalikes.has(skeleton)) this.lookalikes.set(skeleton, { key, name });
    return true;
  }

  /** Gives up the session's name; `key` for a claim made before the session took the name. */
  release(session: Session, key: string | undefined = session.key): void {
    if (key === undefined || this.users.get(key) !== session) return;
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

  /** Names claimed on this node, with their sessions (some may still be logging in). */
  claimed(): IterableIterator<[string, Session]> {
    return this.users.entries();
  }

  room(key: string): Room | undefined {
    return this.rooms.get(key);
  }

  /** Puts the session in a room, creating it on first use. */
  enter(session: Session, key: string, name: string): Room {
    let room = this.rooms.get(key);
    if (room === undefined) {
      room = { key, name, members: new Set(), batch: undefined, names: undefined };
      this.rooms.set(key, room);
    }
    closeBatch(room);
    this.listing = undefined;
    room.members.add(session);
    session.room = room;
    return room;
  }

  /** Takes the session out of its room; returns the room it left. */
  leave(session: Session): { room: Room; emptied: boolean } | undefined {
    const room = session.room;
    if (room === undefined) return undefined;
    session.room = undefined;
    closeBatch(room);
    this.listing = undefined;
    room.members.delete(session);
    const emptied = room.members.size === 0;
    if (emptied) this.rooms.delete(room.key);
    return { room, emptied };
  }

  /** Rooms that have people in them, by name. */
  roomList(): readonly RoomCount[] {
    this.listing ??= sortRooms([...this.rooms.values()].map((r) => ({ room: r.name, count: r.members.size })));
    return this.listing;
  }

  /** Names in a room, sorted case-insensitively. */
  namesIn(room: Room): readonly string[] {
    if (room.names === undefined) {
      const names: string[] = [];
      for (const s of room.members) if (s.name !== undefined) names.push(s.name);
      room.names = sortNames(names);
    }
    return room.names;
  }
}
