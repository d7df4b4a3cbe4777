#!/usr/bin/env node
import { Chalk, supportsColor, type ChalkInstance } from 'chalk';
import readlineSync from 'readline-sync';
import { checkName } from '../protocol/index.js';
import { ConnectError } from './connection.js';
import { parseArgs } from './cli.js';
import { DEFAULT_QUEUE_LIMIT, EXIT, PASSWORD_ENV, chooseColorLevel, type ClientOptions, type ExitCode } from './options.js';
import { renderNotice } from './render.js';
import { Screen, runRepl } from './repl.js';
import { PlainOutput, runScript } from './script.js';
import { ChatSession, type SessionOutput } from './session.js';

// The bin: flags, prompts before the chat starts, and exit codes. Only this
// file exits the process.

function makeChalk(options: ClientOptions): ChalkInstance {
  const level = chooseColorLevel({
    flag: options.color,
    noColorEnv: process.env.NO_COLOR,
    isTTY: process.stdout.isTTY === true,
    detectedLevel: supportsColor === false ? 0 : supportsColor.level,
  });
  return new Chalk({ level });
}

const fail = (text: string): void => {
  process.stderr.write(`chat-client: ${text}\n`);
};

function newSession(
  options: ClientOptions,
  name: string,
  password: string | undefined,
  chalk: ChalkInstance,
  output: SessionOutput,
  scripting: boolean,
): ChatSession {
  return new ChatSession({
    host: options.host,
    port: options.port,
    name,
    ...(password !== undefined ? { password } : {}),
    room: options.room,
    chalk,
    output,
    queueLimit: DEFAULT_QUEUE_LIMIT,
    // A script should not hang for ever on a server that is gone.
    connection: scripting ? { maxReconnects: 10 } : {},
  });
}

function loginFailureText(error: ConnectError, name: string): string {
  switch (error.code) {
    case 'NAME_TAKEN':
      return `the name '${name}' is taken: someone with that name is online`;
    case 'BAD_NAME':
      return `the name '${name}' is not allowed: ${error.message}`;
    case 'BAD_PASSWORD':
      return `wrong password for '${name}'`;
    case 'PASSWORD_REQUIRED':
      return `'${name}' is a registered name and needs its password (--password-prompt, or ${PASSWORD_ENV} in scripts)`;
    default:
      return `login refused: ${error.message} [${error.code}]`;
  }
}

function connectFailureText(error: ConnectError): string {
  const hint = error.code === 'ECONNREFUSED' ? ' (is the server running? see --host and --port)' : '';
  return `cannot connect: ${error.message}${hint}`;
}

const REFUSALS = new Set(['NAME_TAKEN', 'BAD_NAME', 'BAD_PASSWORD', 'PASSWORD_REQUIRED']);

/** Asks for a name until it is valid; undefined when the user gives none. */
function askName(question: string): string | undefined {
  for (;;) {
    const answer = readlineSync.question(question).trim();
    if (answer === '') return undefined;
    const check = checkName(answer);
    if (check.ok) return check.name;
    process.stdout.write(`${check.reason}\n`);
  }
}

function askPassword(name: string): string | undefined {
  const answer = readlineSync.question(`Password for ${name}: `, { hideEchoBack: true, mask: '' });
  return answer === '' ? undefined : answer;
}

async function interactive(options: ClientOptions, chalk: ChalkInstance): Promise<ExitCode> {
  let name = options.name;
  if (name === undefined) {
    name = askName('Your name: ');
    if (name === undefined) {
      fail('no name given');
      return EXIT.USAGE;
    }
  }
  let password = process.env[PASSWORD_ENV] || undefined;
  if (options.passwordPrompt && password === undefined) password = askPassword(name);

  const notice = (text: string) =>
    process.stdout.write(`${renderNotice('info', text, { chalk, now: () => new Date(), self: '', room: '' })}\n`);
  for (;;) {
    const check = checkName(name);
    if (!check.ok) {
      fail(`the name '${name}' is not allowed: ${check.reason}`);
      const next = askName('Pick another name (empty to quit): ');
      if (next === undefined) return EXIT.LOGIN_REFUSED;
      name = next;
      continue;
    }
    name = check.name;
    const screen = new Screen(process.stdout);
    const session = newSession(options, name, password, chalk, screen, false);
    notice(`connecting to ${options.host}:${options.port} as ${name}…`);
    try {
      await session.open();
    } catch (error) {
      if (!(error instanceof ConnectError)) throw error;
      if (error.kind === 'connect') {
        fail(connectFailureText(error));
        return EXIT.RUNTIME;
      }
      fail(loginFailureText(error, name));
      if (error.code === 'PASSWORD_REQUIRED' && password === undefined) {
        password = askPassword(name);
        if (password === undefined) return EXIT.LOGIN_REFUSED;
        continue;
      }
      if (error.code === 'NAME_TAKEN' || error.code === 'BAD_NAME') {
        const next = askName('Pick another name (empty to quit): ');
        if (next === undefined) return EXIT.LOGIN_REFUSED;
        name = next;
        password = process.env[PASSWORD_ENV] || undefined;
        continue;
      }
      return REFUSALS.has(error.code) ? EXIT.LOGIN_REFUSED : EXIT.RUNTIME;
    }
    return runRepl({ session, screen, chalk, input: process.stdin, output: process.stdout });
  }
}

async function scripting(options: ClientOptions, chalk: ChalkInstance): Promise<ExitCode> {
  if (options.name === undefined) {
    fail('--name is required when stdin is not a terminal (scripting mode); see --help');
    return EXIT.USAGE;
  }
  if (options.passwordPrompt) {
    fail(`--password-prompt needs a terminal; in scripting mode set ${PASSWORD_ENV} instead`);
    return EXIT.USAGE;
  }
  const check = checkName(options.name);
  if (!check.ok) {
    fail(`the name '${options.name}' is not allowed: ${check.reason}`);
    return EXIT.LOGIN_REFUSED;
  }
  const password = process.env[PASSWORD_ENV] || undefined;
  const session = newSession(options, check.name, password, chalk, new PlainOutput(process.stdout, process.stderr), true);
  try {
    await session.open();
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    if (error.kind === 'connect') {
      fail(connectFailureText(error));
      return EXIT.RUNTIME;
    }
    fail(loginFailureText(error, check.name));
    return REFUSALS.has(error.code) ? EXIT.LOGIN_REFUSED : EXIT.RUNTIME;
  }
  return runScript({ session, input: process.stdin, err: process.stderr });
}

export async function main(argv: readonly string[]): Promise<ExitCode> {
  const options = parseArgs(argv);
  if (typeof options === 'number') return options;
  const chalk = makeChalk(options);
  const room = checkName(options.room, 'room');
  if (!room.ok) {
    fail(`--room: ${room.reason}`);
    return EXIT.USAGE;
  }
  options.room = room.name;
  return process.stdin.isTTY === true ? interactive(options, chalk) : scripting(options, chalk);
}

main(process.argv).then(
  (code) => {
    // Let stdout drain before leaving (pipes are asynchronous).
    process.stdout.write('', () => process.exit(code));
  },
  (error: unknown) => {
    fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(EXIT.RUNTIME);
  },
);
