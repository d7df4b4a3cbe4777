// Per-receiver accounting of one group's senders: lost, duplicated and
// reordered lines. Sequence numbers start at 1 per sender and every sender
// writes them in order, so on an ordered transport each receiver should see
// 1, 2, 3, … from each sender. A gap is remembered as missing; a missing
// number arriving later is a reordering, any other number at or below the
// highest seen is a duplicate. What is still missing at the end, plus what
// never arrived after the highest seen, is lost.

/** Gaps wider than this are counted as lost without remembering each number. */
export const MAX_TRACKED_GAP = 100_000;

export type SeqOutcome = 'next' | 'gap' | 'duplicate' | 'reordered' | 'foreign';

export interface LossCounts {
  received: number;
  lost: number;
  duplicated: number;
  reordered: number;
  foreign: number;
}

export class SequenceTracker {
  /** Highest sequence number seen per sender slot (0 = none yet). */
  private readonly highest: Float64Array;
  private missing: Set<number> | undefined;
  /** Numbers skipped in gaps too wide to remember one by one. */
  private untrackedGaps = 0;
  received = 0;
  duplicated = 0;
  reordered = 0;
  foreign = 0;

  /** Senders `senderBase … senderBase + senderCount - 1`. */
  constructor(
    readonly senderBase: number,
    readonly senderCount: number,
  ) {
    this.highest = new Float64Array(senderCount);
  }

  record(sender: number, seq: number): SeqOutcome {
    const slot = sender - this.senderBase;
    if (slot < 0 || slot >= this.senderCount || seq < 1) {
      this.foreign++;
      return 'foreign';
    }
    this.received++;
    const top = this.highest[slot]!;
    if (seq === top + 1) {
      this.highest[slot] = seq;
      return 'next';
    }
    if (seq > top) {
      const gap = seq - top - 1;
      if (gap > MAX_TRACKED_GAP) {
        this.untrackedGaps += gap;
      } else {
        this.missing ??= new Set();
        for (let s = top + 1; s < seq; s++) this.missing.add(key(slot, s));
      }
      this.highest[slot] = seq;
      return 'gap';
    }
    if (this.missing?.delete(key(slot, seq))) {
      this.reordered++;
      return 'reordered';
    }
    this.duplicated++;
    return 'duplicate';
  }

  /** Final figures, given how many lines each sender sent (indexed by global sender id). */
  counts(sentBySender: ArrayLike<number>): LossCounts {
    let lost = (this.missing?.size ?? 0) + this.untrackedGaps;
    for (let slot = 0; slot < this.senderCount; slot++) {
      const sent = sentBySender[this.senderBase + slot] ?? 0;
      lost += Math.max(0, sent - this.highest[slot]!);
    }
    return { received: this.received, lost, duplicated: this.duplicated, reordered: this.reordered, foreign: this.foreign };
  }
}

function key(slot: number, seq: number): number {
  return slot * 4_294_967_296 + seq;
}

/** Loss for a receiver that only counted lines: expected vs counted. */
export function countOnlyLoss(expected: number, counted: number): { lost: number; surplus: number } {
  return { lost: Math.max(0, expected - counted), surplus: Math.max(0, counted - expected) };
}

export function addLoss(a: LossCounts, b: LossCounts): LossCounts {
  return {
    received: a.received + b.received,
    lost: a.lost + b.lost,
    duplicated: a.duplicated + b.duplicated,
    reordered: a.reordered + b.reordered,
    foreign: a.foreign + b.foreign,
  };
}

export const NO_LOSS: LossCounts = Object.freeze({ received: 0, lost: 0, duplicated: 0, reordered: 0, foreign: 0 });
