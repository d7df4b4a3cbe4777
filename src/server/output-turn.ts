import { backgroundTimers, type TimerHandle, type Timers } from '../cli/timers.js';
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
 * Broadcast lines of a room, shared by every member: each member holds a
 * reference, and the lines are joined into one Buffer once, at the write,
 * and that Buffer goes to every member.
 *
 * A small room's batch is one turn's: it closes when the room's membership
 * changes (its epoch moves on), when any member gets a line of its own
 * after it, and when its turn is sealed; later broadcasts then go to a new
 * batch, so every member's lines keep their order.
 *
 * A big room's batch (one with a deadline) stays open until its deadline,
 * whatever happens meanwhile: a member who joins, leaves, gets a line of
 * its own or is written early holds a view of part of it instead (a
 * BatchView), so none of that costs a pass over every member.
 */
class RoomBatch {
  /** Lines by position; a retracted line leaves an empty Buffer, so views keep their positions. */
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  /**
   * Ranges handed out, by rangeKey(): every member given the same lines gets
   * the same Buffer (a transport that frames its output, WebSocket, then
   * frames it once for all of them).
   */
  private joinedRanges: Map<number, Buffer> | undefined;
  /**
   * A big room's lines back to back, copied in as they come (the buffer
   * grows by doubling), with where each starts: any member's part of it is
   * then a subarray, without a copy, however many members start or stop at
   * different lines.
   */
  private data: Buffer | undefined;
  private starts: number[] | undefined;
  /** Lines before this position are in a joined range, written or about to be: no retraction reaches them. */
  private joinedUpTo = 0;
  private isOpen = true;

  /**
   * @param deadline when a big room's batch must be written at the latest
   *   (on the turn's timers); undefined for a batch written with its turn.
   */
  constructor(
    public epoch: number,
    readonly deadline?: number,
  ) {
    if (deadline !== undefined) this.starts = [0];
  }

  get open(): boolean {
    return this.isOpen;
  }

  /** Lines appended so far (retracted ones included, as empty). */
  get count(): number {
    return this.chunks.length;
  }

  close(): void {
    this.isOpen = false;
  }

  append(line: Buffer): void {
    this.chunks.push(line);
    this.bytes += line.length;
    const starts = this.starts;
    if (starts === undefined) return;
    const used = starts[starts.length - 1]!;
    if (this.data === undefined || this.data.length < used + line.length) {
      const grown = Buffer.allocUnsafe(Math.max(4096, 2 * (used + line.length)));
      this.data?.copy(grown, 0, 0, used);
      this.data = grown;
    }
    line.copy(this.data, used);
    starts.push(used + line.length);
  }

  /** Takes lines back out (their message was not stored); only lines not joined yet. */
  retract(lines: ReadonlySet<Buffer>): void {
    let changed = false;
    for (let i = this.joinedUpTo; i < this.chunks.length; i++) {
      const chunk = this.chunks[i]!;
      if (!lines.has(chunk)) continue;
      this.bytes -= chunk.length;
      this.chunks[i] = EMPTY;
      changed = true;
    }
    if (changed && this.starts !== undefined) this.rebuildFrom(this.joinedUpTo);
  }

  /** Copies the lines from `position` on again, without the retracted ones (a new buffer: subarrays handed out stay as they were). */
  private rebuildFrom(position: number): void {
    const starts = this.starts!;
    const old = this.data!;
    const data = Buffer.allocUnsafe(old.length);
    let used = starts[position]!;
    old.copy(data, 0, 0, used);
    for (let i = position; i < this.chunks.length; i++) {
      const chunk = this.chunks[i]!;
      chunk.copy(data, used);
      used += chunk.length;
      starts[i + 1] = used;
    }
    this.data = data;
    this.joinedRanges = undefined;
  }

  /** Whether lines `from` to `to` hold nothing. */
  emptyBetween(from: number, to: number): boolean {
    if (this.starts !== undefined) return this.starts[from] === this.starts[to];
    for (let i = from; i < to; i++) if (this.chunks[i]!.length > 0) return false;
    return true;
  }

  /** Lines `from` to `to` as one Buffer, joined on first use; the whole batch once it is closed. */
  buffer(from = 0, to = this.chunks.length): Buffer {
    if (to > this.joinedUpTo) this.joinedUpTo = to;
    const key = rangeKey(from, to);
    const ranges = (this.joinedRanges ??= new Map());
    let joined = ranges.get(key);
    if (joined !== undefined) return joined;
    if (this.starts !== undefined) {
      joined = this.data === undefined ? EMPTY : this.data.subarray(this.starts[from], this.starts[to]);
    } else {
      // A small room's batch takes no more lines once joined.
      this.isOpen = false;
      joined = to - from === 1 ? this.chunks[from]! : Buffer.concat(this.chunks.slice(from, to), from === 0 && to === this.chunks.length ? this.bytes : undefined);
    }
    ranges.set(key, joined);
    return joined;
  }
}

/** Lines `from` to `to` of a batch as one number (a batch holds far fewer than 2^26 lines). */
const rangeKey = (from: number, to: number): number => from * 0x4000000 + to;

const EMPTY = Buffer.alloc(0);

/** Part of a big room's batch: from a position, to a position or (while open) on. */
class BatchView {
  constructor(
    readonly batch: RoomBatch,
    readonly from: number,
    public to: number | undefined,
  ) {}
}

/** An item's batch and the range of it the item stands for; undefined for a line of its own. */
function batchRange(item: Item): { batch: RoomBatch; from: number; to: number | undefined } | undefined {
  if (item instanceof RoomBatch) return { batch: item, from: 0, to: undefined };
  if (item instanceof BatchView) return item;
  return undefined;
}

type Item = Buffer | RoomBatch | BatchView;

/** Takes `lines` out of output items, dropping room batches left empty. */
function retractFrom(items: Item[], lines: ReadonlySet<Buffer>): Item[] {
  return items.filter((item) => {
    const range = batchRange(item);
    if (range === undefined) return !lines.has(item as Buffer);
    range.batch.retract(lines);
    // An open part of a big room's batch stays: the room's later lines come through it.
    if (range.to === undefined && range.batch.open && range.batch.deadline !== undefined) return true;
    return !range.batch.emptyBetween(range.from, range.to ?? range.batch.count);
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
  /** `except`: a member the line is not for (an IRC sender that did not ask for its own lines back). */
  broadcast(room: RoomAudience, line: Buffer, except?: { readonly outbox: Outbox }): void;
  /** A member entered the room (after its membership changed, before its join notice). */
  memberJoined(room: RoomAudience, member: { readonly outbox: Outbox }): void;
  /** A member left the room (after its membership changed, before its leave notice). */
  memberLeft(room: RoomAudience, member: { readonly outbox: Outbox }): void;
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
  /** Items of `pending` counted in itemsQueued (a big room's continuation view is not). */
  private pendingCounted = 0;
  /** The batch of the item at the end of `pending`, still open to more lines (the item is the batch or a view of it). */
  private openBatch: RoomBatch | undefined;
  private endAfter = false;
  private discarded = false;
  /** Items queued and items written, for drained(). */
  private itemsQueued = 0;
  private itemsWritten = 0;
  private writeWaiters: Array<() => void> | undefined;
  /** Set by the turn: the pending output is only big rooms' lines, held back until the earliest deadline. */
  waiting = false;
  /** When output was last seen getting into the kernel (or began to wait): the write deadline counts from here. */
  private lastWriteProgress: number;
  /**
   * Bytes handed to the connection, and how many of them had reached the
   * kernel when last looked at: progress is seen by stalled() from these
   * counts, without a callback (a closure, and a call) per write.
   */
  private handedBytes = 0;
  private sentSeen = 0;

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
    // A line of its own after a room batch: this member's part of the batch ends before it.
    const big = this.cutOpenBatch();
    const items = (this.pending ??= []);
    items.push(buffer);
    this.itemsQueued++;
    this.pendingCounted++;
    this.pendingBytes += buffer.length;
    // A big room's later lines still come, after this one.
    if (big !== undefined) this.continueBatch(big);
    if (this.connection.pendingBytes > this.limits.outputCapBytes || this.pendingBytes > this.limits.turnOutputFactor * this.limits.outputCapBytes) {
      this.owner.outputOverflowed();
    }
  }

  /** Holds a room's batch; the room appends its lines to it. */
  addBatch(batch: RoomBatch): void {
    if (this.discarded || this.openBatch === batch) return;
    if ((this.pending === undefined && !this.endAfter) || (this.waiting && batch.deadline === undefined)) this.markDirty();
    this.cutOpenBatch();
    (this.pending ??= []).push(batch);
    this.itemsQueued++;
    this.pendingCounted++;
    this.openBatch = batch;
    if (this.connection.pendingBytes > this.limits.outputCapBytes) this.owner.outputOverflowed();
  }

  /** Joined a big room whose batch is open: its lines from now on. */
  joinBatch(batch: RoomBatch): void {
    if (this.discarded || this.openBatch === batch) return;
    if (this.pending === undefined && !this.endAfter) this.markDirty();
    this.cutOpenBatch();
    this.continueBatch(batch);
  }

  /**
   * The line `batch` is about to take is not for this member: its part of
   * the batch ends here (true), to go on after the line with resumeAfter.
   * False when it holds no open part of the batch (it would not get the line).
   */
  stopBefore(batch: RoomBatch): boolean {
    if (this.discarded || this.openBatch !== batch) return false;
    const items = this.pending!;
    const last = items[items.length - 1]!;
    items[items.length - 1] = new BatchView(batch, last instanceof BatchView ? last.from : 0, batch.count);
    this.openBatch = undefined;
    return true;
  }

  /** After stopBefore: the batch's lines from now on (the skipped line is behind). */
  resumeAfter(batch: RoomBatch): void {
    this.continueBatch(batch);
  }

  /** Left a big room whose batch is open: none of its later lines. */
  leaveBatch(batch: RoomBatch): void {
    if (this.openBatch === batch) this.cutOpenBatch();
  }

  /**
   * Ends this member's part of the open batch at its current end; a small
   * room's batch closes (for everyone: it is one turn's). Returns a big
   * room's batch, which stays open for the others.
   */
  private cutOpenBatch(): RoomBatch | undefined {
    const batch = this.openBatch;
    if (batch === undefined) return undefined;
    this.openBatch = undefined;
    if (batch.deadline === undefined) {
      batch.close();
      return undefined;
    }
    const items = this.pending!;
    const last = items[items.length - 1]!;
    items[items.length - 1] = new BatchView(batch, last instanceof BatchView ? last.from : 0, batch.count);
    return batch.open ? batch : undefined;
  }

  /** This member gets the big room's lines appended from now on. */
  private continueBatch(batch: RoomBatch): void {
    (this.pending ??= []).push(new BatchView(batch, batch.count, undefined));
    this.openBatch = batch;
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
      const deadline = batchRange(item)?.batch.deadline;
      if (deadline === undefined) return undefined;
      if (deadline < until) until = deadline;
    }
    return until;
  }

  /** Drops what is queued and takes nothing more (the connection is being cut off). */
  discard(): void {
    this.discarded = true;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.pendingCounted = 0;
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
   * stored can still be taken out. A big room's open batch is cut here for
   * this member, and its later lines wait in a new view (held by the turn).
   */
  seal(): SealedOutput | undefined {
    const items = this.pending ?? [];
    if (items.length === 0 && !this.endAfter) {
      this.pending = undefined;
      return undefined;
    }
    const big = this.cutOpenBatch();
    // Sealed small batches take no more lines: later turns' broadcasts open new ones.
    for (const item of items) if (item instanceof RoomBatch && item.deadline === undefined) item.close();
    const output = { items, count: this.pendingCounted, end: this.endAfter };
    this.pending = undefined;
    this.pendingBytes = 0;
    this.pendingCounted = 0;
    this.endAfter = false;
    if (big !== undefined && !output.end) {
      this.continueBatch(big);
      this.markDirty();
    }
    return output;
  }

  /** Takes `lines` out of this turn's unsealed output. */
  retract(lines: ReadonlySet<Buffer>): void {
    if (this.pending === undefined) return;
    const kept = retractFrom(this.pending, lines);
    // Still marked dirty until sealed: an emptied outbox keeps an (empty) array, so it is not marked twice.
    if (kept[kept.length - 1] !== this.pending[this.pending.length - 1]) this.openBatch = undefined;
    this.pending = kept;
    this.pendingBytes = kept.reduce((sum, item) => sum + (item instanceof Buffer ? item.length : 0), 0);
  }

  write(output: SealedOutput): void {
    this.itemsWritten += output.count;
    this.wakeWriteWaiters();
    const connection = this.connection;
    if (connection.destroyed) return;
    const chunks: Buffer[] = [];
    let bytes = 0;
    for (const item of output.items) {
      const chunk = item instanceof RoomBatch ? item.buffer() : item instanceof BatchView ? item.batch.buffer(item.from, item.to) : item;
      // A batch emptied by a failed commit after it was sealed writes nothing.
      if (chunk.length > 0) {
        chunks.push(chunk);
        bytes += chunk.length;
      }
    }
    if (chunks.length > 0) {
      if (connection.pendingBytes === 0) {
        this.lastWriteProgress = this.clock();
        this.sentSeen = this.handedBytes;
      }
      this.handedBytes += bytes;
      connection.write(chunks);
    }
    if (output.end) connection.end();
  }

  /**
   * Whether output has waited longer than `deadlineMs` without any of it
   * getting to the peer: a peer that vanished with output pending, which
   * TCP keepalive (it probes idle connections only) would not notice.
   */
  stalled(deadlineMs: number): boolean {
    const pending = this.connection.pendingBytes;
    if (pending === 0) return false;
    // Some of it got to the kernel since the last look: the deadline counts from now.
    const sent = this.handedBytes - pending;
    if (sent > this.sentSeen) {
      this.sentSeen = sent;
      this.lastWriteProgress = this.clock();
      return false;
    }
    return this.clock() - this.lastWriteProgress > deadlineMs;
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
  /** Big rooms' batches lines were added to this turn: a failed commit takes its lines out of them. */
  private touched = new Set<RoomBatch>();
  /** Outboxes holding only big rooms' lines, written by the timer (or sooner). */
  private waiting = new Set<Outbox>();
  private holdTimer: TimerHandle | undefined;
  private holdTimerAt = Infinity;
  private lastArrivalAt = -Infinity;
  private deferredSince: number | undefined;
  /** The last asynchronous commit-then-write; later turns write after it. */
  private writeChain: Promise<void> | undefined;

  /** `timers` measure big rooms' deadlines and hold their output. */
  constructor(
    private readonly deps: TurnDeps<P>,
    private readonly timers: Timers = backgroundTimers,
  ) {}

  /** A connection arrived: while they keep arriving, output waits briefly (see flushTurn). */
  noteArrival(): void {
    this.lastArrivalAt = performance.now();
  }

  /** Appends a line to the room's open batch, opening one (held by every member) when needed. */
  broadcast(room: RoomAudience, line: Buffer, except?: { readonly outbox: Outbox }): void {
    let batch = this.batches.get(room);
    if (batch === undefined || !batch.open || batch.epoch !== room.epoch) {
      const delay = bigRoomDelayMs(memberCount(room.members));
      batch = new RoomBatch(room.epoch, delay === 0 ? undefined : this.timers.now() + delay);
      this.batches.set(room, batch);
      if (!this.scheduled) this.schedule();
      for (const member of room.members) member.outbox.addBatch(batch);
    }
    // The one member it is not for skips it inside the shared batch: no copy per member.
    const skipping = except?.outbox.stopBefore(batch) === true;
    batch.append(line);
    if (skipping) except!.outbox.resumeAfter(batch);
    // A big room's batch outlives the turn: a failed commit must find its lines there (a small one's are in the dirty outboxes).
    if (batch.deadline !== undefined) {
      this.touched.add(batch);
      // Lines for members already waiting: the turn still commits them.
      if (!this.scheduled) this.schedule();
    }
  }

  memberJoined(room: RoomAudience, member: { readonly outbox: Outbox }): void {
    const batch = this.followingBatch(room);
    if (batch !== undefined) member.outbox.joinBatch(batch);
  }

  memberLeft(room: RoomAudience, member: { readonly outbox: Outbox }): void {
    const batch = this.followingBatch(room);
    if (batch !== undefined) member.outbox.leaveBatch(batch);
  }

  /**
   * A big room's open batch that can follow the one membership change just
   * made (its epoch one behind the room's), now moved to the new epoch;
   * undefined when the next line opens a new batch instead.
   */
  private followingBatch(room: RoomAudience): RoomBatch | undefined {
    const batch = this.batches.get(room);
    if (batch === undefined || !batch.open || batch.deadline === undefined || batch.epoch !== room.epoch - 1) return undefined;
    batch.epoch = room.epoch;
    return batch;
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
    const now = this.timers.now();
    const expired = this.closeExpired(now);
    const dirty = this.takeDue(now, force, timer || expired);
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
    this.timers.clearTimeout(this.holdTimer);
    this.holdTimerAt = at;
    this.holdTimer = this.timers.setTimeout(this.holdTimerFired, Math.max(1, Math.ceil(at - now)));
  }

  private readonly holdTimerFired = (): void => {
    this.holdTimer = undefined;
    this.holdTimerAt = Infinity;
    this.flushNow(false, true);
  };

  /** Big rooms' batches whose time has come take no more lines; true when there were any (their holders are due). */
  private closeExpired(now: number): boolean {
    let any = false;
    for (const [room, batch] of this.batches) {
      if (batch.deadline === undefined || batch.deadline > now + 1) continue;
      batch.close();
      this.batches.delete(room);
      any = true;
    }
    return any;
  }

  private refuse(pledges: readonly P[], err: unknown, retract: (lines: ReadonlySet<Buffer>) => void): void {
    if (pledges.length > 0) {
      const lines = new Set<Buffer>();
      for (const pledge of pledges) for (const line of pledge.lines) lines.add(line);
      retract(lines);
    }
    this.deps.notStored(pledges, err);
  }
}
