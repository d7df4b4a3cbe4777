import { describe, expect, it } from 'vitest';
import { bytes, chunkings, decodeChunks, randomChunks } from '../helpers/chunks.js';
import { DEFAULT_MAX_LINE_BYTES, LineDecoder, type LineEvent } from '../../src/protocol/line-decoder.js';

const utf8 = new TextEncoder();

// Each case is decoded whole, byte by byte, split in two at every offset and
// cut at random (seeded, so a failure names a seed that reproduces it).
// Chunks are subarrays of one buffer, so they have a non-zero byteOffset.


const decode = decodeChunks;

function expectEveryChunking(input: Uint8Array, expected: LineEvent[], limit?: number): void {
  for (const [how, chunks] of chunkings(input)) {
    const { events, maxPending } = decode(chunks, limit);
    expect(events, how).toEqual(expected);
    if (limit !== undefined) expect(maxPending, how).toBeLessThanOrEqual(limit + 1);
  }
}

const line = (text: string): LineEvent => ({ kind: 'line', text });
const BAD: LineEvent = { kind: 'bad-encoding' };
const tooLong = (limit: number): LineEvent => ({ kind: 'too-long', limit });
const OK = line('ok');

describe('LineDecoder framing', () => {
  it.each<[string, Uint8Array, LineEvent[]]>([
    ['LF ending', bytes('hello\n'), [line('hello')]],
    ['CRLF ending', bytes('hello\r\n'), [line('hello')]],
    ['many lines in one chunk', bytes('LOGIN|bob\r\nTEXT|a|b\nPING\n'), [line('LOGIN|bob'), line('TEXT|a|b'), line('PING')]],
    ['empty lines ignored', bytes('\n\r\n\nUSERS\n\r\n\n'), [line('USERS')]],
    ['multibyte characters', bytes('TEXT|小明 😀 é\n'), [line('TEXT|小明 😀 é')]],
    ['lone CR inside a line kept', bytes('a\rb\n'), [line('a\rb')]],
    ['only the CR right before LF dropped', bytes('a\r\r\n'), [line('a\r')]],
    ['unterminated tail held back', bytes('done\npartial'), [line('done')]],
  ])('%s', (_, input, expected) => expectEveryChunking(input, expected));

  it.each<[string, Uint8Array]>([
    ['lone 0xFF', bytes([0xff], '\nok\n')],
    ['0xFF inside a line', bytes('TEXT|ab', [0xff], 'cd\nok\n')],
    ['truncated sequence', bytes([0xe5, 0xb0], '\nok\n')],
    ['truncated sequence before CRLF', bytes('x', [0xe5, 0xb0], '\r\nok\r\n')],
    ['overlong NUL 0xC0 0x80', bytes([0xc0, 0x80], '\nok\n')],
    ['UTF-16 surrogate 0xED 0xA0 0x80', bytes([0xed, 0xa0, 0x80], '\nok\n')],
    ['code point above U+10FFFF', bytes([0xf4, 0x90, 0x80, 0x80], '\nok\n')],
  ])('invalid UTF-8 (%s) → bad-encoding, next line decodes', (_, input) => expectEveryChunking(input, [BAD, OK]));
});

describe('LineDecoder line limit', () => {
  const L = 8;
  it.each<[string, Uint8Array, LineEvent[]]>([
    ['exactly the limit', bytes('12345678\nok\n'), [line('12345678'), OK]],
    ['exactly the limit in multibyte chars', bytes('小😀a\n'), [line('小😀a')]],
    ['CRLF line whose content is exactly the limit', bytes('12345678\r\nok\r\n'), [line('12345678'), OK]],
    ['limit + 1', bytes('123456789\nok\n'), [tooLong(L), OK]],
    ['limit + 1 before CRLF', bytes('123456789\r\nok\n'), [tooLong(L), OK]],
    ['limit + 1 by a multibyte char', bytes('1234567小\nok\n'), [tooLong(L), OK]],
    ['far too long: rest of the line discarded', bytes(`${'x'.repeat(30)}|TEXT|same line\nok\n`), [tooLong(L), OK]],
    ['two too-long lines in a row', bytes(`${'x'.repeat(20)}\n${'y'.repeat(9)}\nok\n`), [tooLong(L), tooLong(L), OK]],
    ['too long with invalid bytes: only too-long', bytes('x'.repeat(12), [0xff], '\nok\n'), [tooLong(L), OK]],
  ])('%s', (_, input, expected) => expectEveryChunking(input, expected, L));

  it('an endless line never makes pendingBytes exceed limit + 1 and reports too-long once', () => {
    for (const limit of [2, 64, DEFAULT_MAX_LINE_BYTES]) {
      const decoder = new LineDecoder(limit);
      const events: LineEvent[] = [];
      const endless = new Uint8Array(limit * 20 + 100).fill(0x78);
      for (const chunk of randomChunks(endless, limit, limit * 2)) {
        decoder.push(chunk, (e) => events.push(e));
        expect(decoder.pendingBytes).toBeLessThanOrEqual(limit + 1);
      }
      expect(events).toEqual([tooLong(limit)]);
      decoder.push(bytes('still discarded\nok\n'), (e) => events.push(e));
      expect(events).toEqual([tooLong(limit), OK]);
    }
  });

  it('defaults to 4096 bytes and rejects a bad limit', () => {
    expect(new LineDecoder().maxLineBytes).toBe(4096);
    expect(decode([bytes(`${'a'.repeat(4096)}\n${'b'.repeat(4097)}\nok\n`)]).events).toEqual([
      line('a'.repeat(4096)),
      tooLong(4096),
      OK,
    ]);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new LineDecoder(bad)).toThrow(RangeError);
  });

  it('copies held bytes, so a reused read buffer does not corrupt the pending line', () => {
    const decoder = new LineDecoder();
    const events: LineEvent[] = [];
    const buffer = bytes('abc');
    decoder.push(buffer, (e) => events.push(e));
    buffer.set(utf8.encode('xyz'));
    decoder.push(bytes('\n'), (e) => events.push(e));
    expect(events).toEqual([line('abc')]);
  });
});

describe('LineDecoder legacy framing support', () => {
  function setup(limit?: number) {
    const decoder = new LineDecoder(limit);
    const events: LineEvent[] = [];
    const emit = (e: LineEvent) => events.push(e);
    return { decoder, events, emit };
  }

  it('flushPending ends the pending bytes as a line, once', () => {
    const { decoder, events, emit } = setup();
    for (const byte of bytes('1|alice')) decoder.push(Uint8Array.of(byte), emit);
    expect(decoder.sawLineFeed).toBe(false);
    expect(decoder.pendingBytes).toBe(7);
    decoder.flushPending(emit);
    decoder.flushPending(emit);
    expect(events).toEqual([line('1|alice')]);
    expect(decoder.pendingBytes).toBe(0);
    expect(decoder.pendingStartsWith('1|')).toBe(false);
  });

  it('flushPending does nothing without pending bytes', () => {
    const { decoder, events, emit } = setup();
    decoder.flushPending(emit);
    decoder.push(bytes('a\n'), emit);
    decoder.flushPending(emit);
    expect(events).toEqual([line('a')]);
  });

  it('flushPending validates UTF-8 like an LF does', () => {
    const { decoder, events, emit } = setup();
    decoder.push(bytes('3|', [0xe5, 0xb0]), emit);
    decoder.flushPending(emit);
    decoder.push(bytes('3|', [0xe5, 0xb0]), emit);
    decoder.push(bytes([0x8f]), emit); // completes '小'
    decoder.flushPending(emit);
    expect(events).toEqual([BAD, line('3|小')]);
  });

  it('pendingStartsWith checks the pending line, across chunks', () => {
    const { decoder, emit } = setup();
    expect(decoder.pendingStartsWith('1|')).toBe(false);
    decoder.push(bytes('1'), emit);
    expect(decoder.pendingStartsWith('1|')).toBe(false);
    decoder.push(bytes('|'), emit);
    expect(decoder.pendingStartsWith('1|')).toBe(true);
    expect(decoder.pendingStartsWith('3|')).toBe(false);
    decoder.push(bytes('al\n2|'), emit);
    expect(decoder.pendingStartsWith('1|')).toBe(false);
    expect(decoder.pendingStartsWith('2|')).toBe(true);
  });

  it('sawLineFeed turns on with the first LF, even of an empty or discarded line', () => {
    const a = setup();
    a.decoder.push(bytes('\n'), a.emit);
    expect(a.decoder.sawLineFeed).toBe(true);
    expect(a.events).toEqual([]);

    const b = setup(4);
    b.decoder.push(bytes('3|toolong'), b.emit);
    expect(b.decoder.sawLineFeed).toBe(false);
    b.decoder.push(bytes('x\n'), b.emit);
    expect(b.decoder.sawLineFeed).toBe(true);
  });

  // A legacy client never sends LF, so its frames end only by flushPending
  // (250 ms of silence). After one over-long legacy frame the decoder stays
  // in "discarding" until an LF that never comes: every later frame is lost.
  it('flushPending ends a discarded over-long line, so the next legacy frame decodes', () => {
    const { decoder, events, emit } = setup(8);
    decoder.push(bytes(`3|${'x'.repeat(20)}`), emit);
    decoder.flushPending(emit); // the pause that ends the over-long frame
    decoder.push(bytes('3|hi'), emit);
    expect(decoder.pendingStartsWith('3|')).toBe(true);
    decoder.flushPending(emit);
    expect(events).toEqual([tooLong(8), line('3|hi')]);
  });
});
