import { Option, type Command } from 'commander';

// The option machinery the three bins share. Each bin declares a table of
// flags, its defaults and a parser per kind of value; this module turns the
// table into commander options, reads the values back (the flag, else its
// environment variable, else a config file's value, else the default, and
// where each came from) and renders the Markdown flag table of the docs, so
// a flag, its help and its documentation cannot drift apart. Nothing here
// prints or exits: the bins do.

/** One flag of a bin. */
export interface FlagSpec<Key extends string = string, Kind extends string = string> {
  /** The field of the bin's options it sets. */
  readonly key: Key;
  /** As commander reads it: `--port <number>` takes a value, `--quick` or `--no-pin` is a switch. */
  readonly flag: string;
  /** Names the bin's parser and display for the value (see ValueKind). */
  readonly kind: Kind;
  readonly description: string;
  /**
   * Environment variable read when the flag is not given; an empty one
   * counts as unset. A switch takes true/false (also 1/0, yes/no, on/off).
   */
  readonly env?: string;
  /** Smallest accepted value of a numeric flag. */
  readonly min?: number;
  /** Largest accepted value of a numeric flag. */
  readonly max?: number;
}

/** A bad flag or environment value. Its message is the one line the bin prints. */
export class OptionValueError extends Error {
  override name = 'OptionValueError';
}

/**
 * How values of one kind are read and shown. A kind without `parse` is a
 * switch: a flag without a value that turns its default over (`--quick` on,
 * `--no-pin` off).
 */
export interface ValueKind<Spec extends FlagSpec = FlagSpec> {
  /** Reads the text given to the flag; `previous` is the value so far, for a repeatable flag. Throws OptionValueError. */
  readonly parse?: (text: string, spec: Spec, previous: unknown) => unknown;
  /**
   * The default as `--help` and the docs show it, undefined to show none.
   * Without it: the value as text, a list joined with commas; nothing for an
   * unset value, an empty list or a switch.
   */
  readonly show?: (value: unknown, spec: Spec) => string | undefined;
  /** Given more than once, the flag adds to a list (`previous`); a config file gives an array. */
  readonly repeatable?: boolean;
  /** The value as a config file writes it (seconds for a value kept in ms); the value itself unless set. */
  readonly toFile?: (value: unknown) => unknown;
}

/** Where a value came from, for `--print-config`: `flag --port`, `environment CHAT_PORT`, `chat.toml:3`, `default`. */
export type ValueSources = Record<string, string>;

/** What a config file gave: each key's value as the file has it (TOML), and where it is (`file:line`). */
export interface FileValues {
  readonly values: Readonly<Record<string, unknown>>;
  readonly where: Readonly<Record<string, string>>;
}

/** The flag without its value placeholder: `--port` for `--port <number>`. */
export function flagName(spec: Pick<FlagSpec, 'flag'>): string {
  return spec.flag.split(' ')[0]!;
}

/** The flag as a config file's key: `max-message` for `--max-message <n>`, `no-plain` for `--no-plain`. */
export function fileKey(spec: Pick<FlagSpec, 'flag'>): string {
  return flagName(spec).slice(2);
}

/** `prefix` and the flag in upper snake case: `CHAT_MAX_MESSAGE` for `--max-message`. */
export function envName(prefix: string, spec: Pick<FlagSpec, 'flag'>): string {
  return `${prefix}${fileKey(spec).toUpperCase().replaceAll('-', '_')}`;
}

const TRUE_TEXT = /^(1|true|yes|on)$/i;
const FALSE_TEXT = /^(0|false|no|off)$/i;

/** Refuses an empty or blank value. */
export function parseNonEmpty(text: string, spec: FlagSpec): string {
  if (text.trim() === '') throw new OptionValueError(`${flagName(spec)} must not be empty`);
  return text;
}

/**
 * A plain decimal number, whole when `whole`, within the spec's min and max.
 * Signs, exponents, hex, `Infinity` and surrounding spaces are refused rather
 * than read the way Number() would.
 */
export function parseNumber(text: string, spec: FlagSpec, whole: boolean): number {
  const name = flagName(spec);
  const pattern = whole ? /^[0-9]+$/ : /^[0-9]+(\.[0-9]+)?$/;
  const n = Number(text);
  if (!pattern.test(text) || !Number.isFinite(n)) {
    throw new OptionValueError(`${name} must be a ${whole ? 'whole ' : ''}number, got '${text}'`);
  }
  if (spec.min !== undefined && n < spec.min) throw new OptionValueError(`${name} must be at least ${spec.min}, got ${text}`);
  if (spec.max !== undefined && n > spec.max) throw new OptionValueError(`${name} must be at most ${spec.max}, got ${text}`);
  return n;
}

/** How a value's default is shown when its kind does not say. */
function showValue(value: unknown): string | undefined {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
}

const escapeCell = (text: string): string => text.replaceAll('|', '\\|');

export interface TableStyle<Spec extends FlagSpec> {
  /** The default column of a row, given the shown default (undefined when none). Without it: the shown default, or empty. */
  readonly defaultCell?: (shown: string | undefined, spec: Spec) => string;
  /** Markdown rows after the table's own, for flags a bin adds beside the table (with the environment column when it is on). */
  readonly extraRows?: readonly string[];
  /** The environment variables in a column of their own rather than in the meaning. */
  readonly envColumn?: boolean;
}

export interface ReadOptions<Values> {
  /** What a flag not given (and without its variable) gets; the built-in defaults unless set. */
  readonly base?: Values;
  /** The environment; process.env unless set. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A config file's values, below the flags and the environment. */
  readonly file?: FileValues;
  /** Filled in with where each value came from. */
  readonly sources?: ValueSources;
}

export interface OptionKit<Values, Spec extends FlagSpec> {
  readonly table: readonly Spec[];
  /** True for a flag without a value. */
  isSwitch(spec: Spec): boolean;
  /** Parses one flag's text; a switch gives the opposite of its default. Throws OptionValueError. */
  parse(spec: Spec, text: string, previous?: unknown): unknown;
  /** How a default is shown in `--help` and the docs; undefined when it is not shown. */
  describeDefault(spec: Spec, defaults?: Values): string | undefined;
  /** The description, with the environment variable when the flag has one. */
  helpText(spec: Spec): string;
  /** Adds every flag of the table to `command`, in table order, its default in its help. */
  addTo(command: Command): Command;
  /** The values after `command.parse()`: each flag given, else its variable, else the file's, else `base`. Throws OptionValueError. */
  read(command: Command, options?: ReadOptions<Values>): Values;
  /** The spec whose file key this is, if any. */
  specOfKey(key: string): Spec | undefined;
  /** A value as a config file has it (TOML: a string, number, boolean or array) → the option's value. Throws OptionValueError without a location. */
  fromFile(spec: Spec, value: unknown): unknown;
  /** An option's value as a config file writes it (the inverse of fromFile). */
  toFile(spec: Spec, value: unknown): unknown;
  /** The `| flag | default | meaning |` table of the docs. */
  markdownTable(style?: TableStyle<Spec>, defaults?: Values): string;
}

/** Binds a bin's flag table to its parsers and defaults. */
export function optionKit<Values extends object, Spec extends FlagSpec<keyof Values & string>>(config: {
  readonly table: readonly Spec[];
  readonly kinds: Readonly<Record<Spec['kind'], ValueKind<Spec>>>;
  readonly defaults: () => Values;
}): OptionKit<Values, Spec> {
  const { table, kinds } = config;
  const builtIn = config.defaults();
  const kindOf = (spec: Spec): ValueKind<Spec> => kinds[spec.kind as Spec['kind']];
  const valueOf = (values: Values, spec: Spec): unknown => (values as Record<string, unknown>)[spec.key];
  const isSwitch = (spec: Spec): boolean => kindOf(spec).parse === undefined;

  const parse = (spec: Spec, text: string, previous?: unknown): unknown => {
    const reader = kindOf(spec).parse;
    return reader === undefined ? !valueOf(builtIn, spec) : reader(text, spec, previous);
  };

  const describeDefault = (spec: Spec, defaults: Values = builtIn): string | undefined => {
    const value = valueOf(defaults, spec);
    const show = kindOf(spec).show;
    if (show !== undefined) return show(value, spec);
    return isSwitch(spec) ? undefined : showValue(value);
  };

  const helpText = (spec: Spec): string => (spec.env === undefined ? spec.description : `${spec.description} (or ${spec.env})`);

  const byKey = new Map(table.map((spec) => [fileKey(spec), spec]));

  const fromFile = (spec: Spec, value: unknown): unknown => {
    if (isSwitch(spec)) {
      if (typeof value !== 'boolean') throw new OptionValueError(`must be true or false, got ${describeTomlValue(value)}`);
      return value ? parse(spec, '') : valueOf(builtIn, spec);
    }
    const kind = kindOf(spec);
    const one = (item: unknown, previous: unknown): unknown => {
      if (typeof item === 'string') return parse(spec, item, previous);
      if (typeof item === 'number' || typeof item === 'bigint') return parse(spec, String(item), previous);
      throw new OptionValueError(`must be ${kind.repeatable ? 'a list of names' : 'a number or a string'}, got ${describeTomlValue(item)}`);
    };
    if (kind.repeatable) {
      const items = Array.isArray(value) ? value : [value];
      let list: unknown = [];
      for (const item of items) list = one(item, list);
      return list;
    }
    return one(value, undefined);
  };

  const toFile = (spec: Spec, value: unknown): unknown => {
    if (isSwitch(spec)) return value !== valueOf(builtIn, spec);
    const convert = kindOf(spec).toFile;
    return convert === undefined ? value : convert(value);
  };

  /** Switch text from the environment: on, off (the default), or an error. */
  const switchFromEnv = (spec: Spec, text: string): unknown => {
    if (TRUE_TEXT.test(text)) return parse(spec, '');
    if (FALSE_TEXT.test(text)) return valueOf(builtIn, spec);
    throw new OptionValueError(`must be true or false (or 1/0, yes/no, on/off), got '${text}'`);
  };

  return {
    table,
    isSwitch,
    parse,
    describeDefault,
    helpText,
    fromFile,
    toFile,
    specOfKey: (key) => byKey.get(key),

    addTo(command) {
      for (const spec of table) {
        // The default goes into the help text rather than into commander: read()
        // applies defaults itself, after the flags and the environment.
        const shown = isSwitch(spec) ? undefined : describeDefault(spec);
        const option = new Option(spec.flag, shown === undefined ? helpText(spec) : `${helpText(spec)} (default: ${shown})`);
        if (!isSwitch(spec)) option.argParser((text: string, previous: unknown) => parse(spec, text, previous));
        command.addOption(option);
      }
      return command;
    },

    read(command, options = {}) {
      const env = options.env ?? process.env;
      const values = { ...(options.base ?? config.defaults()) } as Record<string, unknown>;
      const sources = options.sources ?? {};
      for (const spec of table) {
        // commander names a value after its flag (--max-message → maxMessage, --no-pin → pin).
        const name = new Option(spec.flag).attributeName();
        if (command.getOptionValueSource(name) === 'cli') {
          values[spec.key] = isSwitch(spec) ? parse(spec, '') : command.getOptionValue(name);
          sources[spec.key] = `flag ${flagName(spec)}`;
          continue;
        }
        // Read here rather than through commander's .env(), which would print `env:` in
        // the help and take an empty variable for a value.
        const text = spec.env === undefined ? undefined : env[spec.env];
        if (text !== undefined && text !== '') {
          try {
            values[spec.key] = isSwitch(spec) ? switchFromEnv(spec, text) : parse(spec, text);
          } catch (err) {
            if (err instanceof OptionValueError) throw new OptionValueError(`${spec.env}: ${err.message}`);
            throw err;
          }
          sources[spec.key] = `environment ${spec.env}`;
          continue;
        }
        const key = fileKey(spec);
        if (options.file !== undefined && Object.hasOwn(options.file.values, key)) {
          // Checked when the file was read (with its line); converted the same way here.
          values[spec.key] = fromFile(spec, options.file.values[key]);
          sources[spec.key] = options.file.where[key] ?? 'config file';
          continue;
        }
        sources[spec.key] = 'default';
      }
      return values as Values;
    },

    markdownTable(style = {}, defaults = builtIn) {
      const rows = table.map((spec) => {
        const shown = describeDefault(spec, defaults);
        const cell = style.defaultCell === undefined ? (shown ?? '') : style.defaultCell(shown, spec);
        if (!style.envColumn) return `| \`${escapeCell(spec.flag)}\` | ${escapeCell(cell)} | ${escapeCell(helpText(spec))} |`;
        const env = spec.env === undefined ? '' : `\`${spec.env}\``;
        return `| \`${escapeCell(spec.flag)}\` | ${env} | ${escapeCell(cell)} | ${escapeCell(spec.description)} |`;
      });
      const head = style.envColumn ? ['| flag | environment | default | meaning |', '| --- | --- | --- | --- |'] : ['| flag | default | meaning |', '| --- | --- | --- |'];
      return [...head, ...rows, ...(style.extraRows ?? [])].join('\n');
    },
  };
}

/** A TOML value in words, for an error: `a list`, `a table`, `true`, `"text"`. */
export function describeTomlValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object' && value !== null) return 'a table';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
