// A manual clock for tests: time moves only when `advance` is called. The
// client and the server take the same Timers (src/cli/timers.ts).

import type { TimerHandle, Timers } from '../../src/cli/timers.js';

export class FakeTimers implements Timers {
  private time: number;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.pending.set(id, { at: this.time + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.pending.delete(handle.id as number);
  }

  /** Delays of the timers still pending, from now, soonest first. */
  pendingDelays(): number[] {
    return [...this.pending.values()].map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  /** Moves time forward, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let nextId: number | undefined;
      let next: { at: number; fn: () => void } | undefined;
      for (const [id, t] of this.pending) {
        if (t.at <= end && (next === undefined || t.at < next.at)) {
          next = t;
          nextId = id;
        }
      }
      if (next === undefined || nextId === undefined) break;
      this.pending.delete(nextId);
      this.time = next.at;
      next.fn();
    }
    this.time = end;
  }
}
