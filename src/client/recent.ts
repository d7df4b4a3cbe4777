import { nameKey } from '../protocol/index.js';

// After a reconnect the server replays the room's recent history. Messages
// already on screen are skipped; what was said while we were away is shown.

/** Recently shown messages, so a history replay after a reconnect skips what is already on screen. */
export class RecentMessages {
  private readonly counts = new Map<string, number>();
  private readonly order: string[] = [];
  constructor(private readonly limit = 500) {}

  private static key(from: string, message: string): string {
    return `${nameKey(from)}\u0000${message}`;
  }

  add(from: string, message: string): void {
    const key = RecentMessages.key(from, message);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.order.push(key);
    if (this.order.length > this.limit) this.forget(this.order.shift()!);
  }

  /** True (and forgets one) when this message was shown already. */
  take(from: string, message: string): boolean {
    const key = RecentMessages.key(from, message);
    const count = this.counts.get(key) ?? 0;
    if (count === 0) return false;
    this.forget(key);
    const index = this.order.indexOf(key);
    if (index !== -1) this.order.splice(index, 1);
    return true;
  }

  clear(): void {
    this.counts.clear();
    this.order.length = 0;
  }

  private forget(key: string): void {
    const count = this.counts.get(key) ?? 0;
    if (count <= 1) this.counts.delete(key);
    else this.counts.set(key, count - 1);
  }
}
