import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/client/cli.js';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  EXIT,
  EXIT_MEANINGS,
  OPTION_TABLE,
  chooseColorLevel,
  exitTableMarkdown,
  flagTableMarkdown,
  parseOptionValue,
} from '../../src/client/options.js';

function parse(...args: string[]) {
  let out = '';
  let err = '';
  const result = parseArgs(['node', 'chat-client', ...args], {
    writeOut: (t) => (out += t),
    writeErr: (t) => (err += t),
  });
  return { result, out, err };
}

describe('parseArgs', () => {
  it('applies the defaults', () => {
    expect(parse().result).toEqual({
      host: DEFAULT_HOST,
      port: DEFAULT_PORT,
      name: undefined,
      room: 'lobby',
      passwordPrompt: false,
      skipHistory: false,
      tls: false,
      ca: undefined,
      insecure: false,
      color: undefined,
    });
    expect([DEFAULT_HOST, DEFAULT_PORT]).toEqual(['127.0.0.1', 65432]);
  });

  it('--tls connects to the TLS port 65433 unless --port says otherwise; --ca and --insecure need --tls', () => {
    expect(parse('--tls').result).toMatchObject({ tls: true, port: 65433 });
    expect(parse('--tls', '--port', '7000').result).toMatchObject({ tls: true, port: 7000 });
    expect(parse('--tls', '--ca', 'ca.pem', '--insecure').result).toMatchObject({ tls: true, ca: 'ca.pem', insecure: true, port: 65433 });
    expect(parse('--insecure')).toMatchObject({ result: 2, err: 'chat-client: --insecure goes with --tls (see chat-client --help)\n' });
    expect(parse('--ca', 'ca.pem')).toMatchObject({ result: 2, err: 'chat-client: --ca goes with --tls (see chat-client --help)\n' });
  });

  it('reads every flag', () => {
    expect(
      parse('--host', 'example.org', '--port', '4000', '--name', 'bob', '--room', 'dev', '--password-prompt', '--no-history', '--no-color')
        .result,
    ).toEqual({
      host: 'example.org',
      port: 4000,
      name: 'bob',
      room: 'dev',
      passwordPrompt: true,
      skipHistory: true,
      tls: false,
      ca: undefined,
      insecure: false,
      color: false,
    });
    expect(parse('--color').result).toMatchObject({ color: true });
  });

  it('answers --help and --version with exit 0', () => {
    const help = parse('--help');
    expect(help.result).toBe(EXIT.OK);
    for (const spec of OPTION_TABLE) expect(help.out).toContain(spec.flag);
    expect(help.out).toContain('--no-color');
    expect(help.out).toContain('Exit codes');
    const version = parse('--version');
    expect(version.result).toBe(EXIT.OK);
    expect(version.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses bad flags with the usage exit code and one line `chat-client: <reason> (see chat-client --help)`', () => {
    const cases: Array<[string[], string]> = [
      [['--port', 'http'], "--port must be a whole number, got 'http'"],
      [['--port', '0'], '--port must be between 1 and 65535, got 0'],
      [['--port', '70000'], '--port must be between 1 and 65535, got 70000'],
      [['--port'], "option '--port <number>' argument missing"],
      [['--bogus'], "unknown option '--bogus'"],
      [['--hots', 'x'], "unknown option '--hots' (did you mean --host?)"],
      [['--host', ' '], '--host must not be empty'],
      [['--room', 'bad room'], expect.stringMatching(/^--room: room .*letters/) as unknown as string],
      [['extra'], "unexpected argument 'extra' (every value belongs to a flag)"],
    ];
    for (const [args, reason] of cases) {
      const { result, out, err } = parse(...args);
      expect(result, args.join(' ')).toBe(EXIT.USAGE);
      expect(out, args.join(' ')).toBe('');
      const lines = err.split('\n');
      expect(lines, args.join(' ')).toHaveLength(2);
      expect(lines[1], args.join(' ')).toBe('');
      const line = /^chat-client: (.*) \(see chat-client --help\)$/.exec(lines[0]!);
      expect(line?.[1], args.join(' ')).toEqual(reason);
    }
  });

  it('lists every exit code with its meaning in --help', () => {
    const help = parse('--help').out.replace(/\s+/g, ' ');
    for (const { code, meaning } of EXIT_MEANINGS) {
      expect(help).toContain(` ${code} ${meaning.replace(/`/g, '')}`);
    }
    expect(EXIT_MEANINGS.map((e) => e.code)).toEqual(Object.values(EXIT));
  });
});

describe('parseOptionValue', () => {
  const port = OPTION_TABLE.find((s) => s.key === 'port')!;
  const room = OPTION_TABLE.find((s) => s.key === 'room')!;
  it('checks --room with the protocol rules', () => {
    expect(parseOptionValue(room, 'dev')).toBe('dev');
    expect(() => parseOptionValue(room, 'x')).toThrow(/^--room: /);
  });
  it('accepts ports from 1 to 65535 only', () => {
    expect(parseOptionValue(port, '1')).toBe(1);
    expect(parseOptionValue(port, '65535')).toBe(65535);
    expect(() => parseOptionValue(port, '-1')).toThrow(/whole number/);
    expect(() => parseOptionValue(port, '1e3')).toThrow(/whole number/);
  });
});

describe('chooseColorLevel: one decision', () => {
  const base = { flag: undefined, noColorEnv: undefined, isTTY: true, detectedLevel: 2 };
  it('colours a terminal', () => {
    expect(chooseColorLevel(base)).toBe(2);
    expect(chooseColorLevel({ ...base, detectedLevel: 0 })).toBe(1);
  });
  it('does not colour a pipe or when NO_COLOR is set', () => {
    expect(chooseColorLevel({ ...base, isTTY: false })).toBe(0);
    expect(chooseColorLevel({ ...base, noColorEnv: '1' })).toBe(0);
    expect(chooseColorLevel({ ...base, noColorEnv: '' })).toBe(2);
  });
  it('lets --color and --no-color win', () => {
    expect(chooseColorLevel({ ...base, flag: false })).toBe(0);
    expect(chooseColorLevel({ ...base, flag: true, isTTY: false, detectedLevel: 0 })).toBe(1);
    expect(chooseColorLevel({ ...base, flag: true, noColorEnv: '1' })).toBe(2);
  });
});

describe('docs/CLIENT.md', () => {
  it('has the flag table generated from the option table', () => {
    const doc = readFileSync(new URL('../../docs/CLIENT.md', import.meta.url), 'utf8');
    const section = doc.split('<!-- client-flags:start -->')[1]?.split('<!-- client-flags:end -->')[0]?.trim();
    expect(section).toBe(flagTableMarkdown());
  });

  it('has the exit code table generated from EXIT_MEANINGS', () => {
    const doc = readFileSync(new URL('../../docs/CLIENT.md', import.meta.url), 'utf8');
    const section = doc.split('<!-- client-exit-codes:start -->')[1]?.split('<!-- client-exit-codes:end -->')[0]?.trim();
    expect(section).toBe(exitTableMarkdown());
    for (const code of Object.values(EXIT)) expect(section).toContain(`| \`${code}\` |`);
  });
});
