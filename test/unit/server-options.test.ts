import { describe, expect, it } from 'vitest';
import {
  DEFAULT_KEEPALIVE_MS,
  DEFAULT_LOGIN_TIMEOUT_MS,
  DEFAULT_OUTPUT_CAP_BYTES,
  DEFAULT_PORT,
  LOG_LEVELS,
  OPTION_TABLE,
  defaultOptions,
  describeDefault,
  parseOptionValue,
  type OptionSpec,
  type ServerOptions,
} from '../../src/server/options.js';

function spec(key: keyof ServerOptions): OptionSpec {
  const found = OPTION_TABLE.find((s) => s.key === key);
  if (found === undefined) throw new Error(`no option for ${key}`);
  return found;
}

/** The thrown error, checked to be one line that names the flag. */
function refusal(key: keyof ServerOptions, text: string): string {
  const flag = spec(key).flag.split(' ')[0]!;
  let caught: unknown;
  try {
    parseOptionValue(spec(key), text);
  } catch (err) {
    caught = err;
  }
  expect(caught, `${flag} ${JSON.stringify(text)} should be refused`).toBeInstanceOf(Error);
  const message = (caught as Error).message;
  expect(message).not.toMatch(/[\r\n]/);
  expect(message.startsWith(`${flag} `)).toBe(true);
  return message;
}

describe('parseOptionValue', () => {
  it('int: whole numbers', () => {
    expect(parseOptionValue(spec('port'), '8080')).toBe(8080);
    expect(parseOptionValue(spec('port'), '0')).toBe(0);
    expect(parseOptionValue(spec('port'), '65535')).toBe(65535);
    expect(parseOptionValue(spec('maxLineBytes'), '64')).toBe(64);
    expect(parseOptionValue(spec('rateLimit'), '0')).toBe(0);
    expect(parseOptionValue(spec('historyReplay'), '0')).toBe(0);
    expect(parseOptionValue(spec('maxConnections'), '007')).toBe(7);
  });

  it('seconds: converted to milliseconds, fractions allowed', () => {
    expect(parseOptionValue(spec('loginTimeoutMs'), '60')).toBe(60_000);
    expect(parseOptionValue(spec('loginTimeoutMs'), '1.5')).toBe(1500);
    expect(parseOptionValue(spec('keepAliveMs'), '1')).toBe(1000);
    expect(parseOptionValue(spec('keepAliveMs'), '2.25')).toBe(2250);
    expect(parseOptionValue(spec('keepAliveMs'), '1.0004')).toBe(1000); // rounded to whole ms
  });

  it('kib: converted to bytes, fractions allowed', () => {
    expect(parseOptionValue(spec('outputCapBytes'), '256')).toBe(262_144);
    expect(parseOptionValue(spec('outputCapBytes'), '1')).toBe(1024);
    expect(parseOptionValue(spec('outputCapBytes'), '1.5')).toBe(1536);
  });

  it('level: one of the log levels', () => {
    for (const level of LOG_LEVELS) expect(parseOptionValue(spec('logLevel'), level)).toBe(level);
    expect(refusal('logLevel', 'verbose')).toBe("--log-level must be one of error, warn, info, debug, got 'verbose'");
    refusal('logLevel', '');
  });

  it('string: taken as is, but not empty', () => {
    expect(parseOptionValue(spec('host'), '0.0.0.0')).toBe('0.0.0.0');
    expect(parseOptionValue(spec('host'), '::1')).toBe('::1');
    expect(parseOptionValue(spec('dataDir'), '/var/lib/chat data')).toBe('/var/lib/chat data');
    expect(refusal('host', '')).toBe('--host must not be empty');
    expect(refusal('dataDir', '   ')).toBe('--data-dir must not be empty');
  });

  it('url: a redis:// or rediss:// URL, taken as is', () => {
    expect(parseOptionValue(spec('redisUrl'), 'redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(parseOptionValue(spec('redisUrl'), 'rediss://cache.example:6380/2')).toBe('rediss://cache.example:6380/2');
    expect(refusal('redisUrl', 'http://127.0.0.1:6379')).toBe("--redis must start with redis:// or rediss://, got 'http://127.0.0.1:6379'");
    expect(refusal('redisUrl', 'localhost:6379 x')).toMatch(/^--redis must /);
    expect(refusal('redisUrl', '')).toBe("--redis must be a URL like redis://127.0.0.1:6379, got ''");
  });

  it('boolean: present means on', () => {
    expect(parseOptionValue(spec('limitLoopback'), '')).toBe(true);
    expect(parseOptionValue(spec('logJson'), 'anything')).toBe(true);
  });

  it.each([
    ['port', '-1'],
    ['port', 'abc'],
    ['port', ''],
    ['port', ' 80'],
    ['port', '80 '],
    ['port', '1e3'],
    ['port', '0x50'],
    ['port', '+80'],
    ['port', '80.5'],
    ['port', 'Infinity'],
    ['port', 'NaN'],
    ['maxLineBytes', '-4096'],
    ['rateBurst', '1.0'],
    ['loginTimeoutMs', '-1'],
    ['loginTimeoutMs', '1s'],
    ['loginTimeoutMs', '.5'],
    ['loginTimeoutMs', '1.'],
    ['keepAliveMs', 'Infinity'],
    ['outputCapBytes', '-256'],
    ['outputCapBytes', '256k'],
  ] as Array<[keyof ServerOptions, string]>)('refuses %s %j as not a number', (key, text) => {
    expect(refusal(key, text)).toMatch(/ must be a (whole )?number, got '/);
  });

  it('refuses negatives with a message that quotes the value', () => {
    expect(refusal('port', '-1')).toBe("--port must be a whole number, got '-1'");
    expect(refusal('loginTimeoutMs', '-5')).toBe("--login-timeout must be a number, got '-5'");
  });

  it.each([
    ['maxLineBytes', '63', '--max-line-bytes must be at least 64, got 63'],
    ['maxLineBytes', '0', '--max-line-bytes must be at least 64, got 0'],
    ['maxMessageChars', '0', '--max-message must be at least 1, got 0'],
    ['rateBurst', '0', '--rate-burst must be at least 1, got 0'],
    ['maxConnections', '0', '--max-connections must be at least 1, got 0'],
    ['maxPerIp', '0', '--max-per-ip must be at least 1, got 0'],
    ['loginFailures', '0', '--login-failures must be at least 1, got 0'],
    ['historyMax', '0', '--history-max must be at least 1, got 0'],
    ['workers', '0', '--workers must be at least 1, got 0'],
    ['loginTimeoutMs', '0', '--login-timeout must be at least 1, got 0'],
    ['loginTimeoutMs', '0.5', '--login-timeout must be at least 1, got 0.5'],
    ['keepAliveMs', '0.999', '--keepalive must be at least 1, got 0.999'],
    ['outputCapBytes', '0.5', '--output-cap must be at least 1, got 0.5'],
  ] as Array<[keyof ServerOptions, string, string]>)('refuses %s %j as too small', (key, text, message) => {
    expect(refusal(key, text)).toBe(message);
  });

  it('refuses a port above 65535', () => {
    expect(refusal('port', '65536')).toBe('--port must be at most 65535, got 65536');
    expect(refusal('port', '99999999')).toBe('--port must be at most 65535, got 99999999');
  });

  it('the port ceiling applies to the port only', () => {
    expect(parseOptionValue(spec('maxConnections'), '65536')).toBe(65536);
    expect(parseOptionValue(spec('maxLineBytes'), '1048576')).toBe(1_048_576);
  });
});

describe('describeDefault', () => {
  it('shows defaults in the units of the flag', () => {
    expect(describeDefault(spec('port'))).toBe(String(DEFAULT_PORT));
    expect(describeDefault(spec('host'))).toBe('127.0.0.1');
    expect(describeDefault(spec('loginTimeoutMs'))).toBe(String(DEFAULT_LOGIN_TIMEOUT_MS / 1000));
    expect(describeDefault(spec('loginTimeoutMs'))).toBe('60');
    expect(describeDefault(spec('keepAliveMs'))).toBe(String(DEFAULT_KEEPALIVE_MS / 1000));
    expect(describeDefault(spec('outputCapBytes'))).toBe(String(DEFAULT_OUTPUT_CAP_BYTES / 1024));
    expect(describeDefault(spec('outputCapBytes'))).toBe('256');
    expect(describeDefault(spec('logLevel'))).toBe('info');
    expect(describeDefault(spec('limitLoopback'))).toBe('off');
    expect(describeDefault(spec('logJson'))).toBe('off');
    expect(describeDefault(spec('redisUrl'))).toBe('off');
    expect(describeDefault(spec('workers'))).toBe('1');
  });

  it('describes given defaults rather than the built-in ones', () => {
    const defaults: ServerOptions = { ...defaultOptions(), loginTimeoutMs: 1500, outputCapBytes: 512, limitLoopback: true, port: 7 };
    expect(describeDefault(spec('loginTimeoutMs'), defaults)).toBe('1.5');
    expect(describeDefault(spec('outputCapBytes'), defaults)).toBe('0.5');
    expect(describeDefault(spec('limitLoopback'), defaults)).toBe('on');
    expect(describeDefault(spec('port'), defaults)).toBe('7');
  });

  it('every shown default parses back to the default value', () => {
    const defaults = defaultOptions();
    for (const s of OPTION_TABLE) {
      // Booleans, options that are off unless given (--redis) and lists empty by default (--operator) have no value to parse back.
      if (s.kind === 'boolean' || describeDefault(s) === 'off' || describeDefault(s) === '') continue;
      expect(parseOptionValue(s, describeDefault(s)), s.flag).toBe(defaults[s.key]);
    }
  });
});

describe('OPTION_TABLE', () => {
  it('has each key once', () => {
    const keys = OPTION_TABLE.map((s) => s.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('covers every ServerOptions key exactly once', () => {
    const keys = OPTION_TABLE.map((s) => s.key as string).sort();
    expect(keys).toEqual(Object.keys(defaultOptions()).sort());
  });

  it('has unique long flags, each starting with --', () => {
    const flags = OPTION_TABLE.map((s) => s.flag.split(' ')[0]!);
    expect(new Set(flags).size).toBe(flags.length);
    for (const flag of flags) expect(flag).toMatch(/^--[a-z][a-z-]*$/);
  });

  it('boolean flags take no value; the others name one', () => {
    for (const s of OPTION_TABLE) {
      if (s.kind === 'boolean') expect(s.flag, s.flag).not.toMatch(/ /);
      else expect(s.flag, s.flag).toMatch(/^--[a-z-]+ <[a-z]+>$/);
    }
  });

  it('every built-in default is accepted by its own minimum', () => {
    const defaults = defaultOptions();
    for (const s of OPTION_TABLE) {
      if (s.min === undefined) continue;
      const value = defaults[s.key] as number;
      // Off (no listener) is not a port.
      if (s.kind === 'port-or-off' && value === -1) continue;
      const shown = s.kind === 'seconds' ? value / 1000 : s.kind === 'kib' ? value / 1024 : value;
      expect(shown, s.flag).toBeGreaterThanOrEqual(s.min);
    }
  });

  it('every option has a description', () => {
    for (const s of OPTION_TABLE) expect(s.description.trim().length, s.flag).toBeGreaterThan(5);
  });
});

describe('--metrics-port', () => {
  it('is off unless given; a given one is a port, 0 included', () => {
    expect(defaultOptions().metricsPort).toBe(-1);
    expect(describeDefault(spec('metricsPort'))).toBe('off');
    expect(parseOptionValue(spec('metricsPort'), '0')).toBe(0);
    expect(parseOptionValue(spec('metricsPort'), '9100')).toBe(9100);
    expect(refusal('metricsPort', '-1')).toMatch(/^--metrics-port must be a whole number/);
    expect(refusal('metricsPort', '70000')).toBe('--metrics-port must be at most 65535, got 70000');
  });
});
