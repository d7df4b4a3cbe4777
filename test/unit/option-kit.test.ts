import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  OptionValueError,
  flagName,
  optionKit,
  parseNonEmpty,
  parseNumber,
  type FlagSpec,
  type ValueKind,
} from '../../src/cli/option-kit.js';

// A small bin's options, with one of each thing the kit handles: a number with
// bounds, a scaled number, a list, a repeatable flag, a value from the
// environment, a switch on and a switch off.

interface ToyOptions {
  port: number;
  timeoutMs: number;
  sizes: number[];
  extra: string[];
  url: string;
  name: string | undefined;
  verbose: boolean;
  pin: boolean;
}

type Kind = 'int' | 'seconds' | 'list' | 'repeat' | 'url' | 'string' | 'switch';
type Spec = FlagSpec<keyof ToyOptions, Kind>;

const TABLE: readonly Spec[] = [
  { key: 'port', flag: '--port <number>', kind: 'int', min: 1, max: 65535, description: 'TCP port' },
  { key: 'timeoutMs', flag: '--timeout <seconds>', kind: 'seconds', min: 0.5, description: 'how long to wait' },
  { key: 'sizes', flag: '--sizes <list>', kind: 'list', min: 1, description: 'one run per size' },
  { key: 'extra', flag: '--extra <arg>', kind: 'repeat', description: 'passed on (repeatable)' },
  { key: 'url', flag: '--url <url>', kind: 'url', env: 'TOY_URL', description: 'where the data is' },
  { key: 'name', flag: '--name <name>', kind: 'string', description: 'who | what' },
  { key: 'verbose', flag: '--verbose', kind: 'switch', description: 'say more' },
  { key: 'pin', flag: '--no-pin', kind: 'switch', description: 'do not pin' },
];

const KINDS: Record<Kind, ValueKind<Spec>> = {
  int: { parse: (text, spec) => parseNumber(text, spec, true) },
  seconds: {
    parse: (text, spec) => Math.round(parseNumber(text, spec, false) * 1000),
    show: (value) => `${(value as number) / 1000}`,
  },
  list: { parse: (text, spec) => text.split(',').map((piece) => parseNumber(piece.trim(), spec, true)) },
  repeat: { parse: (text, _spec, previous) => [...((previous as string[] | undefined) ?? []), text] },
  url: {
    parse: (text, spec) => {
      if (!text.startsWith('toy://')) throw new OptionValueError(`${flagName(spec)} must start with toy://, got '${text}'`);
      return text;
    },
    show: (value) => (value === '' ? 'off' : String(value)),
  },
  string: { parse: (text, spec) => parseNonEmpty(text, spec) },
  switch: {},
};

const defaults = (): ToyOptions => ({
  port: 7000,
  timeoutMs: 1500,
  sizes: [10, 100],
  extra: [],
  url: '',
  name: undefined,
  verbose: false,
  pin: true,
});

const kit = optionKit({ table: TABLE, kinds: KINDS, defaults });
const spec = (key: keyof ToyOptions): Spec => TABLE.find((s) => s.key === key)!;

/** A command with the toy flags, parsed from `args`; commander's own errors are thrown. */
function parsed(args: string[]): Command {
  const command = kit.addTo(new Command('toy').exitOverride().configureOutput({ writeErr: () => undefined }));
  command.parse(args, { from: 'user' });
  return command;
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(OptionValueError);
    return (err as Error).message;
  }
  throw new Error('not refused');
}

describe('value parsers', () => {
  it('names the flag without its placeholder', () => {
    expect(flagName(spec('port'))).toBe('--port');
    expect(flagName(spec('pin'))).toBe('--no-pin');
  });

  it('reads plain decimal numbers within the bounds', () => {
    expect(parseNumber('8080', spec('port'), true)).toBe(8080);
    expect(parseNumber('007', spec('port'), true)).toBe(7);
    expect(parseNumber('2.5', spec('timeoutMs'), false)).toBe(2.5);
  });

  it.each(['', ' 80', '80 ', '-1', '+80', '1e3', '0x50', 'Infinity', 'NaN', '80.5', '1.', '.5'])('refuses %j as a whole number', (text) => {
    expect(refusal(() => parseNumber(text, spec('port'), true))).toBe(`--port must be a whole number, got '${text}'`);
  });

  it('says which bound a number misses, with the text as given', () => {
    expect(refusal(() => parseNumber('0', spec('port'), true))).toBe('--port must be at least 1, got 0');
    expect(refusal(() => parseNumber('65536', spec('port'), true))).toBe('--port must be at most 65535, got 65536');
    expect(refusal(() => parseNumber('0.25', spec('timeoutMs'), false))).toBe('--timeout must be at least 0.5, got 0.25');
    expect(refusal(() => parseNumber('soon', spec('timeoutMs'), false))).toBe("--timeout must be a number, got 'soon'");
  });

  it('refuses an empty or blank text', () => {
    expect(parseNonEmpty('x', spec('name'))).toBe('x');
    expect(refusal(() => parseNonEmpty('  ', spec('name')))).toBe('--name must not be empty');
  });
});

describe('optionKit', () => {
  it('parses through the kind, and a switch turns its default over', () => {
    expect(kit.parse(spec('timeoutMs'), '2')).toBe(2000);
    expect(kit.parse(spec('sizes'), '1, 2,3')).toEqual([1, 2, 3]);
    expect(kit.parse(spec('extra'), 'b', ['a'])).toEqual(['a', 'b']);
    expect(kit.parse(spec('verbose'), '')).toBe(true);
    expect(kit.parse(spec('pin'), '')).toBe(false);
    expect(kit.isSwitch(spec('pin'))).toBe(true);
    expect(kit.isSwitch(spec('port'))).toBe(false);
  });

  it('shows defaults: as the kind says, lists with commas, nothing when unset or a switch', () => {
    expect(kit.describeDefault(spec('port'))).toBe('7000');
    expect(kit.describeDefault(spec('timeoutMs'))).toBe('1.5');
    expect(kit.describeDefault(spec('sizes'))).toBe('10,100');
    expect(kit.describeDefault(spec('url'))).toBe('off');
    expect(kit.describeDefault(spec('extra'))).toBeUndefined();
    expect(kit.describeDefault(spec('name'))).toBeUndefined();
    expect(kit.describeDefault(spec('verbose'))).toBeUndefined();
    expect(kit.describeDefault(spec('port'), { ...defaults(), port: 1 })).toBe('1');
  });

  it('registers every flag with its help: the variable, and the default of a value flag', () => {
    const help = kit.addTo(new Command('toy')).helpInformation();
    expect(help).toMatch(/--port <number> +TCP port \(default: 7000\)\n/);
    expect(help).toMatch(/--timeout <seconds> +how long to wait \(default: 1\.5\)\n/);
    expect(help).toMatch(/--url <url> +where the data is \(or TOY_URL\) \(default: off\)\n/);
    expect(help).toMatch(/--extra <arg> +passed on \(repeatable\)\n/);
    expect(help).toMatch(/--verbose +say more\n/);
    expect(help).toMatch(/--no-pin +do not pin\n/);
  });

  it('reads what was given and keeps the defaults of the rest', () => {
    const command = parsed(['--port', '80', '--timeout', '0.5', '--extra', 'a', '--extra', 'b', '--no-pin', '--verbose']);
    expect(kit.read(command, { env: {} })).toEqual({
      ...defaults(),
      port: 80,
      timeoutMs: 500,
      extra: ['a', 'b'],
      pin: false,
      verbose: true,
    });
    expect(kit.read(parsed([]), { env: {} })).toEqual(defaults());
  });

  it('takes the unset values from a given base (a preset such as --quick), flags still winning', () => {
    const base = { ...defaults(), port: 1, sizes: [5] };
    expect(kit.read(parsed(['--port', '2']), { base, env: {} })).toEqual({ ...base, port: 2 });
  });

  it("a bad value stops the parse with the parser's own one-line message", () => {
    expect(refusal(() => parsed(['--port', 'abc']))).toBe("--port must be a whole number, got 'abc'");
    expect(refusal(() => parsed(['--sizes', '1,x']))).toBe("--sizes must be a whole number, got 'x'");
  });

  it('environment: the flag wins, then the variable, then the default; an empty variable is unset', () => {
    expect(kit.read(parsed([]), { env: { TOY_URL: 'toy://env' } }).url).toBe('toy://env');
    expect(kit.read(parsed(['--url', 'toy://flag']), { env: { TOY_URL: 'toy://env' } }).url).toBe('toy://flag');
    expect(kit.read(parsed([]), { env: { TOY_URL: '' } }).url).toBe('');
    expect(kit.read(parsed([]), { env: {} }).url).toBe('');
  });

  it('a bad variable is refused with its name in front', () => {
    expect(refusal(() => kit.read(parsed([]), { env: { TOY_URL: 'http://x' } }))).toBe("TOY_URL: --url must start with toy://, got 'http://x'");
    // Not read at all when the flag is given.
    expect(kit.read(parsed(['--url', 'toy://flag']), { env: { TOY_URL: 'http://x' } }).url).toBe('toy://flag');
  });

  it('renders the Markdown flag table, escaping bars', () => {
    expect(kit.markdownTable()).toBe(
      [
        '| flag | default | meaning |',
        '| --- | --- | --- |',
        '| `--port <number>` | 7000 | TCP port |',
        '| `--timeout <seconds>` | 1.5 | how long to wait |',
        '| `--sizes <list>` | 10,100 | one run per size |',
        '| `--extra <arg>` |  | passed on (repeatable) |',
        '| `--url <url>` | off | where the data is (or TOY_URL) |',
        '| `--name <name>` |  | who \\| what |',
        '| `--verbose` |  | say more |',
        '| `--no-pin` |  | do not pin |',
      ].join('\n'),
    );
  });

  it('lets a bin word the default column and add rows of its own', () => {
    const table = kit.markdownTable({
      defaultCell: (shown, s) => (shown !== undefined ? `\`${shown}\`` : kit.isSwitch(s) ? '' : '–'),
      extraRows: ['| `-h, --help` | | show the help |'],
    });
    const lines = table.split('\n');
    expect(lines[2]).toBe('| `--port <number>` | `7000` | TCP port |');
    expect(lines[5]).toBe('| `--extra <arg>` | – | passed on (repeatable) |');
    expect(lines[8]).toBe('| `--verbose` |  | say more |');
    expect(lines.at(-1)).toBe('| `-h, --help` | | show the help |');
  });
});
