import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  EXIT,
  OPTION_TABLE,
  PASSWORD_ENV,
  defaultOptions,
  describeDefault,
  parseOptionValue,
  type ClientOptions,
  type ExitCode,
} from './options.js';

// commander, driven by the option table in options.ts.

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const EXIT_HELP = `
Exit codes:
  ${EXIT.OK}    done (quit, or end of input in scripting mode)
  ${EXIT.RUNTIME}    could not connect (refused, unknown host), or the connection was lost for good
  ${EXIT.USAGE}    usage error (bad flag; --name missing when stdin is not a terminal)
  ${EXIT.LOGIN_REFUSED}    login refused: name taken or invalid, wrong or missing password
  ${EXIT.INTERRUPTED}  scripting mode interrupted by a signal

When stdin is not a terminal, stdin lines are sent as messages (slash commands
work), received messages are printed as plain lines, and the client exits once
everything is sent. Set ${PASSWORD_ENV} to log in with a password without a prompt.
`;

/** Where commander writes help and errors; tests capture them. */
export interface CliOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

export function buildProgram(output?: CliOutput): Command {
  const defaults = defaultOptions();
  const program = new Command('chat-client')
    .description('Terminal client for the chat server: chat in rooms, private messages, history.')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .addHelpText('after', EXIT_HELP);
  if (output !== undefined) program.configureOutput(output);
  for (const spec of OPTION_TABLE) {
    const option = new Option(spec.flag, spec.description);
    const shown = describeDefault(spec, defaults);
    if (shown !== undefined) option.default(defaults[spec.key], shown);
    if (spec.kind !== 'boolean') {
      option.argParser((text: string) => {
        try {
          return parseOptionValue(spec, text);
        } catch (error) {
          throw new InvalidArgumentError((error as Error).message);
        }
      });
    }
    program.addOption(option);
  }
  program.addOption(new Option('--color', 'colour the output even when it is not a terminal'));
  program.addOption(new Option('--no-color', 'no colours (also when NO_COLOR is set or stdout is not a terminal)'));
  return program;
}

/** Parses argv; returns the options, or the exit code when commander already answered (help, version, error). */
export function parseArgs(argv: readonly string[], output?: CliOutput): ClientOptions | ExitCode {
  const program = buildProgram(output);
  try {
    program.parse(argv as string[]);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0
        ? EXIT.OK
        : EXIT.USAGE;
    }
    throw error;
  }
  const o = program.opts<Record<string, unknown>>();
  return {
    ...defaultOptions(),
    host: o.host as string,
    port: o.port as number,
    name: o.name as string | undefined,
    room: o.room as string,
    passwordPrompt: o.passwordPrompt === true,
    color: o.color as boolean | undefined,
  };
}

