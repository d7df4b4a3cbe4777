import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseConfigText, renderConfig } from '../cli/config-file.js';
import { OptionValueError, type ValueSources } from '../cli/option-kit.js';
import { RESERVED_FILE_KEYS, serverFlags, type ServerOptions } from './options.js';
import { redactUrl } from './redis-connections.js';

// The server's settings from all their places: flags, then CHAT_ variables,
// then the --config file, then the defaults; and where each one came from,
// for --print-config. Nothing here prints or exits.

export interface Settings {
  options: ServerOptions;
  /** Per option key: `flag --port`, `environment CHAT_PORT`, `chat.toml:3` or `default`. */
  sources: ValueSources;
}

export interface SettingsInputs {
  env?: Readonly<Record<string, string | undefined>>;
  readFile?: (file: string) => string;
}

/** After `command.parse()`. Throws OptionValueError (one line) for a bad flag, variable or file. */
export function readSettings(command: Command, inputs: SettingsInputs = {}): Settings {
  const env = inputs.env ?? process.env;
  const configSpec = serverFlags.table.find((spec) => spec.key === 'config')!;
  const file =
    command.getOptionValueSource('config') === 'cli' ? (command.getOptionValue('config') as string) : env[configSpec.env!] || undefined;
  const sources: ValueSources = {};
  if (file === undefined) return { options: serverFlags.read(command, { env, sources }), sources };
  let text: string;
  try {
    text = (inputs.readFile ?? ((f) => readFileSync(f, 'utf8')))(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new OptionValueError(`cannot read the config file ${file}: ${why}`);
  }
  const values = parseConfigText(text, file, serverFlags, RESERVED_FILE_KEYS);
  const options = serverFlags.read(command, { env, file: values, sources });
  return { options, sources };
}

/** `chat-server --print-config`: the settings in effect, as a config file that gives them again. */
export function describeSettings(settings: Settings): string {
  const heading = ['chat-server settings in effect, each with where it came from (flag, environment, config file or default).'];
  if (settings.options.config !== '') heading.push(`config file: ${settings.options.config}`);
  return renderConfig(serverFlags, settings.options, settings.sources, {
    heading,
    reserved: RESERVED_FILE_KEYS,
    shown: (key, value) => (key === 'redisUrl' && typeof value === 'string' && value !== '' ? redactUrl(value) : value),
  });
}
