import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { OptionValueError } from '../cli/option-kit.js';
import { DEFAULT_TLS_PORT, EXIT, EXIT_MEANINGS, PASSWORD_ENV, clientFlags, type ClientOptions, type ExitCode } from './options.js';

// commander, driven by the option table in options.ts.

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Splits `text` into lines of at most `width` columns, at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}

function exitHelp(): string {
  const codes = EXIT_MEANINGS.map((e) => {
    const lead = `  ${String(e.code).padEnd(5)}`;
    return wrap(e.meaning.replace(/`/g, ''), 79 - lead.length).join(`\n${' '.repeat(lead.length)}`).replace(/^/, lead);
  });
  return `
Exit codes:
${codes.join('\n')}

When stdin is not a terminal, stdin lines are sent as messages (slash commands
work), received messages are printed as plain lines, and the client exits once
everything is sent. Set ${PASSWORD_ENV} to log in with a password without a prompt.
`;
}

/** A usage error, in the style of every bin: one line, `chat-client: reason (see chat-client --help)`. */
export function usageLine(reason: string): string {
  return `chat-client: ${reason} (see chat-client --help)\n`;
}

/** Where commander writes help and errors; tests capture them. */
export interface CliOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

function buildProgram(output: CliOutput): Command {
  const program = new Command('chat-client')
    .description('Terminal client for the chat server: chat in rooms, private messages, history.')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .addHelpText('after', exitHelp());
  // Errors are printed by parseArgs, in one line; commander prints only help and the version.
  program.configureOutput({ writeOut: output.writeOut, writeErr: output.writeErr, outputError: () => undefined });
  clientFlags.addTo(program);
  program.addOption(new Option('--color', 'colour the output even when it is not a terminal'));
  program.addOption(new Option('--no-color', 'no colours (also when NO_COLOR is set or stdout is not a terminal)'));
  return program;
}

const stderrOutput: CliOutput = {
  writeOut: (text) => process.stdout.write(text),
  writeErr: (text) => process.stderr.write(text),
};

/** One line for a commander error: without its "error: " prefix, a suggestion kept on the same line. */
function usageReason(error: CommanderError, program: Command): string {
  if (error.code === 'commander.excessArguments') {
    return `unexpected argument '${program.args[0] ?? ''}' (every value belongs to a flag)`;
  }
  return error.message
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.*)\?\)$/s, ' (did you mean $1?)')
    .replace(/\s*\n\s*/g, ' ');
}

/**
 * Parses argv; returns the options, or the exit code when commander already
 * answered (help, version) or the flags are wrong: then the one line of
 * usageLine() went to stderr.
 */
export function parseArgs(argv: readonly string[], output: CliOutput = stderrOutput): ClientOptions | ExitCode {
  const program = buildProgram(output);
  let options: ClientOptions;
  try {
    program.parse(argv as string[]);
    options = clientFlags.read(program);
  } catch (error) {
    // A bad value, in the words of options.ts.
    if (error instanceof OptionValueError) {
      output.writeErr(usageLine(error.message));
      return EXIT.USAGE;
    }
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return EXIT.OK;
      output.writeErr(usageLine(usageReason(error, program)));
      return EXIT.USAGE;
    }
    throw error;
  }
  if (!options.tls && (options.ca !== undefined || options.insecure)) {
    output.writeErr(usageLine(`${options.ca !== undefined ? '--ca' : '--insecure'} goes with --tls`));
    return EXIT.USAGE;
  }
  // --tls alone connects to the server's TLS port; a --port given wins.
  const port = options.tls && program.getOptionValueSource('port') !== 'cli' ? DEFAULT_TLS_PORT : options.port;
  return { ...options, port, color: program.opts<{ color?: boolean }>().color };
}
