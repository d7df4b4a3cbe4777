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

  /** The last `count` messages of a room, oldest first. */
  async recent(roomKey: string, count: number): Promise<RoomMessage[]> {
    if (count === 0) return [];
    if (count > this.keep || !this.cached) return this.store.recentRoom(roomKey, count);
    let list = this.cache.get(roomKey);
    if (list === undefined) {
      list = await this.store.recentRoom(roomKey, this.keep);
      // Another caller may have filled the cache while this one waited.
      const filled = this.cache.get(roomKey);
      if (filled !== undefined) list = filled;
      else this.cache.set(roomKey, list);
    }
    return count >= list.length ? list.slice() : list.slice(list.length - count);
  }

  forget(roomKey: string): void {
    this.cache.delete(roomKey);
  }
}
