#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { createLogger } from './log.js';
import { OPTION_TABLE, defaultOptions, describeDefault, parseOptionValue, type ServerOptions } from './options.js';
import { startServer } from './server.js';

// The chat-server bin: flags in, startServer(), signals. Only this file
// prints to the user and exits.

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function buildCommand(): Command {
  const command = new Command('chat-server')
    .description('A chat server speaking the TYPE|payload line protocol (see docs/PROTOCOL.md).')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError('(run chat-server --help for the list of flags)')
    .configureOutput({ outputError: (text, write) => write(text) });
  for (const spec of OPTION_TABLE) {
    const shown = spec.kind === 'boolean' ? '' : ` (default: ${describeDefault(spec)})`;
    const option = new Option(spec.flag, spec.description + shown);
    if (spec.kind !== 'boolean') option.argParser((value: string) => parseOptionValue(spec, value));
    command.addOption(option);
  }
  return command;
}

async function main(): Promise<void> {
  const command = buildCommand();
  command.exitOverride((err) => {
    // --help and --version exit 0; every usage error exits 2 after its one line.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });
  let parsed: Partial<ServerOptions>;
  try {
    command.parse();
    parsed = command.opts<Partial<ServerOptions>>();
  } catch (err) {
    process.stderr.write(`chat-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const options: ServerOptions = { ...defaultOptions() };
  for (const [key, value] of Object.entries(parsed)) {
    if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value;
  }
  const log = createLogger({ level: options.logLevel, json: options.logJson });

  let server;
  try {
    server = await startServer(options, { log });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'EADDRINUSE'
        ? `port ${options.port} on ${options.host} is already in use (is another chat-server running?)`
        : code === 'EACCES'
          ? `no permission to listen on ${options.host}:${options.port}`
          : code === 'EADDRNOTAVAIL'
            ? `${options.host} is not an address of this machine`
            : err instanceof Error
              ? err.message
              : String(err);
    process.stderr.write(`chat-server: cannot start: ${reason}\n`);
    process.exit(1);
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn('forced-exit', { signal });
      process.exit(1);
    }
    stopping = true;
    log.info('signal', { signal });
    // Never hang on a stuck client: exit anyway after a few seconds.
    setTimeout(() => {
      log.error('shutdown-timeout');
      process.exit(1);
    }, 5000).unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('shutdown-failed', { error: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
