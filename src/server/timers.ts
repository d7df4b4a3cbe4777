// Time as an injected dependency: the login deadline, legacy framing's
// quiet spell and the login reply's gap run on these, so tests drive them
// with a fake clock instead of sleeping.

export type TimerHandle = { readonly id: unknown };

export interface Timers {
  now(): number;
  /** A timer that does not keep the process alive. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => ({ id: setTimeout(fn, ms).unref() }),
  clearTimeout: (handle) => {
    if (handle !== undefined) clearTimeout(handle.id as ReturnType<typeof setTimeout>);
  },
};

/** Resolves after `ms` on the given timers. */
export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.setTimeout(resolve, ms));
}
