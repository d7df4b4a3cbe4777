import type { Session } from './session.js';
import type { RoomMessage } from './storage/store.js';

// Lines that may only be seen once their message is stored. A handler that
// appends a message to the store pledges the lines it queued for it; the
// turn's flush takes the pledges and, when the store's commit fails, takes
// those lines back out of everyone's output before anything is written and
// tells the sender instead. So "stored, then relayed" holds when the disk
// fails too.

export interface Pledge {
  /** Who sent the message: told when it could not be stored. */
  readonly sender: Session;
  /** The exact Buffers queued for it (room line, private line, SENT, notices). */
  readonly lines: readonly Buffer[];
  /** A room message, kept in the history cache until its commit is known. */
  readonly record?: RoomMessage;
}

export class Pledges {
  private list: Pledge[] = [];

  add(pledge: Pledge): void {
    this.list.push(pledge);
  }

  /** This turn's pledges; the next turn starts with none. */
  take(): Pledge[] {
    const taken = this.list;
    if (taken.length !== 0) this.list = [];
    return taken;
  }
}
