import { Command } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigText, tomlLiteral } from '../../src/cli/config-file.js';
import { OptionValueError, type ValueSources } from '../../src/cli/option-kit.js';
import { ENV_PREFIX, OPTION_TABLE, RESERVED_FILE_KEYS, defaultOptions, serverFlags, type ServerOptions } from '../../src/server/options.js';
import { describeSettings } from '../../src/server/settings.js';

const parseFile = (text: string) => parseConfigText(text, 'chat.toml', serverFlags, RESERVED_FILE_KEYS);

/** The one-line message of the refusal. */
function refusal(text: string): string {
  let caught: unknown;
  try {
    parseFile(text);
  } catch (err) {
    caught = err;
  }
  expect(caught, `${JSON.stringify(text)} should be refused`).toBeInstanceOf(OptionValueError);
  const message = (caught as Error).message;
  expect(message).not.toMatch(/[\r\n]/);
  return message;
}

/** The options from flags `args`, the environment `env` and the file text `file`, with their sources. */
function read(args: string[], env: Record<string, string> = {}, file?: string): { options: ServerOptions; sources: ValueSources } {
  const command = serverFlags.addTo(new Command('chat-server').exitOverride());
  command.parse(args, { from: 'user' });
  const sources: ValueSources = {};
  const options = serverFlags.read(command, { env, sources, ...(file === undefined ? {} : { file: parseFile(file) }) });
  return { options, sources };
}

describe('parseConfigText', () => {
  it('reads each key as its flag would, and where it is', () => {
    const file = parseFile(
      ['# a comment', 'port = 7000', 'max-message = "3000"', '', 'operator = [', '  "alice",', '  "bob",', ']', 'login-timeout = 2.5', 'no-plain = false'].join('\n'),
    );
    expect(file.values).toEqual({ port: 7000, 'max-message': '3000', operator: ['alice', 'bob'], 'login-timeout': 2.5, 'no-plain': false });
    expect(file.where).toEqual({ port: 'chat.toml:2', 'max-message': 'chat.toml:3', operator: 'chat.toml:5', 'login-timeout': 'chat.toml:9', 'no-plain': 'chat.toml:10' });
  });

  it('an unknown key: its line, and the key it was probably meant to be', () => {
    expect(refusal('port = 7000\n\nmax-mesage = 3\n')).toBe("chat.toml:3: unknown key 'max-mesage' (did you mean 'max-message'?)");
    expect(refusal('"operators" = ["alice"]')).toBe("chat.toml:1: unknown key 'operators' (did you mean 'operator'?)");
    expect(refusal('colour = "blue"')).toBe("chat.toml:1: unknown key 'colour'");
  });

  it('a bad value: the line, the key and what the flag would say', () => {
    expect(refusal('port = 70000')).toBe('chat.toml:1: port: must be at most 65535, got 70000');
    expect(refusal('\nport = -1')).toBe("chat.toml:2: port: must be a whole number, got '-1'");
    expect(refusal('log-level = "loud"')).toBe("chat.toml:1: log-level: must be one of error, warn, info, debug, got 'loud'");
    expect(refusal('port = true')).toBe('chat.toml:1: port: must be a number or a string, got true');
    expect(refusal('no-plain = "yes"')).toBe('chat.toml:1: no-plain: must be true or false, got "yes"');
    expect(refusal('operator = [true]')).toBe('chat.toml:1: operator: must be a list of names, got true');
    expect(refusal('operator = ["ok", "no way"]')).toMatch(/^chat\.toml:1: operator: 'no way' is not a valid name: /);
    expect(refusal('data-dir = ""')).toBe('chat.toml:1: data-dir: must not be empty');
  });

  it('tables, the config key itself, and text that is not TOML are refused with their line', () => {
    expect(refusal('port = 7000\n[tls]\ncert = "a.pem"')).toMatch(/^chat\.toml:2: \[tls\] tables are not read/);
    expect(refusal('tls.cert = "a.pem"')).toMatch(/^chat\.toml:1: \[tls\] tables are not read/);
    expect(refusal('config = "other.toml"')).toBe("chat.toml:1: 'config' cannot be set in a config file (a config file does not name another)");
    expect(refusal('port = 7000\nport = 7001')).toMatch(/^chat\.toml:2: not valid TOML: /);
    expect(refusal('port =\n')).toMatch(/^chat\.toml:1: not valid TOML: /);
  });

  it('any text: settings, or one line that starts with the file name (never another error)', () => {
    const keys = OPTION_TABLE.map((s) => s.flag.split(' ')[0]!.slice(2));
    const line = fc.oneof(
      fc.string(),
      fc.tuple(fc.constantFrom(...keys, 'x', 'tls'), fc.constantFrom(' = ', '=', ' == ', '.'), fc.oneof(fc.integer().map(String), fc.string().map((t) => JSON.stringify(t)), fc.constantFrom('true', '[', '["a"]', '1.5', '"', '{}'))).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        try {
          parseFile(lines.join('\n'));
        } catch (err) {
          expect(err).toBeInstanceOf(OptionValueError);
          expect((err as Error).message).toMatch(/^chat\.toml:\d+: [^\n]+$/);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('where settings come from', () => {
  it('every flag has a CHAT_ variable, the flag in upper snake case (CHAT_REDIS_URL as before)', () => {
    for (const spec of OPTION_TABLE) {
      const expected = spec.key === 'redisUrl' ? 'CHAT_REDIS_URL' : `${ENV_PREFIX}${spec.flag.split(' ')[0]!.slice(2).toUpperCase().replaceAll('-', '_')}`;
      expect(spec.env, spec.flag).toBe(expected);
    }
  });

  it('a flag wins over the environment, which wins over the file, which wins over the default', () => {
    const file = 'max-message = 5\nrate-limit = 7\nhistory-replay = 3';
    const { options, sources } = read(['--max-message', '12'], { CHAT_MAX_MESSAGE: '8', CHAT_RATE_LIMIT: '9' }, file);
    expect([options.maxMessageChars, options.rateLimit, options.historyReplay, options.rateBurst]).toEqual([12, 9, 3, defaultOptions().rateBurst]);
    expect([sources['maxMessageChars'], sources['rateLimit'], sources['historyReplay'], sources['rateBurst']]).toEqual([
      'flag --max-message',
      'environment CHAT_RATE_LIMIT',
      'chat.toml:3',
      'default',
    ]);
  });

  it('switches: true or false in the file and the environment; anything else in the environment is refused', () => {
    expect(read([], {}, 'no-plain = true\nlog-json = true').options).toMatchObject({ plain: false, logJson: true });
    expect(read([], {}, 'no-plain = false').options.plain).toBe(true);
    expect(read([], { CHAT_NO_PLAIN: 'yes', CHAT_LOG_JSON: 'off' }, 'log-json = true').options).toMatchObject({ plain: false, logJson: false });
    expect(read([], { CHAT_LOG_JSON: '1' }).options.logJson).toBe(true);
    expect(() => read([], { CHAT_LOG_JSON: 'maybe' })).toThrow("CHAT_LOG_JSON: must be true or false (or 1/0, yes/no, on/off), got 'maybe'");
    expect(() => read([], { CHAT_PORT: 'x' })).toThrow("CHAT_PORT: --port must be a whole number, got 'x'");
  });

  it('operator in a file: a list, or one name; a flag replaces the file list', () => {
    expect(read([], {}, 'operator = ["alice", "bob"]').options.operators).toEqual(['alice', 'bob']);
    expect(read([], {}, 'operator = "alice"').options.operators).toEqual(['alice']);
    expect(read(['--operator', 'carol'], {}, 'operator = ["alice"]').options.operators).toEqual(['carol']);
  });

  it('--print-config writes a config file that gives the same settings again', () => {
    const first = read(['--host', '0.0.0.0', '--log-json'], { CHAT_LOGIN_TIMEOUT: '2.5', CHAT_OUTPUT_CAP: '64' }, 'operator = ["alice", "bob"]\nno-plain = false\nmax-message = 300');
    const printed = describeSettings({ options: first.options, sources: first.sources });
    expect(printed).toMatch(/^login-timeout += 2\.5 +# environment CHAT_LOGIN_TIMEOUT$/m);
    expect(printed).toMatch(/^operator += \["alice", "bob"\] +# chat\.toml:1$/m);
    expect(printed).toMatch(/^host += "0\.0\.0\.0" +# flag --host$/m);
    expect(printed).toMatch(/^# tls-cert: not set +# default$/m);
    const again = read([], {}, printed);
    expect(again.options).toEqual(first.options);
  });

  it('--print-config masks the password of a Redis URL', () => {
    const { options, sources } = read(['--redis', 'redis://:hunter2@127.0.0.1:6379/0']);
    const printed = describeSettings({ options, sources });
    expect(printed).not.toContain('hunter2');
    expect(printed).toMatch(/^redis += "redis:\/\/:\*\*\*@127\.0\.0\.1:6379\/0" +# flag --redis$/m);
  });

  it('tomlLiteral escapes what TOML wants escaped', () => {
    expect(tomlLiteral('a"b\\c\n\u007f')).toBe('"a\\"b\\\\c\\n\\u007F"');
    expect(tomlLiteral(['x', 'y'])).toBe('["x", "y"]');
    expect(tomlLiteral(2.5)).toBe('2.5');
  });
});
