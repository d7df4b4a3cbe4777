import { isUnset, tomlLiteral } from '../cli/config-file.js';
import { fileKey } from '../cli/option-kit.js';
import { serverFlags, type ServerOptions } from './options.js';
import { redactUrl } from './redis-connections.js';

// What a running server does with settings read again on SIGHUP: which ones
// it takes on (at once, or for connections that arrive from now on) and
// which ones need a restart. Pure: the server applies, main logs.

/** How far a changed setting reaches without a restart. */
export type Reach = 'now' | 'new connections' | 'restart';

/**
 * The settings a running server takes on; every other one needs a restart.
 * 'now' ones are read where they are used, every time; 'new connections'
 * ones are copied into each session when it starts.
 */
export const LIVE_SETTINGS: Readonly<Partial<Record<keyof ServerOptions, Exclude<Reach, 'restart'>>>> = {
  maxMessageChars: 'now',
  maxConnections: 'now',
  maxPerIp: 'now',
  limitLoopback: 'now',
  historyMax: 'now',
  mailboxMax: 'now',
  mailboxMaxBytes: 'now',
  outputCapBytes: 'now',
  writeTimeoutMs: 'now',
  logLevel: 'now',
  operators: 'now',
  minPasswordLength: 'now',
  motd: 'now',
  rateLimit: 'new connections',
  rateBurst: 'new connections',
  loginTimeoutMs: 'new connections',
  maxLineBytes: 'new connections',
};

export interface SettingChange {
  key: keyof ServerOptions;
  /** As the config file names it. */
  setting: string;
  /** As the config file writes them (a Redis password masked). */
  from: string;
  to: string;
  reach: Reach;
}

/** The settings that differ between `current` and `next`, in the option table's order. */
export function settingChanges(current: ServerOptions, next: ServerOptions): SettingChange[] {
  const changes: SettingChange[] = [];
  for (const spec of serverFlags.table) {
    const before = current[spec.key];
    const after = next[spec.key];
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    const show = (value: unknown): string => {
      const shown = serverFlags.toFile(spec, spec.key === 'redisUrl' && value !== '' ? redactUrl(String(value)) : value);
      return isUnset(shown) ? 'not set' : tomlLiteral(shown);
    };
    changes.push({ key: spec.key, setting: fileKey(spec), from: show(before), to: show(after), reach: LIVE_SETTINGS[spec.key] ?? 'restart' });
  }
  return changes;
}

/** Copies the live settings of `next` into `options` (the running server's own object); the rest stay. */
export function applyLive(options: ServerOptions, changes: readonly SettingChange[], next: ServerOptions): void {
  const target = options as unknown as Record<string, unknown>;
  for (const change of changes) {
    if (change.reach === 'restart') continue;
    const value = next[change.key];
    target[change.key] = Array.isArray(value) ? [...value] : value;
  }
}
