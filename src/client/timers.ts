// Time as an injected dependency (reconnect backoff, heartbeats, pacing), so
// unit tests drive it with a fake clock instead of sleeping.

export type TimerHandle = { readonly id: unknown };

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => ({ id: setTimeout(fn, ms) }),
  clearTimeout: (handle) => {
    if (handle !== undefined) clearTimeout(handle.id as ReturnType<typeof setTimeout>);
  },
};
