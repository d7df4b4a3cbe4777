import { OptionValueError, flagName, optionKit, parseNonEmpty, type FlagSpec, type ValueKind } from '../cli/option-kit.js';
import { LOBBY, checkName } from '../protocol/index.js';

// The client's options: one table drives the defaults, commander's flags,
// `--help` and docs/CLIENT.md (through src/cli/option-kit.ts). Nothing here
// touches the network or the terminal.

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 65432;
/** The server's TLS port: --tls without --port connects here. */
export const DEFAULT_TLS_PORT = 65433;
export const DEFAULT_ROOM = LOBBY;
/** Lines typed while disconnected that are kept for sending after reconnecting. */
export const DEFAULT_QUEUE_LIMIT = 100;
/** Environment variable a script can use to pass a password without a prompt. */
export const PASSWORD_ENV = 'CHAT_PASSWORD';

/** Exit codes of `chat-client`; stable, documented in docs/CLIENT.md. */
export const EXIT = {
  OK: 0,
  /** Could not connect, connection lost for good, or another runtime error. */
  RUNTIME: 1,
  /** Bad flags, or a flag missing that scripting mode needs. */
  USAGE: 2,
  /** The server refused the login: name taken or invalid, password wrong or missing. */
  LOGIN_REFUSED: 3,
  /** --tls: the server's certificate could not be verified, or the port does not speak TLS. */
  TLS_FAILED: 4,
  /** Kicked or banned by an operator, or refused at login as banned; the client does not reconnect. */
  REMOVED: 5,
  /** Scripting mode stopped by SIGINT/SIGTERM (after LOGOUT). */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What each exit code means, for `--help` and the table in docs/CLIENT.md (a unit test keeps them in step). */
export const EXIT_MEANINGS: ReadonlyArray<{ code: ExitCode; meaning: string }> = [
  { code: EXIT.OK, meaning: 'done: `/quit`, Ctrl-C / Ctrl-D, or end of input in scripting mode' },
  {
    code: EXIT.RUNTIME,
    meaning:
      'could not connect (an unknown host; in scripting mode also a refused or timed-out connection), the connection was lost for good (a script gave up reconnecting), or another runtime error',
  },
  {
    code: EXIT.USAGE,
    meaning:
      'usage error: a bad flag or value, `--name` missing in scripting mode, `--password-prompt` without a terminal, no name given at the prompt',
  },
  {
    code: EXIT.LOGIN_REFUSED,
    meaning: 'login refused: name taken or not allowed, wrong password (three tries at the prompt), password required but not given',
  },
  {
    code: EXIT.TLS_FAILED,
    meaning: "`--tls`: the server's certificate could not be verified (not signed by a trusted CA or `--ca`, or not for `--host`), or the port does not speak TLS",
  },
  {
    code: EXIT.REMOVED,
    meaning:
      'kicked or banned by an operator, or the registered name logged in from another connection (the client does not reconnect), or the login refused because the name or the address is banned (`BANNED`)',
  },
  { code: EXIT.INTERRUPTED, meaning: 'scripting mode stopped by SIGINT/SIGTERM (after `LOGOUT`)' },
];

export interface ClientOptions {
  host: string;
  port: number;
  name: string | undefined;
  room: string;
  passwordPrompt: boolean;
  /** --no-history: do not show the history the server replays after a login and a JOIN. */
  skipHistory: boolean;
  /** Connect with TLS (to DEFAULT_TLS_PORT unless --port is given). */
  tls: boolean;
  /** A PEM file of the CA that signed the server's certificate (a private CA). */
  ca: string | undefined;
  /** Do not verify the server's certificate (testing only). */
  insecure: boolean;
  /** true: --color, false: --no-color, undefined: decide from the terminal and NO_COLOR. */
  color: boolean | undefined;
}

export function defaultOptions(): ClientOptions {
  return {
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    name: undefined,
    room: DEFAULT_ROOM,
    passwordPrompt: false,
    skipHistory: false,
    tls: false,
    ca: undefined,
    insecure: false,
    color: undefined,
  };
}

type Kind = 'string' | 'port' | 'room' | 'boolean';

/** --color/--no-color is not in the table: it has three states and is added beside it. */
export type OptionSpec = FlagSpec<Exclude<keyof ClientOptions, 'color'>, Kind>;

/** Every value flag of `chat-client`, in `--help` order (--color/--no-color are added beside them). */
export const OPTION_TABLE: readonly OptionSpec[] = [
  { key: 'host', flag: '--host <address>', kind: 'string', description: 'server address' },
  { key: 'port', flag: '--port <number>', kind: 'port', description: `server TCP port (with --tls: ${DEFAULT_TLS_PORT})` },
  { key: 'tls', flag: '--tls', kind: 'boolean', description: "connect with TLS and verify the server's certificate against --host" },
  { key: 'ca', flag: '--ca <file>', kind: 'string', description: "with --tls: trust the CA in this PEM file (a private CA) besides the system's" },
  { key: 'insecure', flag: '--insecure', kind: 'boolean', description: "with --tls: do not verify the server's certificate (testing only: anyone on the way could read along)" },
  { key: 'name', flag: '--name <name>', kind: 'string', description: 'your name (asked for when missing on a terminal)' },
  { key: 'room', flag: '--room <room>', kind: 'room', description: 'room to enter after logging in' },
  {
    key: 'passwordPrompt',
    flag: '--password-prompt',
    kind: 'boolean',
    description: `ask for a password with hidden input (scripts: set ${PASSWORD_ENV})`,
  },
  {
    key: 'skipHistory',
    flag: '--no-history',
    kind: 'boolean',
    description: 'do not show the history replayed on login and /join (a bot prints only what happens after it joined)',
  },
];

const KINDS: Record<Kind, ValueKind<OptionSpec>> = {
  string: { parse: (text, spec) => parseNonEmpty(text, spec) },
  room: {
    parse: (text, spec) => {
      const check = checkName(text, 'room');
      if (!check.ok) throw new OptionValueError(`${flagName(spec)}: ${check.reason}`);
      return check.name;
    },
  },
  // A port to connect to: 0 (any free port) makes no sense here, unlike the server's --port.
  port: {
    parse: (text, spec) => {
      const name = flagName(spec);
      if (!/^[0-9]{1,5}$/.test(text)) throw new OptionValueError(`${name} must be a whole number, got '${text}'`);
      const n = Number(text);
      if (n < 1 || n > 65535) throw new OptionValueError(`${name} must be between 1 and 65535, got ${text}`);
      return n;
    },
  },
  boolean: {},
};

/** The client's flags: commander's options, their values and the docs table. */
export const clientFlags = optionKit({ table: OPTION_TABLE, kinds: KINDS, defaults: defaultOptions });

/** How a default is shown in `--help` and the docs; undefined when there is none. */
export function describeDefault(spec: OptionSpec, defaults: ClientOptions = defaultOptions()): string | undefined {
  return clientFlags.describeDefault(spec, defaults);
}

/** Parses one flag's text value; throws a one-line OptionValueError on a bad value. */
export function parseOptionValue(spec: OptionSpec, text: string): string | number | boolean {
  return clientFlags.parse(spec, text) as string | number | boolean;
}

export interface ColorInputs {
  /** --color / --no-color, undefined when neither was given. */
  flag: boolean | undefined;
  /** The NO_COLOR environment variable (https://no-color.org): any non-empty value turns colour off. */
  noColorEnv: string | undefined;
  isTTY: boolean;
  /** What chalk detected for stdout (0 to 3). */
  detectedLevel: number;
}

/** The one decision about colour: an explicit flag wins, then NO_COLOR, then the terminal. */
export function chooseColorLevel(inputs: ColorInputs): 0 | 1 | 2 | 3 {
  const clamp = (n: number): 0 | 1 | 2 | 3 => Math.max(0, Math.min(3, Math.trunc(n))) as 0 | 1 | 2 | 3;
  if (inputs.flag === false) return 0;
  if (inputs.flag === true) return clamp(Math.max(1, inputs.detectedLevel));
  if (inputs.noColorEnv !== undefined && inputs.noColorEnv !== '') return 0;
  if (!inputs.isTTY) return 0;
  return clamp(Math.max(1, inputs.detectedLevel));
}

/** The flag table of docs/CLIENT.md, generated from OPTION_TABLE (a unit test keeps the doc in step). */
export function flagTableMarkdown(): string {
  return clientFlags.markdownTable({
    defaultCell: (shown) => (shown === undefined ? '' : `\`${shown}\``),
    extraRows: [
      '| `--color` / `--no-color` | from the terminal | force colours on or off (`NO_COLOR` also turns them off) |',
      '| `-h, --help` | | show the help |',
      '| `-V, --version` | | print the version |',
    ],
  });
}

/** The exit code table of docs/CLIENT.md, generated from EXIT_MEANINGS. */
export function exitTableMarkdown(): string {
  return ['| code | meaning |', '| --- | --- |', ...EXIT_MEANINGS.map((e) => `| \`${e.code}\` | ${e.meaning} |`)].join('\n');
}
