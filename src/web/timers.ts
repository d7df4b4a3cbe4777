// Time as a dependency of the page's logic, shaped like the terminal
// client's (src/cli/timers.ts, which is node-bound), so tests drive it with
// a fake clock instead of sleeping.

export type TimerHandle = { readonly id: unknown };

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}
