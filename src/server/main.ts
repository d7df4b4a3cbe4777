#!/usr/bin/env -S node --max-semi-space-size=8
// The flag: V8's young generation otherwise grows to 2 × 16 MiB during a
// burst of logins (every new session survives) and stays there, about
// 3 KiB of RSS per connection at 10,000 idle ones; at 8 MiB the speed is
// unchanged within noise (docs/BENCHMARKS.md, "Where the bytes go").
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { createLogger } from './log.js';
import { PRINT_CONFIG_FLAG, PRINT_CONFIG_HELP, optionConflict, serverFlags, type ServerOptions } from './options.js';
import { startServer } from './server.js';
import { describeSettings, readSettings, type Settings } from './settings.js';
import cluster from 'node:cluster';
import type { Logger } from './log.js';

// The chat-server bin: flags in, startServer(), signals. Only this file
// prints to the user and exits.

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const EXIT_HELP = `
Accounts (list, passwd, delete, operator; also while the server runs): see chat-server accounts --help
A consistent copy of the database while the server runs: see chat-server backup --help

Exit codes:
  0  stopped by SIGINT or SIGTERM after telling everyone and writing what was pending
     (SIGHUP does not stop it: it reads the settings again, the --config file included,
     takes on the limits, operators and log level, logs what needs a restart,
     and reloads the TLS certificate and key)
  1  could not start (port in use, no permission, data directory unusable, Redis unreachable),
     or a shutdown that failed or took too long
  2  usage error (a bad flag or value); the reason is one line on stderr
`;

/** A usage error, in the style of every bin: one line, `chat-server: reason (see chat-server --help)`. */
function usageError(reason: string): never {
  process.stderr.write(`chat-server: ${reason} (see chat-server --help)\n`);
  process.exit(2);
}

function buildCommand(): Command {
  const command = new Command('chat-server')
    .description('A chat server speaking the TYPE|payload line protocol (see docs/PROTOCOL.md).')
    .version(pkg.version, '-V, --version')
    .addHelpText('after', EXIT_HELP)
    // commander's own errors ("error: unknown option …") in this bin's style.
    .configureOutput({ outputError: (text) => usageError(text.replace(/^error: /, '').trim()) });
  serverFlags.addTo(command);
  return command.option(PRINT_CONFIG_FLAG, PRINT_CONFIG_HELP);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'backup') {
    const { runBackupCli } = await import('./admin/backup-cli.js');
    process.exit(await runBackupCli(process.argv.slice(3)));
  }
  if (process.argv[2] === 'accounts') {
    // The admin CLI, loaded only when asked for: the server's start does not pay for it.
    const { runAccountsCli } = await import('./admin/accounts-cli.js');
    process.exit(await runAccountsCli(process.argv.slice(3)));
  }
  const command = buildCommand();
  command.exitOverride((err) => {
    // --help and --version exit 0; every usage error exits 2 after its one line.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });
  let settings: Settings;
  try {
    command.parse();
    // Flags, then CHAT_ variables, then the --config file, then the defaults.
    settings = readSettings(command);
  } catch (err) {
    usageError(err instanceof Error ? err.message : String(err));
  }
  const options: ServerOptions = settings.options;
  const conflict = optionConflict(options);
  if (conflict !== undefined) usageError(conflict);
  if (command.getOptionValue('printConfig') === true) {
    process.stdout.write(describeSettings(settings));
    return;
  }
  // Kept: a new log level (SIGHUP) is set here.
  const logOptions = { level: options.logLevel, json: options.logJson };
  const log = createLogger(logOptions);
  if (options.workers > 1 && cluster.isPrimary) {
    superviseWorkers(options.workers, log);
    return;
  }

  // Taken from the start: a SIGHUP before the server is up must not stop it
  // (the default action); it is carried out once the server is up.
  let hangupWaiting = false;
  let onHangup = (): void => {
    hangupWaiting = true;
  };
  process.on('SIGHUP', () => onHangup());

  let server;
  try {
    server = await startServer(options, { log });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Which listener failed: the plain one or the TLS one.
    const port = (err as { port?: number }).port ?? options.port;
    const reason =
      code === 'EADDRINUSE'
        ? `port ${port} on ${options.host} is already in use (is another chat-server running?)`
        : code === 'EACCES'
          ? `no permission to listen on ${options.host}:${port}`
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
  // SIGHUP: the settings again (flags and variables are as they were; the file may have changed).
  const reload = (): void => {
    log.info('reloading', { config: options.config === '' ? undefined : options.config });
    let next: ServerOptions;
    try {
      next = readSettings(command).options;
      const conflict = optionConflict(next);
      if (conflict !== undefined) throw new Error(conflict);
    } catch (err) {
      log.error('reload-failed', { error: err instanceof Error ? err.message : String(err), kept: 'the settings in effect' });
      return;
    }
    const changes = server.reloadSettings(next);
    if (changes.some((change) => change.key === 'logLevel')) logOptions.level = next.logLevel;
    if (options.tlsCert !== '') server.reloadTls();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  onHangup = reload;
  if (hangupWaiting) reload();
  if (cluster.isWorker) {
    process.on('message', (message) => {
      if (message === 'shutdown' && !stopping) stop('SIGTERM');
      if (message === 'reload') reload();
    });
  }
}

/**
 * --workers N: this process only supervises N worker processes that each
 * run a full server (a cluster node) on the same port, sharing it through
 * node:cluster. A worker that dies is restarted; signals are passed on.
 */
function superviseWorkers(count: number, log: Logger): void {
  let stopping = false;
  const fork = (): void => {
    cluster.fork();
  };
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    log.error('worker-exited', { pid: worker.process.pid, code: code ?? undefined, signal: signal ?? undefined });
    setTimeout(fork, 1000).unref();
  });
  for (let i = 0; i < count; i++) fork();
  log.info('workers-started', { count, pid: process.pid });
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    log.info('signal', { signal });
    // A message rather than the signal: on Ctrl-C the workers got SIGINT from the terminal too,
    // and a second signal would make them exit at once.
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send('shutdown');
    setTimeout(() => process.exit(1), 8000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Each worker reads the settings again itself.
  process.on('SIGHUP', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send('reload');
  });
}

void main();
