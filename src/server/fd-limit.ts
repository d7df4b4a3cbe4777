import { readFileSync } from 'node:fs';

// The process's open-file limit (ulimit -n). Past it, accept() fails and a
// client is closed without a word; the connection cap must stay below it.

/** Descriptors kept for the database, its WAL, the checkpoint thread, Redis, logs and the listeners. */
export const FD_RESERVE = 64;

/** The soft limit on open files, or undefined where it cannot be read (not Linux). */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (match === null) return undefined;
  return match[1] === 'unlimited' ? Infinity : Number(match[1]);
}

/** The connection cap that fits under the open-file limit. */
export function connectionCap(maxConnections: number, fileLimit: number | undefined): number {
  if (fileLimit === undefined || !Number.isFinite(fileLimit)) return maxConnections;
  return Math.max(1, Math.min(maxConnections, fileLimit - FD_RESERVE));
}
