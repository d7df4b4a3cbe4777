import { checkName } from '../protocol/index.js';
import { OptionValueError, envName, flagName, optionKit, parseNonEmpty, parseNumber, type FlagSpec, type ValueKind } from '../cli/option-kit.js';

// The server's options: one table drives the defaults, commander's flags,
// the CHAT_ environment variables, the config file's keys, `--help` and the
// README's flag table (through src/cli/option-kit.ts).

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
  /** PEM files of the TLS listener; both or neither. */
  tlsCert: string;
  tlsKey: string;
  tlsPort: number;
  /** The plain TCP listener on --port (off: TLS only). */
  plain: boolean;
  /** Accept passwords over plain TCP from other machines while a TLS listener exists. */
  plainPasswords: boolean;
  /** Cluster mode when set: redis://[:password@]host:port[/db], or rediss:// for TLS. */
  redisUrl: string;
  /** A PEM file of the CA that signed Redis's certificate, for rediss:// ('' for the system's CAs). */
  redisCa: string;
  workers: number;
  /** Registered names that may moderate (KICK, BAN, MUTE…), besides those granted in the store. */
  operators: string[];
  /** Shortest password of a new account or a new password, in characters. */
  minPasswordLength: number;
  /** The TOML file the settings were read from ('' for none). */
  config: string;
  /** A text file whose lines go to everyone who logs in ('' for none). */
  motd: string;
  /** The HTTP port of /metrics and /healthz; -1: off. */
  metricsPort: number;
  metricsHost: string;
  /** The IRC listener's port; -1: off. */
  ircPort: number;
  /** The IRC-over-TLS listener's port (with --tls-cert); -1: off. */
  ircTlsPort: number;
  /** The IRC server name ('' for the host name). */
  serverName: string;
  /** The web page and its WebSocket's port; -1: off. */
  webPort: number;
  /** The same over HTTPS and WSS (with --tls-cert); -1: off. */
  webTlsPort: number;
  /** Origins a browser's WebSocket may come from; none given: the page's own. */
  webOrigins: string[];
}

/** Every flag's environment variable is this and the flag in upper snake case (CHAT_MAX_MESSAGE). */
export const ENV_PREFIX = 'CHAT_';
/** Where cluster mode's Redis URL may come from instead of --redis (named before the rule above). */
export const REDIS_URL_ENV = 'CHAT_REDIS_URL';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 65432;
export const DEFAULT_TLS_PORT = 65433;
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
export const DEFAULT_MIN_PASSWORD_LENGTH = 8;

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
    tlsCert: '',
    tlsKey: '',
    tlsPort: DEFAULT_TLS_PORT,
    plain: true,
    plainPasswords: false,
    redisUrl: '',
    redisCa: '',
    workers: 1,
    operators: [],
    minPasswordLength: DEFAULT_MIN_PASSWORD_LENGTH,
    config: '',
    motd: '',
    metricsPort: -1,
    metricsHost: DEFAULT_HOST,
    ircPort: -1,
    ircTlsPort: -1,
    serverName: '',
    webPort: -1,
    webTlsPort: -1,
    webOrigins: [],
  };
}

type Kind = 'int' | 'string' | 'file' | 'boolean' | 'seconds' | 'kib' | 'level' | 'url' | 'names' | 'port-or-off' | 'server-name' | 'origins';

export type OptionSpec = FlagSpec<keyof ServerOptions, Kind>;

/** Every flag of `chat-server`, in `--help` order; each also a CHAT_ variable and a config file key. */
export const OPTION_TABLE: readonly OptionSpec[] = withEnv([
  {
    key: 'config',
    flag: '--config <file>',
    kind: 'file',
    description: 'read settings from this TOML file, its keys the long flag names (port = 7000); flags and variables win over it',
  },
  { key: 'host', flag: '--host <address>', kind: 'string', description: 'address to listen on' },
  { key: 'port', flag: '--port <number>', kind: 'int', min: 0, max: 65535, description: 'TCP port (0 picks a free one)' },
  { key: 'tlsCert', flag: '--tls-cert <file>', kind: 'file', description: 'PEM certificate (chain) of a TLS listener on --tls-port; needs --tls-key' },
  { key: 'tlsKey', flag: '--tls-key <file>', kind: 'file', description: 'PEM private key of the TLS certificate (SIGHUP reloads both)' },
  { key: 'tlsPort', flag: '--tls-port <number>', kind: 'int', min: 0, max: 65535, description: 'TLS port, with --tls-cert (0 picks a free one)' },
  { key: 'plain', flag: '--no-plain', kind: 'boolean', description: 'turn the plain TCP listener on --port off: TLS only (needs --tls-cert)' },
  {
    key: 'plainPasswords',
    flag: '--plain-passwords',
    kind: 'boolean',
    description: 'with a TLS listener, still accept passwords over plain TCP from other machines (TLS_REQUIRED otherwise)',
  },
  {
    key: 'operators',
    flag: '--operator <name>',
    kind: 'names',
    description: 'a registered name that may KICK, BAN and MUTE once logged in with its password (repeat for more; see also chat-server accounts operator)',
  },
  { key: 'minPasswordLength', flag: '--min-password-length <n>', kind: 'int', min: 1, max: 1024, description: 'shortest password of a new account or PASSWORD change, in characters (BAD_PASSWORD)' },
  { key: 'motd', flag: '--motd <file>', kind: 'file', description: 'a message of the day: each line of the file goes as SYSTEM| to everyone who logs in (SIGHUP reads it again)' },
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
    env: REDIS_URL_ENV,
    description: 'cluster mode: share rooms, presence, history and accounts through Redis at redis://[:password@]host:port[/db] (rediss:// for TLS)',
  },
  { key: 'redisCa', flag: '--redis-ca <file>', kind: 'file', description: "with rediss://: trust the CA in this PEM file for Redis's certificate" },
  {
    key: 'metricsPort',
    flag: '--metrics-port <number>',
    kind: 'port-or-off',
    min: 0,
    max: 65535,
    description: 'serve GET /metrics (Prometheus) and GET /healthz over HTTP on this port (0 picks a free one)',
  },
  { key: 'metricsHost', flag: '--metrics-host <address>', kind: 'string', description: 'address of the --metrics-port listener' },
  { key: 'ircPort', flag: '--irc-port <number>', kind: 'port-or-off', min: 0, max: 65535, description: 'an IRC listener on this port (6667 is usual; 0 picks a free one): IRC clients join the same rooms as #room' },
  {
    key: 'ircTlsPort',
    flag: '--irc-tls-port <number>',
    kind: 'port-or-off',
    min: 0,
    max: 65535,
    description: 'IRC over TLS on this port, with --tls-cert (6697 is usual; 0 picks a free one)',
  },
  { key: 'serverName', flag: '--server-name <name>', kind: 'server-name', description: "the IRC server's name, the source of its replies (default: this machine's host name)" },
  {
    key: 'webPort',
    flag: '--web-port <number>',
    kind: 'port-or-off',
    min: 0,
    max: 65535,
    description: 'serve the web page and its WebSocket (/ws) over HTTP on this port (0 picks a free one): browsers join the same rooms',
  },
  { key: 'webTlsPort', flag: '--web-tls-port <number>', kind: 'port-or-off', min: 0, max: 65535, description: 'the web page over HTTPS and WSS on this port, with --tls-cert (0 picks a free one)' },
  {
    key: 'webOrigins',
    flag: '--web-origin <origin>',
    kind: 'origins',
    description: "an origin (https://chat.example.org) whose pages may open the WebSocket (repeat for more; default: the page's own); others get 403",
  },
  { key: 'workers', flag: '--workers <n>', kind: 'int', min: 1, description: 'server processes on this port, each a cluster node (needs --redis when above 1)' },
]);

/** Gives each spec its CHAT_ variable, unless it names its own. */
function withEnv(specs: readonly OptionSpec[]): readonly OptionSpec[] {
  return specs.map((spec) => ({ ...spec, env: spec.env ?? envName(ENV_PREFIX, spec) }));
}

/** Keys a config file may not set, and why. */
export const RESERVED_FILE_KEYS = { config: 'a config file does not name another' } as const;

/** An IRC server name: a host name's characters, as it is the source of every reply. */
const SERVER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$/;

/** A browser origin as browsers send it (`scheme://host[:port]`, no path), or a one-line OptionValueError. */
export function checkOrigin(text: string, flag = '--web-origin'): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OptionValueError(`${flag} must be an origin like https://chat.example.org, got '${text}'`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || text.endsWith('/')) {
    throw new OptionValueError(`${flag} must be an origin (http:// or https://, a host and maybe a port, nothing after), got '${text}'`);
  }
  return url.origin;
}

/** Checks a --redis value; throws a one-line OptionValueError when it is not a redis:// URL. */
export function checkRedisUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OptionValueError(`--redis must be a URL like redis://127.0.0.1:6379, got '${text}'`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new OptionValueError(`--redis must start with redis:// or rediss://, got '${text}'`);
  }
  return text;
}

/** A number given in larger units (seconds, KiB) and kept in smaller ones (ms, bytes). */
function scaled(factor: number): ValueKind<OptionSpec> {
  return {
    parse: (text, spec) => Math.round(parseNumber(text, spec, false) * factor),
    show: (value) => `${(value as number) / factor}`,
    toFile: (value) => (value as number) / factor,
  };
}

const KINDS: Record<Kind, ValueKind<OptionSpec>> = {
  string: { parse: (text, spec) => parseNonEmpty(text, spec) },
  file: { parse: (text, spec) => parseNonEmpty(text, spec), show: (value) => (value === '' ? 'off' : String(value)) },
  int: { parse: (text, spec) => parseNumber(text, spec, true) },
  'port-or-off': { parse: (text, spec) => parseNumber(text, spec, true), show: (value) => (value === -1 ? 'off' : String(value)), toFile: (value) => (value === -1 ? '' : value) },
  seconds: scaled(1000),
  kib: scaled(1024),
  level: {
    parse: (text, spec) => {
      if (!(LOG_LEVELS as readonly string[]).includes(text)) {
        throw new OptionValueError(`${flagName(spec)} must be one of ${LOG_LEVELS.join(', ')}, got '${text}'`);
      }
      return text;
    },
  },
  url: { parse: (text) => checkRedisUrl(text), show: (value) => (value === '' ? 'off' : String(value)) },
  'server-name': {
    parse: (text, spec) => {
      if (!SERVER_NAME.test(text)) throw new OptionValueError(`${flagName(spec)} must look like a host name (letters, digits, '.', '-'), got '${text}'`);
      return text;
    },
    show: (value) => (value === '' ? undefined : String(value)),
  },
  boolean: { show: (value) => (value ? 'on' : 'off') },
  origins: {
    repeatable: true,
    parse: (text, spec, previous) => [...((previous as string[] | undefined) ?? []), checkOrigin(text, flagName(spec))],
    show: (value) => ((value as string[]).length === 0 ? undefined : (value as string[]).join(', ')),
  },
  names: {
    repeatable: true,
    parse: (text, spec, previous) => {
      const check = checkName(text);
      if (!check.ok) throw new OptionValueError(`${flagName(spec)} '${text}' is not a valid name: ${check.reason}`);
      return [...((previous as string[] | undefined) ?? []), check.name];
    },
    show: (value) => ((value as string[]).length === 0 ? undefined : (value as string[]).join(', ')),
  },
};

/** The server's flags: commander's options, their values and the README table. */
export const serverFlags = optionKit({ table: OPTION_TABLE, kinds: KINDS, defaults: defaultOptions });

/** How a default is shown in `--help` and the README. */
export function describeDefault(spec: OptionSpec, defaults: ServerOptions = defaultOptions()): string {
  return serverFlags.describeDefault(spec, defaults) ?? '';
}

/** Parses one flag's text value; throws a one-line OptionValueError on a bad value. */
export function parseOptionValue(spec: OptionSpec, text: string): ServerOptions[keyof ServerOptions] {
  return serverFlags.parse(spec, text) as ServerOptions[keyof ServerOptions];
}

/** `--print-config`: an action rather than a setting, so beside the table. */
export const PRINT_CONFIG_FLAG = '--print-config';
export const PRINT_CONFIG_HELP = 'print the settings in effect (as a config file) and where each came from, then exit';

/** The README's flag table, generated here so the two cannot drift apart. */
export function flagTableMarkdown(): string {
  return serverFlags.markdownTable({ envColumn: true, extraRows: [`| \`${PRINT_CONFIG_FLAG}\` | | | ${PRINT_CONFIG_HELP} |`] });
}

/** Flags that only make sense together; the reason, one line, or undefined when they fit. */
export function optionConflict(options: ServerOptions): string | undefined {
  if ((options.tlsCert === '') !== (options.tlsKey === '')) return '--tls-cert and --tls-key go together: give both or neither';
  if (!options.plain && options.tlsCert === '') return '--no-plain needs --tls-cert and --tls-key: the server would have no listener';
  if (options.workers > 1 && options.redisUrl === '') return '--workers above 1 needs --redis: the processes share rooms through Redis';
  if (options.ircTlsPort !== -1 && options.tlsCert === '') return '--irc-tls-port needs --tls-cert and --tls-key';
  if (options.webTlsPort !== -1 && options.tlsCert === '') return '--web-tls-port needs --tls-cert and --tls-key';
  if (options.workers > 1 && options.metricsPort !== -1) {
    return '--metrics-port does not go with --workers above 1 (the workers would share one port): run each node as its own chat-server with its own --metrics-port';
  }
  return undefined;
}
