// Time stamps of message lines, in local time.

export interface Stamp {
  /** `HH:MM`, or `YYYY-MM-DD HH:MM` for another day than today. */
  text: string;
  /** For the `datetime` attribute; '' when the time is unknown. */
  iso: string;
  /** The full local date and time, for a tooltip. */
  title: string;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** `HH:MM` in local time. */
export function clockTime(date: Date): string {
  return `${two(date.getHours())}:${two(date.getMinutes())}`;
}

function localDate(date: Date): string {
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
}

/** The stamp of a line at `at` (ms), seen at `now`. A bad time (a malformed HISTORY line) shows as `--:--`. */
export function stampFor(at: number, now: number): Stamp {
  const date = new Date(at);
  if (!Number.isFinite(at) || Number.isNaN(date.getTime())) return { text: '--:--', iso: '', title: 'unknown time' };
  const day = localDate(date);
  const text = day === localDate(new Date(now)) ? clockTime(date) : `${day} ${clockTime(date)}`;
  return { text, iso: date.toISOString(), title: `${day} ${clockTime(date)}:${two(date.getSeconds())}` };
}
