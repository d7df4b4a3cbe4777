import { describe, expect, it } from 'vitest';
import { createLogger, formatText, type Logger } from '../../src/server/log.js';
import type { LogLevel } from '../../src/server/options.js';

const TIME = new Date('2026-11-22T04:07:41.964Z');

function capture(level: LogLevel, json: boolean): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({ level, json }, (line) => lines.push(line), () => TIME);
  return { log, lines };
}

/** Everything a hostile client might put in a logged value. */
const HOSTILE = 'mallory\n2026-11-22T04:07:42.000Z INFO  login name=admin\r\u001b[2J\u0007 x=1';

describe('createLogger, text format', () => {
  it('writes `time LEVEL event key=value …`', () => {
    const { log, lines } = capture('debug', false);
    log.info('login', { session: 7, name: 'alice', registered: false, address: '::ffff:127.0.0.1' });
    expect(lines).toEqual([
      '2026-11-22T04:07:41.964Z INFO  login session=7 name=alice registered=false address=::ffff:127.0.0.1',
    ]);
  });

  it('pads the level to one width', () => {
    const { log, lines } = capture('debug', false);
    log.error('e');
    log.warn('w');
    log.info('i');
    log.debug('d');
    expect(lines).toEqual([
      '2026-11-22T04:07:41.964Z ERROR e',
      '2026-11-22T04:07:41.964Z WARN  w',
      '2026-11-22T04:07:41.964Z INFO  i',
      '2026-11-22T04:07:41.964Z DEBUG d',
    ]);
  });

  it('leaves out undefined fields and quotes empty ones', () => {
    const { log, lines } = capture('info', false);
    log.info('disconnect', { name: undefined, reason: '', seconds: 0 });
    expect(lines).toEqual(['2026-11-22T04:07:41.964Z INFO  disconnect reason="" seconds=0']);
  });

  it('JSON-quotes a value with spaces, newlines or escapes, so it stays one line', () => {
    const { log, lines } = capture('info', false);
    log.warn('bad-password', { name: HOSTILE, address: '10.0.0.1' });
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).not.toMatch(/[\n\r\u001b\u0007]/);
    expect(line).toBe(`2026-11-22T04:07:41.964Z WARN  bad-password name=${JSON.stringify(HOSTILE)} address=10.0.0.1`);
    // The quoted value decodes back to exactly what was logged.
    const quoted = line.slice(line.indexOf('name=') + 5, line.indexOf(' address='));
    expect(JSON.parse(quoted)).toBe(HOSTILE);
  });

  it.each([
    ['a b', '"a b"'],
    ['x=1', '"x=1"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['tab\there', '"tab\\there"'],
    ['\u001b[31mred', '"\\u001b[31mred"'],
    ['line\nbreak', '"line\\nbreak"'],
    ['小明', '"小明"'],
  ])('quotes %j as %s', (value, shown) => {
    expect(formatText(TIME, 'info', 'e', { v: value })).toBe(`2026-11-22T04:07:41.964Z INFO  e v=${shown}`);
  });

  it('a quoted value cannot be mistaken for another field', () => {
    const line = formatText(TIME, 'info', 'login', { name: 'bob level=error admin=true' });
    expect(line).toBe('2026-11-22T04:07:41.964Z INFO  login name="bob level=error admin=true"');
  });
});

describe('createLogger, JSON format', () => {
  it('writes one JSON object per line with time, level, event and the fields', () => {
    const { log, lines } = capture('info', true);
    log.info('login', { session: 3, name: 'alice', registered: true });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '2026-11-22T04:07:41.964Z',
      level: 'info',
      event: 'login',
      session: 3,
      name: 'alice',
      registered: true,
    });
  });

  it('leaves out undefined fields', () => {
    const { log, lines } = capture('info', true);
    log.warn('flood', { name: undefined, address: '1.2.3.4' });
    expect(JSON.parse(lines[0]!)).toEqual({ time: TIME.toISOString(), level: 'warn', event: 'flood', address: '1.2.3.4' });
  });

  it('keeps a hostile value on one line and round-trips it', () => {
    const { log, lines } = capture('info', true);
    log.error('handler-failed', { error: HOSTILE });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\n\r\u001b\u0007]/);
    expect((JSON.parse(lines[0]!) as { error: string }).error).toBe(HOSTILE);
  });
});

describe('createLogger, levels', () => {
  it.each<[LogLevel, string[]]>([
    ['error', ['error']],
    ['warn', ['error', 'warn']],
    ['info', ['error', 'warn', 'info']],
    ['debug', ['error', 'warn', 'info', 'debug']],
  ])('at %s writes only %j', (level, written) => {
    const { log, lines } = capture(level, true);
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => (JSON.parse(l) as { level: string }).level).sort()).toEqual([...written].sort());
  });

  it('does not even read the clock for a filtered event', () => {
    let reads = 0;
    const log = createLogger(
      { level: 'warn', json: false },
      () => undefined,
      () => {
        reads++;
        return TIME;
      },
    );
    log.info('i');
    log.debug('d');
    expect(reads).toBe(0);
    log.warn('w');
    expect(reads).toBe(1);
  });
});
