import { isatty } from 'node:tty';
import { Argument, Command, CommanderError } from 'commander';
import readlineSync from 'readline-sync';
import stringWidth from 'string-width';
import { OptionValueError, optionKit, parseNonEmpty, parseNumber, type FlagSpec, type OptionKit, type ValueKind } from '../../cli/option-kit.js';
import { checkName, codePointLength, escapeUnsafe } from '../../protocol/index.js';
import { hashPassword } from '../accounts.js';
import { DEFAULT_DATA_DIR, DEFAULT_MIN_PASSWORD_LENGTH, REDIS_URL_ENV, checkRedisUrl } from '../options.js';
import type { Account, Store } from '../storage/store.js';
import { AdminStoreError, openAdminStore, type AdminTarget } from './admin-store.js';

// `chat-server accounts …`: the accounts of a server's store, changed from a
// shell while the server runs. The server reads an account from the store on
// each login (and the operator flag on each moderation frame), so a change
// takes effect at once without a restart. This module returns an exit code;
// main.ts exits with it.

const BIN = 'chat-server accounts';

const EXIT_HELP = `
Exit codes:
  0  done
  1  it failed: no such account, a refused password, or the store cannot be opened
     (no database in --data-dir, a damaged one, Redis unreachable)
  2  usage error (a bad subcommand, name, argument or flag); the reason is one line on stderr
`;

/** What a subcommand ends with, other than success. */
class AdminError extends Error {
  constructor(
    readonly exitCode: 1 | 2,
    message: string,
  ) {
    super(message);
  }
}

const failure = (reason: string): AdminError => new AdminError(1, reason);
const usage = (reason: string): AdminError => new AdminError(2, reason);

// ---------------------------------------------------------------- flags

interface AdminOptions {
  dataDir: string;
  redisUrl: string;
  redisCa: string;
  minPasswordLength: number;
  json: boolean;
  yes: boolean;
}

const defaults = (): AdminOptions => ({
  dataDir: DEFAULT_DATA_DIR,
  redisUrl: '',
  redisCa: '',
  minPasswordLength: DEFAULT_MIN_PASSWORD_LENGTH,
  json: false,
  yes: false,
});

type Kind = 'path' | 'url' | 'file' | 'int' | 'switch';
type AdminSpec = FlagSpec<keyof AdminOptions, Kind>;

const KINDS: Record<Kind, ValueKind<AdminSpec>> = {
  path: { parse: (text, spec) => parseNonEmpty(text, spec) },
  url: { parse: (text) => checkRedisUrl(text), show: () => undefined },
  file: { parse: (text, spec) => parseNonEmpty(text, spec), show: () => undefined },
  int: { parse: (text, spec) => parseNumber(text, spec, true) },
  switch: {},
};

/** Where the accounts are: the same flags, defaults and variable as the server's. */
const STORE_FLAGS: readonly AdminSpec[] = [
  { key: 'dataDir', flag: '--data-dir <path>', kind: 'path', description: "the server's data folder, holding chat.db (never created here)" },
  {
    key: 'redisUrl',
    flag: '--redis <url>',
    kind: 'url',
    env: REDIS_URL_ENV,
    description: "the cluster's Redis instead: redis://[:password@]host:port[/db], rediss:// for TLS",
  },
  { key: 'redisCa', flag: '--redis-ca <file>', kind: 'file', description: "with rediss://: trust the CA in this PEM file for Redis's certificate" },
];

const JSON_FLAG: AdminSpec = { key: 'json', flag: '--json', kind: 'switch', description: 'print one JSON array of {name, operator, created}' };
const YES_FLAG: AdminSpec = { key: 'yes', flag: '--yes', kind: 'switch', description: 'delete without asking (needed when not at a terminal)' };
const MIN_LENGTH_FLAG: AdminSpec = {
  key: 'minPasswordLength',
  flag: '--min-password-length <n>',
  kind: 'int',
  min: 1,
  max: 1024,
  description: 'shortest accepted password, in characters (give the server the same)',
};

const kit = (extra: readonly AdminSpec[]): OptionKit<AdminOptions, AdminSpec> => optionKit({ table: [...STORE_FLAGS, ...extra], kinds: KINDS, defaults });

/** The store the flags point at; a usage error when they point at two. */
function targetOf(command: Command, options: AdminOptions): AdminTarget {
  const given = (attribute: string): boolean => command.getOptionValueSource(attribute) === 'cli';
  if (given('dataDir') && given('redis')) throw usage('give --data-dir or --redis, not both: a server uses one store');
  if (options.redisUrl !== '' && !given('dataDir')) {
    return { kind: 'redis', url: options.redisUrl, caFile: options.redisCa === '' ? undefined : options.redisCa };
  }
  if (options.redisCa !== '') throw usage('--redis-ca goes with --redis rediss://…');
  return { kind: 'sqlite', dataDir: options.dataDir };
}

/** Opens the store, runs `work` on it, closes it whatever happened. */
async function withStore<T>(command: Command, options: AdminOptions, work: (store: Store) => Promise<T>): Promise<T> {
  const opened = await openAdminStore(targetOf(command, options));
  try {
    return await work(opened.store);
  } finally {
    await opened.close();
  }
}

// ---------------------------------------------------------------- names and output

/** NAME as the store keys it; a usage error when it cannot be a name at all. */
function nameArg(raw: string): { key: string; name: string } {
  const check = checkName(raw);
  if (!check.ok) throw usage(`'${escapeUnsafe(raw).slice(0, 64)}' is not a valid name: ${check.reason}`);
  return check;
}

async function accountOf(store: Store, check: { key: string; name: string }): Promise<Account> {
  const account = await store.getAccount(check.key);
  if (account === undefined) throw failure(`no account called ${check.name}`);
  return account;
}

/** A name from the store, safe to print (the database may have been edited by hand). */
const shown = (account: Account): string => escapeUnsafe(account.name);

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const isoTime = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : '?');

/** Rows as aligned columns, two spaces apart; the last column unpadded. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, stringWidth(cell))));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - stringWidth(cell)))).join('  '));
}

// ---------------------------------------------------------------- passwords

const HIDDEN = { hideEchoBack: true, mask: '' } as const;

/** The first line of stdin, without its line ending; undefined when stdin ends before any. */
async function firstLineOfStdin(): Promise<string | undefined> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin as AsyncIterable<string>) {
    text += chunk;
    // Only the first line is the password; leaving the loop stops reading.
    if (text.includes('\n')) break;
  }
  if (text === '') return undefined;
  return text.split('\n')[0]!.replace(/\r$/, '');
}

/** The new password: asked twice, unseen, at a terminal; else the first line of stdin. */
async function newPassword(name: string, min: number): Promise<string> {
  const checkLength = (password: string): void => {
    if (password === '') throw failure('no password given; nothing was changed');
    // Counted as the server counts them (code points), so a password it would refuse is refused here.
    if (codePointLength(password, min) < min) {
      throw failure(`the password is too short: at least ${min} characters (--min-password-length); nothing was changed`);
    }
  };
  if (!isatty(0)) {
    const password = await firstLineOfStdin();
    checkLength(password ?? '');
    return password!;
  }
  const password = readlineSync.question(`New password for ${name}: `, HIDDEN);
  checkLength(password);
  const again = readlineSync.question('The same again, to confirm: ', HIDDEN);
  if (again !== password) throw failure('the two passwords differ; nothing was changed');
  return password;
}

// ---------------------------------------------------------------- subcommands

const LIST_FLAGS = kit([JSON_FLAG]);
const PASSWD_FLAGS = kit([MIN_LENGTH_FLAG]);
const DELETE_FLAGS = kit([YES_FLAG]);
const OPERATOR_FLAGS = kit([]);

async function list(command: Command): Promise<void> {
  const options = LIST_FLAGS.read(command);
  const accounts = await withStore(command, options, (store) => store.listAccounts());
  if (options.json) {
    say(JSON.stringify(accounts.map((a) => ({ name: a.name, operator: a.operator, created: isoTime(a.createdAt) }))));
    return;
  }
  if (accounts.length === 0) {
    say('no accounts');
    return;
  }
  const rows = accounts.map((a) => [shown(a), a.operator ? 'yes' : 'no', isoTime(a.createdAt)]);
  for (const line of table([['NAME', 'OPERATOR', 'CREATED'], ...rows])) say(line);
}

async function passwd(raw: string, command: Command): Promise<void> {
  const check = nameArg(raw);
  const options = PASSWD_FLAGS.read(command);
  const name = await withStore(command, options, async (store) => {
    // The account first: nobody types a password for a name that is not there.
    const account = await accountOf(store, check);
    const password = await newPassword(shown(account), options.minPasswordLength);
    if (!(await store.setSecret(account.key, await hashPassword(password)))) throw failure(`no account called ${shown(account)} (deleted meanwhile)`);
    return shown(account);
  });
  say(`password of ${name} changed`);
}

async function remove(raw: string, command: Command): Promise<void> {
  const check = nameArg(raw);
  const options = DELETE_FLAGS.read(command);
  if (!options.yes && !isatty(0)) throw usage('delete cannot ask for confirmation here (stdin is not a terminal): give --yes to delete');
  const name = await withStore(command, options, async (store) => {
    const account = await accountOf(store, check);
    if (!options.yes) {
      const typed = readlineSync.question(
        `This deletes the account ${shown(account)} and the private messages waiting for it; it cannot be undone.\nType the name to confirm: `,
      );
      const answer = checkName(typed.trim());
      if (!answer.ok || answer.key !== account.key) throw failure(`not deleted: the name typed was not ${shown(account)}`);
    }
    if (!(await store.deleteAccount(account.key))) throw failure(`no account called ${shown(account)} (deleted meanwhile)`);
    return shown(account);
  });
  say(`deleted the account ${name}`);
}

async function operator(raw: string, state: string, command: Command): Promise<void> {
  const check = nameArg(raw);
  const options = OPERATOR_FLAGS.read(command);
  const on = state === 'on';
  const name = await withStore(command, options, async (store) => {
    const account = await accountOf(store, check);
    if (!(await store.setOperator(account.key, on))) throw failure(`no account called ${shown(account)} (deleted meanwhile)`);
    return shown(account);
  });
  say(
    on
      ? `${name} is now an operator (names given to the server with --operator are operators regardless of this flag)`
      : `${name} is no longer an operator in the store (a name given to the server with --operator stays one regardless of this flag)`,
  );
}

// ---------------------------------------------------------------- the command

const STORE_HELP = `
The store is the server's --data-dir (default ${DEFAULT_DATA_DIR}), or its Redis with --redis or
${REDIS_URL_ENV} (an explicit --data-dir wins over the variable). Changes take effect at
once, also while the server runs.`;

/** The text after a command's options: its examples, where the store is, the exit codes. */
const afterHelp = (examples: string): string => `\nExamples:\n${examples}\n${STORE_HELP}\n${EXIT_HELP}`;

/** `(see chat-server accounts passwd --help)` for a usage error of `command`. */
function hint(command: Command): string {
  const sub = command.parent === null ? '' : ` ${command.name()}`;
  return `(see ${BIN}${sub} --help)`;
}

function usageLine(command: Command, reason: string): void {
  process.stderr.write(`${BIN}: ${reason} ${hint(command)}\n`);
}

/** commander's errors ("error: unknown option …", with its "(Did you mean …?)") as one line. */
function commanderReason(text: string): string {
  return text
    .replace(/^error: /, '')
    .replace(/\s*\n\(Did you mean (.*)\)\s*$/, '; did you mean $1')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

function configure(command: Command, examples: string): Command {
  return command
    .exitOverride()
    .configureOutput({ outputError: (text) => usageLine(command, commanderReason(text)) })
    .addHelpText('after', afterHelp(examples));
}

interface SubcommandText {
  /** One line for the list of `chat-server accounts --help`. */
  summary: string;
  description: string;
  examples: string;
}

function subcommand(parent: Command, name: string, text: SubcommandText, flags: OptionKit<AdminOptions, AdminSpec>): Command {
  const command = configure(new Command(name).summary(text.summary).description(text.description), text.examples);
  flags.addTo(command);
  parent.addCommand(command);
  return command;
}

function buildProgram(): Command {
  const program = configure(
    new Command(BIN).description('List and change the accounts of a chat-server store (SQLite or Redis), also while the server runs.'),
    `  chat-server accounts list --data-dir /srv/chat
  printf 'a new password\\n' | chat-server accounts passwd bob
  chat-server accounts operator alice on --redis redis://127.0.0.1:6379
  chat-server accounts delete bob --yes
  chat-server accounts <command> --help`,
  );

  subcommand(
    program,
    'list',
    {
      summary: 'every account: name, operator, created',
      description: 'Every account: its name, whether the store makes it an operator, when it was created (ISO time, UTC).',
      examples: `  chat-server accounts list
  chat-server accounts list --data-dir /srv/chat --json`,
    },
    LIST_FLAGS,
  ).action((_options: unknown, command: Command) => list(command));

  subcommand(
    program,
    'passwd',
    {
      summary: 'set a new password for NAME',
      description: 'Set a new password for NAME: asked twice, unseen, at a terminal; otherwise the first line of stdin.',
      examples: `  chat-server accounts passwd bob
  printf 'a new password\\n' | chat-server accounts passwd bob --data-dir /srv/chat`,
    },
    PASSWD_FLAGS,
  )
    .argument('<name>', 'the account (any case)')
    .action((name: string, _options: unknown, command: Command) => passwd(name, command));

  subcommand(
    program,
    'delete',
    {
      summary: 'delete the account NAME (asks first, or --yes)',
      description:
        'Delete the account NAME and the private messages waiting for it; the name becomes free. Cannot be undone: ' +
        'at a terminal you type the name to confirm, elsewhere --yes is needed.',
      examples: `  chat-server accounts delete bob
  chat-server accounts delete bob --yes --data-dir /srv/chat`,
    },
    DELETE_FLAGS,
  )
    .argument('<name>', 'the account (any case)')
    .action((name: string, _options: unknown, command: Command) => remove(name, command));

  subcommand(
    program,
    'operator',
    {
      summary: 'make NAME an operator, or not',
      description:
        'Make NAME an operator (KICK, BAN, MUTE, MODLOG once logged in with the password), or not. ' +
        'Names given to the server with --operator are operators regardless of this flag.',
      examples: `  chat-server accounts operator alice on
  chat-server accounts operator alice off --redis redis://127.0.0.1:6379`,
    },
    OPERATOR_FLAGS,
  )
    .argument('<name>', 'the account (any case)')
    .addArgument(new Argument('<on|off>', 'on to grant, off to take back').choices(['on', 'off']))
    .action((name: string, state: string, _options: unknown, command: Command) => operator(name, state, command));

  return program;
}

/** Runs `chat-server accounts` with the arguments after `accounts`; resolves with the exit code. */
export async function runAccountsCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  // The subcommand being run, for the `(see … --help)` of its usage errors.
  let current = program;
  program.hook('preSubcommand', (_program, sub) => {
    current = sub;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    // commander has printed its help or its one line already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof OptionValueError) {
      usageLine(current, err.message);
      return 2;
    }
    if (err instanceof AdminError && err.exitCode === 2) {
      usageLine(current, err.message);
      return 2;
    }
    const reason = err instanceof AdminError || err instanceof AdminStoreError ? err.message : `failed: ${err instanceof Error ? err.message : String(err)}`;
    process.stderr.write(`${BIN}: ${reason}\n`);
    return 1;
  }
}
