import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/client/cli.js';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  EXIT,
  OPTION_TABLE,
  chooseColorLevel,
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
      color: undefined,
    });
    expect([DEFAULT_HOST, DEFAULT_PORT]).toEqual(['127.0.0.1', 65432]);
  });

  it('reads every flag', () => {
    expect(parse('--host', 'example.org', '--port', '4000', '--name', 'bob', '--room', 'dev', '--password-prompt', '--no-color').result).toEqual({
      host: 'example.org',
      port: 4000,
      name: 'bob',
      room: 'dev',
      passwordPrompt: true,
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

  it('refuses bad flags with the usage exit code and a clear message', () => {
    for (const args of [['--port', 'http'], ['--port', '0'], ['--port', '70000'], ['--bogus'], ['--host', ' '], ['extra']]) {
      const { result, err } = parse(...args);
      expect(result, args.join(' ')).toBe(EXIT.USAGE);
      expect(err, args.join(' ')).toMatch(/error/);
    }
    expect(parse('--port', '70000').err).toContain('between 1 and 65535');
  });
});

describe('parseOptionValue', () => {
  const port = OPTION_TABLE.find((s) => s.key === 'port')!;
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

  it('documents every exit code', () => {
    const doc = readFileSync(new URL('../../docs/CLIENT.md', import.meta.url), 'utf8');
    for (const code of Object.values(EXIT)) expect(doc).toMatch(new RegExp(`\\|\\s*\`?${code}\`?\\s*\\|`));
  });
});
