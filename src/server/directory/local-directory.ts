import type { Presence, Room } from '../presence.js';
import type { Session } from '../session.js';
import type { RoomCount } from '../sorting.js';
import type { Directory, UserLocation } from './directory.js';

/** The single-node directory: this process's presence is the whole truth. */
export class LocalDirectory implements Directory {
  readonly available = true;

  constructor(
    private readonly presence: Presence<Session>,
    private readonly nodeId: string,
  ) {}

  claim(session: Session, key: string, name: string): boolean {
    return this.presence.claim(session, key, name);
  }

  release(session: Session, key: string): void {
    this.presence.release(session, key);
  }

  entered(): void {}

  left(): void {}

  roomName(key: string, proposed: string): string {
    return this.presence.room(key)?.name ?? proposed;
  }

  namesIn(room: Room<Session>): readonly string[] {
    return this.presence.namesIn(room);
  }

  rooms(): readonly RoomCount[] {
    return this.presence.roomList();
  }

  locate(userKey: string): UserLocation | undefined {
    const name = this.presence.user(userKey)?.name;
    return name === undefined ? undefined : { node: this.nodeId, name };
  }

  stats(): Array<[string, number]> {
    return [];
  }

  /** No other node: nobody is ever lost. */
  onUsersLost(): void {}

  async close(): Promise<void> {}
}
