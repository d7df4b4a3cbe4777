#!/usr/bin/env node
import { Chalk, supportsColor, type ChalkInstance } from 'chalk';
import readlineSync from 'readline-sync';
import { checkName } from '../protocol/index.js';
import { ConnectError, type SocketLike } from './connection.js';
import { parseArgs, usageLine } from './cli.js';
import { connectFailureText, isTlsFailure, loginFailureText, refusalExitCode } from './failures.js';
import { tlsSocketFactory } from './tls-socket.js';
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

/** The options, with the socket factory --tls chose. */
type RunOptions = ClientOptions & { createSocket?: ((host: string, port: number) => SocketLike) | undefined };

function newSession(
  options: RunOptions,
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
    showReplayedHistory: !options.skipHistory,
    // A script should not hang for ever on a server that is gone, and fails
    // at once when there is none; a person at a terminal waits for it.
    connection: {
      ...(scripting ? { maxReconnects: 10 } : { waitForServer: true }),
      ...(options.createSocket !== undefined ? { createSocket: options.createSocket } : {}),
    },
  });
}

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

/** Passwords tried at a terminal before giving up with EXIT.LOGIN_REFUSED. */
const PASSWORD_TRIES = 3;

/**
 * Connects and logs in; on a terminal this waits for a server that is not up
 * yet (the session retries with the reconnect backoff and says so). Ctrl-C
 * meanwhile stops waiting: readline is not running yet, so it is a SIGINT.
 */
async function openWaiting(session: ChatSession): Promise<'open' | 'quit'> {
  let quitting = false;
  const onInterrupt = () => {
    quitting = true;
    void session.quit();
  };
  process.once('SIGINT', onInterrupt);
  try {
    await session.open();
    return 'open';
  } catch (error) {
    if (quitting) return 'quit';
    throw error;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

async function interactive(options: RunOptions, chalk: ChalkInstance): Promise<ExitCode> {
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

  let passwordsTried = 0;
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
      if ((await openWaiting(session)) === 'quit') {
        process.stdout.write('\n');
        return EXIT.OK;
      }
    } catch (error) {
      if (!(error instanceof ConnectError)) throw error;
      if (error.kind === 'connect') {
        fail(connectFailureText(error));
        return isTlsFailure(error) ? EXIT.TLS_FAILED : EXIT.RUNTIME;
      }
      if (error.code === 'BAD_PASSWORD' && password !== undefined) {
        passwordsTried += 1;
        const left = PASSWORD_TRIES - passwordsTried;
        if (left > 0) {
          fail(`${loginFailureText(error, name)}; try again (${left} ${left === 1 ? 'try' : 'tries'} left)`);
          password = askPassword(name);
          if (password === undefined) return EXIT.LOGIN_REFUSED;
          continue;
        }
        fail(`${loginFailureText(error, name)} (${PASSWORD_TRIES} tries)`);
        return EXIT.LOGIN_REFUSED;
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
        passwordsTried = 0;
        continue;
      }
      return refusalExitCode(error.code);
    }
    return runRepl({ session, screen, chalk, input: process.stdin, output: process.stdout });
  }
}

async function scripting(options: RunOptions, chalk: ChalkInstance): Promise<ExitCode> {
  if (options.name === undefined) {
    process.stderr.write(usageLine('--name is required when stdin is not a terminal (scripting mode)'));
    return EXIT.USAGE;
  }
  if (options.passwordPrompt) {
    process.stderr.write(usageLine(`--password-prompt needs a terminal; in scripting mode set ${PASSWORD_ENV} instead`));
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
      return isTlsFailure(error) ? EXIT.TLS_FAILED : EXIT.RUNTIME;
    }
    fail(loginFailureText(error, check.name));
    return refusalExitCode(error.code);
  }
  return runScript({ session, input: process.stdin, err: process.stderr });
}

export async function main(argv: readonly string[]): Promise<ExitCode> {
  const parsed = parseArgs(argv);
  if (typeof parsed === 'number') return parsed;
  let createSocket: ((host: string, port: number) => SocketLike) | undefined;
  if (parsed.tls) {
    try {
      createSocket = tlsSocketFactory({ caFile: parsed.ca, insecure: parsed.insecure });
    } catch (error) {
      process.stderr.write(usageLine(`cannot read --ca ${parsed.ca}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`));
      return EXIT.USAGE;
    }
    if (parsed.insecure) {
      process.stderr.write("chat-client: warning: --insecure: the server's certificate is not checked, so anyone on the way can read and change the chat\n");
    }
  }
  const options = { ...parsed, createSocket };
  const chalk = makeChalk(options);
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
