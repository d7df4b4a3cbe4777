import { describe, expect, it } from 'vitest';
import { MAX_TRACKED_GAP, SequenceTracker, addLoss, countOnlyLoss, NO_LOSS } from '../../src/bench/accounting.js';

describe('bench loss accounting', () => {
  it('counts an in-order stream from every sender as complete', () => {
    const t = new SequenceTracker(10, 3);
    for (let seq = 1; seq <= 5; seq++) for (const s of [10, 11, 12]) expect(t.record(s, seq)).toBe('next');
    expect(t.counts(sent({ 10: 5, 11: 5, 12: 5 }))).toEqual({ received: 15, lost: 0, duplicated: 0, reordered: 0, foreign: 0 });
  });

  it('counts lines never received, in gaps and after the last one seen', () => {
    const t = new SequenceTracker(0, 2);
    for (const seq of [1, 2, 5, 6]) t.record(0, seq); // 3, 4 missing
    for (const seq of [1, 2]) t.record(1, seq); // 3 … 4 never came
    expect(t.counts(sent({ 0: 6, 1: 4 }))).toMatchObject({ received: 6, lost: 4, duplicated: 0, reordered: 0 });
  });

  it('tells a late line (reordered) from a repeated one (duplicate)', () => {
    const t = new SequenceTracker(0, 1);
    expect(t.record(0, 1)).toBe('next');
    expect(t.record(0, 3)).toBe('gap');
    expect(t.record(0, 2)).toBe('reordered');
    expect(t.record(0, 2)).toBe('duplicate');
    expect(t.record(0, 3)).toBe('duplicate');
    expect(t.record(0, 4)).toBe('next');
    expect(t.counts(sent({ 0: 4 }))).toEqual({ received: 6, lost: 0, duplicated: 2, reordered: 1, foreign: 0 });
  });

  it('sets aside senders outside the group and nonsense numbers', () => {
    const t = new SequenceTracker(5, 2);
    expect(t.record(4, 1)).toBe('foreign');
    expect(t.record(7, 1)).toBe('foreign');
    expect(t.record(5, 0)).toBe('foreign');
    expect(t.counts(sent({ 5: 0, 6: 0 }))).toMatchObject({ received: 0, foreign: 3, lost: 0 });
  });

  it('counts a gap too wide to remember as lost without holding each number', () => {
    const t = new SequenceTracker(0, 1);
    t.record(0, 1);
    t.record(0, MAX_TRACKED_GAP + 3);
    expect(t.counts(sent({ 0: MAX_TRACKED_GAP + 3 })).lost).toBe(MAX_TRACKED_GAP + 1);
  });

  it('judges count-only receivers by their total', () => {
    expect(countOnlyLoss(100, 100)).toEqual({ lost: 0, surplus: 0 });
    expect(countOnlyLoss(100, 97)).toEqual({ lost: 3, surplus: 0 });
    expect(countOnlyLoss(100, 102)).toEqual({ lost: 0, surplus: 2 });
  });

  it('adds figures across receivers', () => {
    const a = { received: 1, lost: 2, duplicated: 3, reordered: 4, foreign: 5 };
    expect(addLoss(addLoss(NO_LOSS, a), a)).toEqual({ received: 2, lost: 4, duplicated: 6, reordered: 8, foreign: 10 });
  });
});

function sent(bySender: Record<number, number>): number[] {
  const out: number[] = [];
  for (const [s, n] of Object.entries(bySender)) out[Number(s)] = n;
  return out;
}
