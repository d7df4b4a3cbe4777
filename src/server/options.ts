// The server's options: one table drives the defaults, commander's flags,
// `--help` and the README's flag table.

export interface ServerOptions {
  host: string;
  port: number;
  dataDir: string;
  maxLineBytes: number;
  maxMessageChars: number;
  rateLimit: number;
  rateBurst: number;
  maxConnections: number;
  maxPerIp: number;
  limitLoopback: boolean;
  loginTimeoutMs: number;
  loginFailures: number;
  historyReplay: number;
  historyMax: number;
  mailboxMax: number;
  mailboxMaxBytes: number;
  outputCapBytes: number;
  keepAliveMs: number;
  writeTimeoutMs: number;
  logLevel: LogLevel;
  logJson: boolean;
  /** Cluster mode when set: redis://host:port[/db]. */
  redisUrl: string;
  workers: number;
}

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 65432;
export const DEFAULT_DATA_DIR = 'data';
export const DEFAULT_MAX_LINE_BYTES = 4096;
export const DEFAULT_MAX_MESSAGE_CHARS = 2000;
export const DEFAULT_RATE_LIMIT = 5;
export const DEFAULT_RATE_BURST = 10;
export const DEFAULT_MAX_CONNECTIONS = 10_000;
export const DEFAULT_MAX_PER_IP = 20;
export const DEFAULT_LOGIN_TIMEOUT_MS = 60_000;
export const DEFAULT_LOGIN_FAILURES = 3;
export const DEFAULT_HISTORY_REPLAY = 20;
export const DEFAULT_HISTORY_MAX = 500;
export const DEFAULT_MAILBOX_MAX = 500;
export const DEFAULT_MAILBOX_MAX_BYTES = 256 * 1024;
export const DEFAULT_OUTPUT_CAP_BYTES = 256 * 1024;
export const DEFAULT_KEEPALIVE_MS = 30_000;
export const DEFAULT_WRITE_TIMEOUT_MS = 60_000;

export function defaultOptions(): ServerOptions {
  return {
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    dataDir: DEFAULT_DATA_DIR,
    maxLineBytes: DEFAULT_MAX_LINE_BYTES,
    maxMessageChars: DEFAULT_MAX_MESSAGE_CHARS,
    rateLimit: DEFAULT_RATE_LIMIT,
    rateBurst: DEFAULT_RATE_BURST,
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    maxPerIp: DEFAULT_MAX_PER_IP,
    limitLoopback: false,
    loginTimeoutMs: DEFAULT_LOGIN_TIMEOUT_MS,
    loginFailures: DEFAULT_LOGIN_FAILURES,
    historyReplay: DEFAULT_HISTORY_REPLAY,
    historyMax: DEFAULT_HISTORY_MAX,
    mailboxMax: DEFAULT_MAILBOX_MAX,
    mailboxMaxBytes: DEFAULT_MAILBOX_MAX_BYTES,
    outputCapBytes: DEFAULT_OUTPUT_CAP_BYTES,
    keepAliveMs: DEFAULT_KEEPALIVE_MS,
    writeTimeoutMs: DEFAULT_WRITE_TIMEOUT_MS,
    logLevel: 'info',
    logJson: false,
    redisUrl: '',
    workers: 1,
  };
}

type Kind = 'int' | 'string' | 'boolean' | 'seconds' | 'kib' | 'level' | 'url';

export interface OptionSpec {
  key: keyof ServerOptions;
  flag: string;
  kind: Kind;
  /** Smallest accepted value for numeric options. */
  min?: number;
  description: string;
}

/** Every flag of `chat-server`, in `--help` order. */
export const OPTION_TABLE: readonly OptionSpec[] = [
  { key: 'host', flag: '--host <address>', kind: 'string', description: 'address to listen on' },
  { key: 'port', flag: '--port <number>', kind: 'int', min: 0, description: 'TCP port (0 picks a free one)' },
  { key: 'dataDir', flag: '--data-dir <path>', kind: 'string', description: 'folder for the database (created on first use)' },
  { key: 'maxLineBytes', flag: '--max-line-bytes <n>', kind: 'int', min: 64, description: 'longest accepted line, in bytes (LINE_TOO_LONG)' },
  { key: 'maxMessageChars', flag: '--max-message <n>', kind: 'int', min: 1, description: 'longest message, in characters (MESSAGE_TOO_LONG)' },
  { key: 'rateLimit', flag: '--rate-limit <n>', kind: 'int', min: 0, description: 'messages per second per session, 0 for no limit (RATE_LIMITED)' },
  { key: 'rateBurst', flag: '--rate-burst <n>', kind: 'int', min: 1, description: 'messages a session may send at once before the rate applies' },
  { key: 'maxConnections', flag: '--max-connections <n>', kind: 'int', min: 1, description: 'open connections in all (SERVER_FULL)' },
  { key: 'maxPerIp', flag: '--max-per-ip <n>', kind: 'int', min: 1, description: 'open connections per client address (SERVER_FULL)' },
  { key: 'limitLoopback', flag: '--limit-loopback', kind: 'boolean', description: 'apply --max-per-ip to loopback addresses too' },
  { key: 'loginTimeoutMs', flag: '--login-timeout <seconds>', kind: 'seconds', min: 1, description: 'time a connection has to log in (TIMEOUT)' },
  { key: 'loginFailures', flag: '--login-failures <n>', kind: 'int', min: 1, description: 'wrong passwords per minute from one address for one name (3 times as many over all names)' },
  { key: 'historyReplay', flag: '--history-replay <n>', kind: 'int', min: 0, description: 'room messages replayed on login and JOIN' },
  { key: 'historyMax', flag: '--history-max <n>', kind: 'int', min: 1, description: 'most messages one HISTORY|n returns' },
  { key: 'mailboxMax', flag: '--mailbox-max <n>', kind: 'int', min: 1, description: 'private messages kept for one offline user (MAILBOX_FULL past it)' },
  { key: 'mailboxMaxBytes', flag: '--mailbox-max-kib <kib>', kind: 'kib', min: 1, description: 'text kept for one offline user, in KiB (MAILBOX_FULL past it)' },
  { key: 'outputCapBytes', flag: '--output-cap <kib>', kind: 'kib', min: 1, description: 'unsent output a client may leave queued before it is dropped, in KiB' },
  { key: 'keepAliveMs', flag: '--keepalive <seconds>', kind: 'seconds', min: 1, description: 'TCP keepalive idle time before dead peers are probed' },
  { key: 'writeTimeoutMs', flag: '--write-timeout <seconds>', kind: 'seconds', min: 1, description: 'a client whose pending output makes no progress this long is dropped (a vanished peer)' },
  { key: 'logLevel', flag: '--log-level <level>', kind: 'level', description: `log detail: ${LOG_LEVELS.join(', ')}` },
  { key: 'logJson', flag: '--log-json', kind: 'boolean', description: 'log JSON lines instead of text' },
  {
    key: 'redisUrl',
    flag: '--redis <url>',
    kind: 'url',
    description: 'cluster mode: share rooms, presence, history and accounts through Redis at redis://host:port[/db] (or CHAT_REDIS_URL)',
  },
  { key: 'workers', flag: '--workers <n>', kind: 'int', min: 1, description: 'server processes on this port, each a cluster node (needs --redis when above 1)' },
];

/** Checks a --redis value; throws a one-line Error when it is not a redis:// URL. */
export function checkRedisUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--redis must be a URL like redis://127.0.0.1:6379, got '${text}'`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`--redis must start with redis:// or rediss://, got '${text}'`);
  }
  return text;
}

/** How a default is shown in `--help` and the README. */
export function describeDefault(spec: OptionSpec, defaults: ServerOptions = defaultOptions()): string {
  const value = defaults[spec.key];
  switch (spec.kind) {
    case 'seconds':
      return `${(value as number) / 1000}`;
    case 'kib':
      return `${(value as number) / 1024}`;
    case 'boolean':
      return value ? 'on' : 'off';
    case 'url':
      return value === '' ? 'off' : String(value);
    default:
      return String(value);
  }
}

/** Parses one flag's text value; throws a one-line Error on a bad value. */
export function parseOptionValue(spec: OptionSpec, text: string): ServerOptions[keyof ServerOptions] {
  const name = spec.flag.split(' ')[0];
  switch (spec.kind) {
    case 'string':
      if (text.trim() === '') throw new Error(`${name} must not be empty`);
      return text;
    case 'level':
      if (!(LOG_LEVELS as readonly string[]).includes(text)) {
        throw new Error(`${name} must be one of ${LOG_LEVELS.join(', ')}, got '${text}'`);
      }
      return text as LogLevel;
    case 'boolean':
      return true;
    case 'url':
      return checkRedisUrl(text);
    case 'int':
    case 'seconds':
    case 'kib': {
      const integer = spec.kind === 'int';
      const pattern = integer ? /^[0-9]+$/ : /^[0-9]+(\.[0-9]+)?$/;
      const n = Number(text);
      if (!pattern.test(text) || !Number.isFinite(n)) {
        throw new Error(`${name} must be a ${integer ? 'whole ' : ''}number, got '${text}'`);
      }
      if (spec.min !== undefined && n < spec.min) throw new Error(`${name} must be at least ${spec.min}, got ${text}`);
      if (spec.key === 'port' && n > 65535) throw new Error(`${name} must be at most 65535, got ${text}`);
      if (spec.kind === 'seconds') return Math.round(n * 1000);
      if (spec.kind === 'kib') return Math.round(n * 1024);
      return n;
    }
  }
}

/** The README's flag table, generated here so the two cannot drift apart. */
export function flagTableMarkdown(): string {
  const rows = OPTION_TABLE.map((spec) => {
    const cell = (text: string): string => text.replaceAll('|', '\\|');
    return `| \`${spec.flag}\` | ${cell(describeDefault(spec))} | ${cell(spec.description)} |`;
  });
  return ['| flag | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
