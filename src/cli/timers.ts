// Time as an injected dependency (the client's reconnect backoff, heartbeats
// and pacing; the server's login deadline, legacy framing and directory
// heartbeat), so tests drive it with a fake clock instead of sleeping.

export type TimerHandle = { readonly id: unknown };

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

function nodeTimers(keepAlive: boolean): Timers {
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => {
      const timer = setTimeout(fn, ms);
      if (!keepAlive) timer.unref();
      return { id: timer };
    },
    clearTimeout: (handle) => {
      if (handle !== undefined) clearTimeout(handle.id as ReturnType<typeof setTimeout>);
    },
  };
}

/** Timers that keep the process alive while they wait (the client waiting to reconnect). */
export const realTimers: Timers = nodeTimers(true);

/** Timers that do not keep the process alive (a server's deadlines end with it). */
export const backgroundTimers: Timers = nodeTimers(false);

/** Resolves after `ms` on the given timers. */
export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.setTimeout(resolve, ms));
}
