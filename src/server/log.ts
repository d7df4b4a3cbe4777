import type { LogLevel } from './options.js';

// One line per event on stderr: `time LEVEL event key=value …`, or a JSON
// object per line with --log-json. Values from the network are JSON-quoted
// so a hostile name or message can never forge a log line.

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  error(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  debug(event: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const SAFE_VALUE = /^[A-Za-z0-9_.:/@+-]*$/;

/** JSON-quotes, escaping also C1 controls and line separators, which JSON leaves raw. */
function quote(text: string): string {
  return JSON.stringify(text).replace(/[\u0080-\u009f\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function formatText(time: Date, level: LogLevel, event: string, fields: LogFields): string {
  let line = `${time.toISOString()} ${level.toUpperCase().padEnd(5)} ${event}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = String(value);
    line += ` ${key}=${SAFE_VALUE.test(text) && text !== '' ? text : quote(text)}`;
  }
  return line;
}

/** `options.level` is read at each event: the caller may change it (settings read again on SIGHUP). */
export function createLogger(
  options: { level: LogLevel; json: boolean },
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  now: () => Date = () => new Date(),
): Logger {
  const log = (level: LogLevel, event: string, fields: LogFields = {}): void => {
    if (RANK[level] > RANK[options.level]) return;
    const time = now();
    write(options.json ? JSON.stringify({ time: time.toISOString(), level, event, ...fields }) : formatText(time, level, event, fields));
  };
  return {
    error: (event, fields) => log('error', event, fields),
    warn: (event, fields) => log('warn', event, fields),
    info: (event, fields) => log('info', event, fields),
    debug: (event, fields) => log('debug', event, fields),
  };
}
