import type { Connection } from './transports/connection.js';

// The output turn. Everything queued for clients during one event-loop
// turn is written at its end, after the store has committed the turn's
// messages, as one write per connection: nothing reaches anyone before it
// is stored, and a broadcast costs one append whatever the room's size.
//
// This module alone opens and closes room batches, seals outboxes and
// writes them; sessions queue lines into their Outbox and know nothing of
// turns, commits or batches.

/** Output waits while connections arrive closer together than this… */
const ARRIVAL_QUIET_MS = 1;
/** …but never longer than this. */
const MAX_FLUSH_DEFER_MS = 50;

/**
 * Rooms this big have their lines written on a short timer rather than
 * every turn: a turn that carries a few join notices into a lobby of
 * thousands would otherwise cost a socket write per member, and logins
 * trickling in would each pay it. A member whose output is only such lines
 * waits; anything else for it (a reply, a private line) sends everything at
 * once, in order.
 */
export const BIG_ROOM_MEMBERS = 500;
/** A big room's lines wait at most a millisecond per this many members… */
const BIG_ROOM_MEMBERS_PER_MS = 100;
/** …and never longer than this. */
export const BIG_ROOM_MAX_DELAY_MS = 100;

/** How long a room of `members` may hold its lines back; 0 for a room written every turn. */
export function bigRoomDelayMs(members: number): number {
  if (members < BIG_ROOM_MEMBERS) return 0;
  return Math.min(BIG_ROOM_MAX_DELAY_MS, Math.ceil(members / BIG_ROOM_MEMBERS_PER_MS));
}

function memberCount(members: Iterable<unknown>): number {
  if (members instanceof Set) return members.size;
  if (Array.isArray(members)) return members.length;
  let n = 0;
  for (const _ of members) n++;
  return n;
}

/**
 * One turn's broadcast lines of a room, shared by every member: each member
 * holds a reference, and the lines are joined into one Buffer once, at the
 * write, and that Buffer goes to every member.
 *
 * A batch closes when the room's membership changes (its epoch moves on),
 * when any member gets a line of its own after it, and when its turn is
 * sealed: later broadcasts then go to a new batch, so every member's lines
 * keep their order.
 */
class RoomBatch {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private joined: Buffer | undefined;
  private isOpen = true;

  /**
   * @param deadline when a big room's batch must be written at the latest
   *   (performance.now() time); undefined for a batch written with its turn.
   */
  constructor(
    readonly epoch: number,
    readonly deadline?: number,
  ) {}

  get open(): boolean {
    return this.isOpen;
  }

  close(): void {
    this.isOpen = false;
  }

  append(line: Buffer): void {
    this.chunks.push(line);
    this.bytes += line.length;
  }

  /** Takes lines back out (their message was not stored); only before the batch is joined. */
  retract(lines: ReadonlySet<Buffer>): void {
    if (this.joined !== undefined) return;
    const kept = this.chunks.filter((chunk) => !lines.has(chunk));
    if (kept.length === this.chunks.length) return;
    this.chunks = kept;
    this.bytes = kept.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  get empty(): boolean {
    return this.joined === undefined ? this.chunks.length === 0 : this.joined.length === 0;
  }

  /** The batch's lines as one Buffer, joined on first use. */
  buffer(): Buffer {
    if (this.joined === undefined) {
      this.joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
      this.chunks = [];
      this.isOpen = false;
    }
    return this.joined;
  }
}

type Item = Buffer | RoomBatch;

/** Takes `lines` out of output items, dropping room batches left empty. */
function retractFrom(items: Item[], lines: ReadonlySet<Buffer>): Item[] {
  return items.filter((item) => {
    if (item instanceof RoomBatch) {
      item.retract(lines);
      return !item.empty;
    }
    return !lines.has(item);
  });
}

/** One turn's output of a connection, sealed: written once the turn's commit is known. */
interface SealedOutput {
  items: Item[];
  /** Items sealed, before any retraction. */
  count: number;
  end: boolean;
}

/** What an outbox tells the turn: it has output for this turn. */
export interface TurnQueue {
  markDirty(outbox: Outbox): void;
}

/** What the relay needs of the turn: a room's line into its shared batch. */
export interface Broadcaster {
  broadcast(room: RoomAudience, line: Buffer): void;
}

/** A room as the turn sees it: whose outboxes get its lines, and which membership this is. */
export interface RoomAudience {
  /** Moves on at every membership change: a batch of an older epoch takes no more lines. */
  readonly epoch: number;
  readonly members: Iterable<{ readonly outbox: Outbox }>;
}

export interface OutboxLimits {
  /** What earlier turns left unread, past which the reader is too slow. */
  outputCapBytes: number;
  /** One turn's own output may reach this many times the cap (a long reply). */
  turnOutputFactor: number;
}

/** Told when its peer reads too slowly to keep within the limits (the session drops it). */
export interface OutboxOwner {
  outputOverflowed(): void;
}

/**
 * A connection's output of the current turn: its own lines and shared
 * room batches, in order.
 */
export class Outbox {
  /** This turn's items; none until the first (an idle connection holds no array). */
  private pending: Item[] | undefined;
  /** Bytes of own lines in `pending` (room batches are counted when joined). */
  private pendingBytes = 0;
  /** The room batch at the end of `pending`, still open to more lines. */
  private openBatch: RoomBatch | undefined;
  private endAfter = false;
  private discarded = false;
  /** Items queued and items written, for drained(). */
  private itemsQueued = 0;
  private itemsWritten = 0;
  private writeWaiters: Array<() => void> | undefined;
  /** Set by the turn: the pending output is only big rooms' lines, held back until the earliest deadline. */
  waiting = false;
  /** When output last got into the kernel (or began to wait): the write deadline counts from here. */
  private lastWriteProgress: number;
  private readonly onWritten = (): void => {
    this.lastWriteProgress = this.clock();
  };

  constructor(
    private readonly turn: TurnQueue,
    readonly connection: Connection,
    private readonly limits: OutboxLimits,
    private readonly clock: () => number,
    private readonly owner: OutboxOwner,
  ) {
    this.lastWriteProgress = clock();
  }

  /** Queues a line (the same Buffer may go to many outboxes). */
  line(buffer: Buffer): void {
    if (this.discarded) return;
    if ((this.pending === undefined && !this.endAfter) || this.waiting) this.markDirty();
    // A line of its own after a room batch: the batch must not grow past it.
    if (this.openBatch !== undefined) {
      this.openBatch.close();
      this.openBatch = undefined;
    }
    (this.pending ??= []).push(buffer);
    this.itemsQueued++;
    this.pendingBytes += buffer.length;
    if (this.connection.pendingBytes > this.limits.outputCapBytes || this.pendingBytes > this.limits.turnOutputFactor * this.limits.outputCapBytes) {
      this.owner.outputOverflowed();
    }
  }

  /** Holds a room's batch for this turn; the room appends its lines to it. */
  addBatch(batch: RoomBatch): void {
    if (this.discarded || this.openBatch === batch) return;
    if ((this.pending === undefined && !this.endAfter) || (this.waiting && batch.deadline === undefined)) this.markDirty();
    (this.pending ??= []).push(batch);
    this.itemsQueued++;
    this.openBatch = batch;
    if (this.connection.pendingBytes > this.limits.outputCapBytes) this.owner.outputOverflowed();
  }

  /** Ends the connection after this turn's output. */
  end(): void {
    if (this.discarded) return;
    if ((this.pending === undefined && !this.endAfter) || this.waiting) this.markDirty();
    this.endAfter = true;
  }

  private markDirty(): void {
    this.waiting = false;
    this.turn.markDirty(this);
  }

  /**
   * When this outbox's output must be written, if it is only big rooms'
   * lines (the earliest of their deadlines); undefined when it must go
   * with this turn.
   */
  holdUntil(): number | undefined {
    const items = this.pending;
    if (this.endAfter || items === undefined || items.length === 0) return undefined;
    let until = Infinity;
    for (const item of items) {
      if (!(item instanceof RoomBatch) || item.deadline === undefined) return undefined;
      if (item.deadline < until) until = item.deadline;
    }
    return until;
  }

  /** Drops what is queued and takes nothing more (the connection is being cut off). */
  discard(): void {
    this.discarded = true;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.openBatch = undefined;
    this.endAfter = false;
  }

  /** Writes this turn's output now, ahead of the turn (the login reply of the earlier client). */
  flushNow(): void {
    const output = this.seal();
    if (output !== undefined) this.write(output);
  }

  /**
   * Takes this turn's output, to be written once the store has committed.
   * It stays in pieces until then, so lines whose message could not be
   * stored can still be taken out.
   */
  seal(): SealedOutput | undefined {
    const items = this.pending ?? [];
    this.pending = undefined;
    if (items.length === 0 && !this.endAfter) return undefined;
    // Sealed batches take no more lines: later turns' broadcasts open new ones.
    for (const item of items) if (item instanceof RoomBatch) item.close();
    const output = { items, count: items.length, end: this.endAfter };
    this.pendingBytes = 0;
    this.openBatch = undefined;
    this.endAfter = false;
    return output;
  }

  /** Takes `lines` out of this turn's unsealed output. */
  retract(lines: ReadonlySet<Buffer>): void {
    if (this.pending === undefined) return;
    const kept = retractFrom(this.pending, lines);
    // Still marked dirty until sealed: an emptied outbox keeps an (empty) array, so it is not marked twice.
    this.pending = kept;
    this.pendingBytes = kept.reduce((sum, item) => sum + (item instanceof RoomBatch ? 0 : item.length), 0);
  }

  write(output: SealedOutput): void {
    this.itemsWritten += output.count;
    this.wakeWriteWaiters();
    const connection = this.connection;
    if (connection.destroyed) return;
    const chunks: Buffer[] = [];
    for (const item of output.items) {
      const chunk = item instanceof RoomBatch ? item.buffer() : item;
      // A batch emptied by a failed commit after it was sealed writes nothing.
      if (chunk.length > 0) chunks.push(chunk);
    }
    if (chunks.length > 0) {
      if (connection.pendingBytes === 0) this.lastWriteProgress = this.clock();
      connection.write(chunks, this.onWritten);
    }
    if (output.end) connection.end();
  }

  /**
   * Whether output has waited longer than `deadlineMs` without any of it
   * getting to the peer: a peer that vanished with output pending, which
   * TCP keepalive (it probes idle connections only) would not notice.
   */
  stalled(deadlineMs: number): boolean {
    return this.connection.pendingBytes > 0 && this.clock() - this.lastWriteProgress > deadlineMs;
  }

  /**
   * Resolves once what is queued now has been written and the connection
   * has sent it on, or the connection is gone: for output produced at the
   * pace the client reads it.
   */
  async drained(): Promise<void> {
    const target = this.itemsQueued;
    const connection = this.connection;
    while (this.itemsWritten < target && !this.discarded && !connection.destroyed) {
      await new Promise<void>((resolve) => (this.writeWaiters ??= []).push(resolve));
    }
    if (connection.destroyed || connection.pendingBytes === 0) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        connection.off('drain', done);
        connection.off('close', done);
        resolve();
      };
      connection.on('drain', done);
      connection.on('close', done);
    });
  }

  /** The connection closed: nobody waits for output that will not be written. */
  closed(): void {
    this.discard();
    this.wakeWriteWaiters();
  }

  private wakeWriteWaiters(): void {
    const waiters = this.writeWaiters;
    if (waiters === undefined) return;
    this.writeWaiters = undefined;
    for (const wake of waiters) wake();
  }
}

/** Lines of one stored message: they go out only once its commit succeeds. */
export interface Pledged {
  readonly lines: readonly Buffer[];
}

export interface TurnDeps<P extends Pledged> {
  /** Commits the turn's stored messages; a promise for an asynchronous store. */
  commit(): void | Promise<void>;
  /** Sends what was published to other nodes this turn (after the commit). */
  publish(): void;
  /** This turn's pledges; the next turn starts with none. */
  takePledges(): P[];
  /** The commit failed: these pledges' lines were taken out of everyone's output. */
  notStored(pledges: readonly P[], err: unknown): void;
}

export class OutputTurn<P extends Pledged = Pledged> implements TurnQueue, Broadcaster {
  private dirty: Outbox[] = [];
  private scheduled = false;
  /** Each room's open batch (a big room's stays open across turns until written). */
  private batches = new Map<RoomAudience, RoomBatch>();
  /** Batches lines were added to this turn: a failed commit takes its lines out of them. */
  private touched = new Set<RoomBatch>();
  /** Outboxes holding only big rooms' lines, written by the timer (or sooner). */
  private waiting = new Set<Outbox>();
  private holdTimer: NodeJS.Timeout | undefined;
  private holdTimerAt = Infinity;
  private lastArrivalAt = -Infinity;
  private deferredSince: number | undefined;
  /** The last asynchronous commit-then-write; later turns write after it. */
  private writeChain: Promise<void> | undefined;

  constructor(private readonly deps: TurnDeps<P>) {}

  /** A connection arrived: while they keep arriving, output waits briefly (see flushTurn). */
  noteArrival(): void {
    this.lastArrivalAt = performance.now();
  }

  /** Appends a line to the room's open batch, opening one (held by every member) when needed. */
  broadcast(room: RoomAudience, line: Buffer): void {
    let batch = this.batches.get(room);
    if (batch === undefined || !batch.open || batch.epoch !== room.epoch) {
      const delay = bigRoomDelayMs(memberCount(room.members));
      batch = new RoomBatch(room.epoch, delay === 0 ? undefined : performance.now() + delay);
      this.batches.set(room, batch);
      if (!this.scheduled) this.schedule();
      for (const member of room.members) member.outbox.addBatch(batch);
    }
    batch.append(line);
    this.touched.add(batch);
    // Lines for members already waiting: the turn still commits them.
    if (batch.deadline !== undefined && !this.scheduled) this.schedule();
  }

  /** Called by an outbox on its first output of the turn. */
  markDirty(outbox: Outbox): void {
    this.dirty.push(outbox);
    if (!this.scheduled) this.schedule();
  }

  /** Resolves once every turn's output so far is written (or dropped). */
  async settled(): Promise<void> {
    await this.writeChain;
  }

  private schedule(): void {
    this.scheduled = true;
    setImmediate(this.flushTurn);
  }

  private readonly flushTurn = (): void => {
    // libuv accepts one connection per loop turn. While connections keep
    // arriving, turns stay short and output waits (briefly): a login storm
    // then costs one write per member for many joins instead of one per join.
    const now = performance.now();
    if (now - this.lastArrivalAt < ARRIVAL_QUIET_MS) {
      this.deferredSince ??= now;
      if (now - this.deferredSince < MAX_FLUSH_DEFER_MS) {
        setImmediate(this.flushTurn);
        return;
      }
    }
    this.deferredSince = undefined;
    this.flushNow();
  };

  /**
   * Commits the turn's stored messages, then writes the turn's output, so
   * nothing reaches a client before it is stored. With an asynchronous
   * commit each turn's output is sealed and written, in turn order, once
   * its commit is done. `force` writes held big-room output too (shutdown).
   */
  flushNow(force = false, timer = false): void {
    this.scheduled = false;
    const now = performance.now();
    const dirty = this.takeDue(now, force, timer);
    // Batches written this turn take no more lines; a big room's held one goes on collecting.
    for (const [room, batch] of this.batches) if (batch.deadline === undefined || !batch.open) this.batches.delete(room);
    const touched = this.touched;
    this.touched = new Set();
    const pledges = this.deps.takePledges();
    let commit: void | Promise<void> = undefined;
    try {
      commit = this.deps.commit();
    } catch (err) {
      // Nothing of it reaches anyone: its lines come out of this turn's output, and of held outboxes.
      this.refuse(pledges, err, (lines) => {
        for (const outbox of dirty) outbox.retract(lines);
        for (const outbox of this.waiting) outbox.retract(lines);
      });
    }
    this.deps.publish();
    if (commit === undefined && this.writeChain === undefined) {
      for (const outbox of dirty) outbox.flushNow();
      return;
    }
    const sealed: Array<[Outbox, SealedOutput]> = [];
    for (const outbox of dirty) {
      const output = outbox.seal();
      if (output !== undefined) sealed.push([outbox, output]);
    }
    const stored = commit?.then(
      () => true,
      (err: unknown) => {
        this.refuse(pledges, err, (lines) => {
          for (const [, output] of sealed) output.items = retractFrom(output.items, lines);
          // Wherever the turn's room lines are now (held, or sealed by a later turn), they are not joined yet.
          for (const batch of touched) batch.retract(lines);
          for (const outbox of this.waiting) outbox.retract(lines);
        });
        return false;
      },
    );
    const chain: Promise<void> = Promise.all([this.writeChain, stored]).then(() => {
      for (const [outbox, output] of sealed) outbox.write(output);
      if (this.writeChain === chain) this.writeChain = undefined;
    });
    this.writeChain = chain;
  }

  /**
   * This turn's dirty outboxes that must be written now. Those with only big
   * rooms' lines are held for their deadline (unless `force`, at shutdown);
   * the held ones are looked at again only when the timer fires.
   */
  private takeDue(now: number, force: boolean, timer: boolean): Outbox[] {
    const due: Outbox[] = [];
    let next = Infinity;
    for (const outbox of this.dirty) {
      const until = force ? undefined : outbox.holdUntil();
      if (until === undefined || until <= now) {
        outbox.waiting = false;
        this.waiting.delete(outbox);
        due.push(outbox);
      } else {
        outbox.waiting = true;
        this.waiting.add(outbox);
        if (until < next) next = until;
      }
    }
    this.dirty = [];
    if (timer || force) {
      for (const outbox of this.waiting) {
        const until = force ? undefined : outbox.holdUntil();
        if (until === undefined || until <= now + 1) {
          outbox.waiting = false;
          this.waiting.delete(outbox);
          due.push(outbox);
        } else if (until < next) next = until;
      }
    }
    this.armHoldTimer(next, now);
    return due;
  }

  private armHoldTimer(at: number, now: number): void {
    if (at === Infinity || at >= this.holdTimerAt) return;
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.holdTimerAt = at;
    this.holdTimer = setTimeout(this.holdTimerFired, Math.max(1, Math.ceil(at - now)));
  }

  private readonly holdTimerFired = (): void => {
    this.holdTimer = undefined;
    this.holdTimerAt = Infinity;
    this.flushNow(false, true);
  };

  private refuse(pledges: readonly P[], err: unknown, retract: (lines: ReadonlySet<Buffer>) => void): void {
    if (pledges.length > 0) {
      const lines = new Set<Buffer>();
      for (const pledge of pledges) for (const line of pledge.lines) lines.add(line);
      retract(lines);
    }
    this.deps.notStored(pledges, err);
  }
}
