import { Option, type Command } from 'commander';

// The option machinery the three bins share. Each bin declares a table of
// flags, its defaults and a parser per kind of value; this module turns the
// table into commander options, reads the values back (the flag, else its
// environment variable, else the default) and renders the Markdown flag
// table of the docs, so a flag, its help and its documentation cannot drift
// apart. Nothing here prints or exits: the bins do.

/** One flag of a bin. */
export interface FlagSpec<Key extends string = string, Kind extends string = string> {
  /** The field of the bin's options it sets. */
  readonly key: Key;
  /** As commander reads it: `--port <number>` takes a value, `--quick` or `--no-pin` is a switch. */
  readonly flag: string;
  /** Names the bin's parser and display for the value (see ValueKind). */
  readonly kind: Kind;
  readonly description: string;
  /** Environment variable read when the flag is not given; an empty one counts as unset (for a switch, any other value sets it). */
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
}

/** The flag without its value placeholder: `--port` for `--port <number>`. */
export function flagName(spec: Pick<FlagSpec, 'flag'>): string {
  return spec.flag.split(' ')[0]!;
}

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
  /** Markdown rows after the table's own, for flags a bin adds beside the table. */
  readonly extraRows?: readonly string[];
}

export interface ReadOptions<Values> {
  /** What a flag not given (and without its variable) gets; the built-in defaults unless set. */
  readonly base?: Values;
  /** The environment; process.env unless set. */
  readonly env?: Readonly<Record<string, string | undefined>>;
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
  /** The values after `command.parse()`: each flag given, else its variable, else `base`. Throws OptionValueError. */
  read(command: Command, options?: ReadOptions<Values>): Values;
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

  return {
    table,
    isSwitch,
    parse,
    describeDefault,
    helpText,

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
      for (const spec of table) {
        // commander names a value after its flag (--max-message → maxMessage, --no-pin → pin).
        const name = new Option(spec.flag).attributeName();
        if (command.getOptionValueSource(name) === 'cli') {
          values[spec.key] = isSwitch(spec) ? parse(spec, '') : command.getOptionValue(name);
          continue;
        }
        // Read here rather than through commander's .env(), which would print `env:` in
        // the help and take an empty variable for a value.
        const text = spec.env === undefined ? undefined : env[spec.env];
        if (text === undefined || text === '') continue;
        try {
          values[spec.key] = parse(spec, text);
        } catch (err) {
          if (err instanceof OptionValueError) throw new OptionValueError(`${spec.env}: ${err.message}`);
          throw err;
        }
      }
      return values as Values;
    },

    markdownTable(style = {}, defaults = builtIn) {
      const rows = table.map((spec) => {
        const shown = describeDefault(spec, defaults);
        const cell = style.defaultCell === undefined ? (shown ?? '') : style.defaultCell(shown, spec);
        return `| \`${escapeCell(spec.flag)}\` | ${escapeCell(cell)} | ${escapeCell(helpText(spec))} |`;
      });
      return ['| flag | default | meaning |', '| --- | --- | --- |', ...rows, ...(style.extraRows ?? [])].join('\n');
    },
  };
}
