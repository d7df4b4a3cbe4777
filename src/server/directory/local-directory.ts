import type { Presence, Room } from '../presence.js';
import type { Session } from '../session.js';
import type { Directory, RoomCount, UserLocation } from './directory.js';

/** The single-node directory: this process's presence is the whole truth. */
export class LocalDirectory implements Directory {
  readonly available = true;

  constructor(
    private readonly presence: Presence,
    private readonly nodeId: string,
  ) {}

  claim(session: Session, key: string, name: string): boolean {
    return this.presence.claim(session, key, name);
  }

  release(session: Session): void {
    this.presence.release(session);
  }

  entered(): void {}

  left(): void {}

  roomName(key: string, proposed: string): string {
    return this.presence.room(key)?.name ?? proposed;
  }

  namesIn(room: Room): readonly string[] {
    return this.presence.namesIn(room);
  }

  rooms(): readonly RoomCount[] {
    return this.presence.roomList();
  }

  locate(userKey: string): UserLocation | undefined {
    const session = this.presence.user(userKey);
    return session?.name === undefined ? undefined : { node: this.nodeId, name: session.name };
  }

  stats(): Array<[string, number]> {
    return [];
  }

  async close(): Promise<void> {}
}
