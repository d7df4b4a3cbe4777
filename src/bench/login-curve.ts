// Figures of a stream of logins (the trickle, the storm with a few in
// flight, the growth scenario's extra logins): from when each login was
// done, counted from the first connect. Pure: no I/O.

import { percentile } from './histogram.js';

export interface LoginCurve {
  /** Logins attempted. */
  logins: number;
  /** Logins done (SUCCESS, history, own join line) by the end or the cut-off. */
  done: number;
  /** First connect to the last login done, ms; NaN unless every login was done. */
  allInMs: number;
  /** First connect to the last login done, ms, however many were done. */
  lastDoneMs: number;
  /** Logins/s over the first `chunk` done: `chunk` ÷ the time of the `chunk`-th. */
  firstRate: number;
  /** Logins/s over the last `chunk` done: `chunk` ÷ the time from the one before them to the last. */
  lastRate: number;
  /** All done ÷ the time of the last. */
  meanRate: number;
  /** One login, from its own connect to its own join line. */
  ownP50: number;
  ownP99: number;
}

/**
 * How many logins the first and last rates are taken over: 1,000 of a
 * 10,000 trickle, a tenth of a smaller one, so both ends still differ.
 */
export function curveChunk(logins: number): number {
  return Math.min(1000, Math.max(1, Math.floor(logins / 10)));
}

/**
 * `doneMs[i]`: when login i was done, ms from the first connect (NaN when it
 * was not); `ownMs[i]`: its own duration (NaN when not done).
 */
export function loginCurve(doneMs: readonly number[], ownMs: readonly number[], chunk = curveChunk(doneMs.length)): LoginCurve {
  const times = doneMs.filter((t) => Number.isFinite(t)).sort((a, b) => a - b);
  const own = ownMs.filter((t) => Number.isFinite(t));
  const done = times.length;
  const rate = (count: number, fromMs: number, toMs: number): number => (toMs > fromMs ? count / ((toMs - fromMs) / 1000) : NaN);
  const first = Math.min(chunk, done);
  const last = times[done - 1] ?? NaN;
  return {
    logins: doneMs.length,
    done,
    allInMs: done === doneMs.length && done > 0 ? last : NaN,
    lastDoneMs: last,
    firstRate: done === 0 ? NaN : rate(first, 0, times[first - 1]!),
    // With fewer than `chunk` done, the last ones are all of them, from the first connect.
    lastRate: done === 0 ? NaN : done > chunk ? rate(chunk, times[done - chunk - 1]!, last) : rate(done, 0, last),
    meanRate: done === 0 ? NaN : rate(done, 0, last),
    ownP50: percentile(own, 50),
    ownP99: percentile(own, 99),
  };
}
