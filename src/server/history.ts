import type { RoomMessage, Store } from './storage/store.js';

/**
 * Recent messages of each occupied room, kept in memory so a login or JOIN
 * replays history without reading the database. Longer HISTORY requests go
 * to the store. A room's cache is dropped when the room empties.
 */
export class RoomHistory {
  private readonly cache = new Map<string, RoomMessage[]>();

  /**
   * `cached` is false in cluster mode, where other nodes add messages this
   * node never sees: every read then goes to the shared store.
   */
  constructor(
    private readonly store: Store,
    private readonly keep: number,
    private readonly cached = true,
  ) {}

  record(message: RoomMessage): void {
    this.store.appendRoom(message);
    const list = this.cache.get(message.roomKey);
    if (list === undefined) return;
    list.push(message);
    if (list.length > this.keep) list.shift();
  }

  /** Takes a recorded message back out of the cache: the store could not keep it. */
  unrecord(message: RoomMessage): void {
    const list = this.cache.get(message.roomKey);
    const at = list?.lastIndexOf(message) ?? -1;
    if (at !== -1) list!.splice(at, 1);
  }

  /**
   * The last `count` messages from memory, or undefined when the room is not
   * cached (or `count` is more than is kept). Synchronous, so a caller can
   * take the snapshot and enter the room with no message in between.
   */
  snapshot(roomKey: string, count: number): RoomMessage[] | undefined {
    if (count === 0) return [];
    if (!this.cached || count > this.keep) return undefined;
    const list = this.cache.get(roomKey);
    if (list === undefined) return undefined;
    return count >= list.length ? list.slice() : list.slice(list.length - count);
  }

  /** Fills the room's cache from the store; false when this history is not cached. */
  async load(roomKey: string): Promise<boolean> {
    if (!this.cached) return false;
    if (this.cache.has(roomKey)) return true;
    const list = await this.store.recentRoom(roomKey, this.keep);
    // Another caller may have filled the cache while this one waited; theirs is as new.
    if (!this.cache.has(roomKey)) this.cache.set(roomKey, list);
    return true;
  }

  /** The last `count` messages of a room, oldest first. */
  async recent(roomKey: string, count: number): Promise<RoomMessage[]> {
    const cached = this.snapshot(roomKey, count);
    if (cached !== undefined) return cached;
    if (count <= this.keep && (await this.load(roomKey))) return this.snapshot(roomKey, count)!;
    return this.store.recentRoom(roomKey, count);
  }

  forget(roomKey: string): void {
    this.cache.delete(roomKey);
  }
}
