import type { Room } from '../presence.js';
import type { Session, User } from '../session.js';
import type { RoomCount } from '../sorting.js';

// Who is online across the cluster. The local directory answers from this
// node's presence alone; the Redis directory shares names, room membership
// and node liveness between nodes. Handlers await every answer, so they do
// not know which one they have.

export type { RoomCount } from '../sorting.js';

export interface UserLocation {
  node: string;
  name: string;
}

/** A user of a node that died, and one room they were in (one of these per room). */
export interface LostUser {
  name: string;
  roomKey: string;
  roomName: string;
}

export interface Directory {
  /** False while the shared state cannot be reached: frames that need it get UNAVAILABLE. */
  readonly available: boolean;
  /** Claims a name for a session; false when someone online, on any node, holds it. */
  claim(session: Session, key: string, name: string): boolean | Promise<boolean>;
  /** Gives up a session's claim on `key`; the cluster's record of that user's rooms goes with it. */
  release(session: Session, key: string): void;
  /**
   * Records that a user is now (also) in a room, or no longer in it, after
   * the local presence did. A user may be in any number of rooms: entering
   * one keeps the others.
   */
  entered(user: User, room: Room<Session>): void;
  left(user: User, room: Room<Session>): void;
  /** How a room is spelled: as whoever opened it, on any node, spelled it; else `proposed`. */
  roomName(key: string, proposed: string): string | Promise<string>;
  /** Names in a room, on every node, sorted without regard to case. */
  namesIn(room: Room<Session>): readonly string[] | Promise<readonly string[]>;
  /** Rooms with people in them, on every node, sorted by name. */
  rooms(): readonly RoomCount[] | Promise<readonly RoomCount[]>;
  /** Where an online user is, or undefined when nobody by that name is online. */
  locate(userKey: string): UserLocation | undefined | Promise<UserLocation | undefined>;
  /** Extra STATS fields (cluster-wide figures). */
  stats(): Array<[string, number]> | Promise<Array<[string, number]>>;
  /** Users of another node left when it died: the membership layer tells their rooms. */
  onUsersLost(listener: (lost: readonly LostUser[]) => void): void;
  close(): Promise<void>;
}
