import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytes, chunkings, decodeWith, randomChunks } from '../helpers/chunks.js';
import { IRC_MAX_INPUT_BYTES, IrcDecoder, type IrcInputEvent } from '../../src/protocol/irc/decoder.js';
import { encodeIrcLine, IRC_CLIENT_TAG_BYTES, IRC_LINE_BYTES, IRC_TAG_BYTES, type IrcMessage } from '../../src/protocol/irc/message.js';

// Each case is decoded whole, byte by byte, split in two at every offset and
// cut at random; the long ones skip the every-offset part to stay quick.

function decode(chunks: Uint8Array[]): { events: IrcInputEvent[]; maxPending: number } {
  return decodeWith<IrcInputEvent>(new IrcDecoder(), chunks);
}

function expectEveryChunking(input: Uint8Array, expected: IrcInputEvent[]): void {
  const ways = input.length < 1000 ? chunkings(input) : chunkings(input).filter(([how]) => !how.startsWith('split at') || Number(how.slice(9)) % 97 === 0);
  for (const [how, chunks] of ways) {
    const { events, maxPending } = decode(chunks);
    expect(events, how).toEqual(expected);
    expect(maxPending, how).toBeLessThanOrEqual(IRC_MAX_INPUT_BYTES + 1);
  }
}

const message = (command: string, params: string[], source?: string, tags: Record<string, string> = {}): IrcInputEvent => ({
  kind: 'message',
  message: { tags: new Map(Object.entries(tags)), source, command, params } satisfies IrcMessage,
});
const TOO_LONG: IrcInputEvent = { kind: 'too-long' };
const BAD_ENCODING: IrcInputEvent = { kind: 'bad-encoding' };
const PING = message('PING', ['ok']);

describe('IrcDecoder framing', () => {
  it.each<[string, Uint8Array, IrcInputEvent[]]>([
    [
      'CRLF and LF lines with tags, sources and multibyte text',
      bytes('@time=2024-01-01T00:00:00Z;msgid=a\\sb :nick!u@h PRIVMSG #chan :héllo 小明 😀\r\nping :x y\nJOIN #小\r\n'),
      [
        message('PRIVMSG', ['#chan', 'héllo 小明 😀'], 'nick!u@h', { time: '2024-01-01T00:00:00Z', msgid: 'a b' }),
        message('PING', ['x y']),
        message('JOIN', ['#小']),
      ],
    ],
    ['blank lines and lines of spaces ignored', bytes('\r\n\n   \r\n \nPING ok\r\n\r\n'), [PING]],
    ['unterminated tail held back', bytes('PING ok\r\nPRIVMSG #a :par'), [PING]],
    ['a lone CR ends a message too', bytes('PING a\rPING b\r\n'), [message('PING', ['a']), message('PING', ['b'])]],
    ['a lone CR cannot smuggle a second command into text', bytes('PRIVMSG #a :hi\rQUIT :bye\n'), [message('PRIVMSG', ['#a', 'hi']), message('QUIT', ['bye'])]],
    ['a lone CR at the end is ignored', bytes('PING ok\r\r\n'), [PING]],
    ['NUL does not end a line and stays in the text', bytes('PRIVMSG #a :a\0b\r\nPING ok\r\n'), [message('PRIVMSG', ['#a', 'a\0b']), PING]],
    ['NUL before the command is a bad command', bytes('\0PING ok\r\nPING ok\r\n'), [{ kind: 'bad-message', reason: 'bad-command' }, PING]],
    ['tags without a command', bytes('@a=b\r\nPING ok\r\n'), [{ kind: 'bad-message', reason: 'no-command' }, PING]],
    ['a source without a command', bytes(':nick \r\nPING ok\r\n'), [{ kind: 'bad-message', reason: 'no-command' }, PING]],
    ['a bad command', bytes('PRIV-MSG #a\r\n1234\r\nPING ok\r\n'), [{ kind: 'bad-message', reason: 'bad-command' }, { kind: 'bad-message', reason: 'bad-command' }, PING]],
  ])('%s', (_, input, expected) => expectEveryChunking(input, expected));

  it.each<[string, Uint8Array]>([
    ['lone 0xFF', bytes('PRIVMSG #a :', [0xff], '\r\nPING ok\r\n')],
    ['truncated sequence before CRLF', bytes('PRIVMSG #a :', [0xe5, 0xb0], '\r\nPING ok\r\n')],
    ['overlong NUL', bytes('PRIVMSG #a :', [0xc0, 0x80], '\nPING ok\n')],
    ['surrogate code point', bytes('PRIVMSG #a :', [0xed, 0xa0, 0x80], '\nPING ok\n')],
    ['Latin-1 text', bytes('PRIVMSG #a :caf', [0xe9], '\r\nPING ok\r\n')],
  ])('invalid UTF-8 (%s) → bad-encoding, next line decodes', (_, input) => expectEveryChunking(input, [BAD_ENCODING, PING]));
});

describe('IrcDecoder limits', () => {
  const CONTENT = IRC_LINE_BYTES - 2;
  const HEAD = 'PRIVMSG #a :';
  const text = (bytes: number): string => 'x'.repeat(bytes - HEAD.length);
  const tags = (bytes: number): string => `@k=${'v'.repeat(bytes - 4)} `;

  it('510 bytes of content is a message, 511 is too-long and only that line is lost', () => {
    expectEveryChunking(bytes(`${HEAD}${text(CONTENT)}\r\n${HEAD}${text(CONTENT + 1)}\r\nPING ok\r\n`), [
      message('PRIVMSG', ['#a', text(CONTENT)]),
      TOO_LONG,
      PING,
    ]);
  });

  it('multibyte characters count as their bytes', () => {
    const wide = '小'.repeat((CONTENT - HEAD.length) / 3);
    expectEveryChunking(bytes(`${HEAD}${wide}\n${HEAD}${wide}é\nPING ok\n`), [message('PRIVMSG', ['#a', wide]), TOO_LONG, PING]);
  });

  it('a tag section of exactly 8191 bytes with a full message passes; one byte more of tags is too-long', () => {
    const fullTags = tags(IRC_CLIENT_TAG_BYTES);
    const fullValue = 'v'.repeat(IRC_CLIENT_TAG_BYTES - 4);
    expectEveryChunking(bytes(`${fullTags}${HEAD}${text(CONTENT)}\r\n${tags(IRC_CLIENT_TAG_BYTES + 1)}PING ok\r\n${fullTags}${HEAD}${text(CONTENT + 1)}\r\nPING ok\r\n`), [
      message('PRIVMSG', ['#a', text(CONTENT)], undefined, { k: fullValue }),
      TOO_LONG,
      TOO_LONG,
      PING,
    ]);
  });

  it('a line longer than any valid one is dropped without being held', () => {
    expect(IRC_MAX_INPUT_BYTES).toBe(IRC_TAG_BYTES + IRC_LINE_BYTES);
    expectEveryChunking(bytes(`PRIVMSG #a :${'x'.repeat(IRC_MAX_INPUT_BYTES)}\r\nPING ok\r\n`), [TOO_LONG, PING]);
  });

  it('a 100 KB line with no LF never holds more than the limit and is reported once', () => {
    const endless = bytes(`PRIVMSG #a :${'x'.repeat(100 * 1024)}`);
    for (const seed of [1, 2, 3]) {
      const decoder = new IrcDecoder();
      const events: IrcInputEvent[] = [];
      for (const chunk of randomChunks(endless, seed, 4096)) {
        decoder.push(chunk, (e) => events.push(e));
        expect(decoder.pendingBytes).toBeLessThanOrEqual(IRC_MAX_INPUT_BYTES + 1);
      }
      expect(events).toEqual([TOO_LONG]);
      expect(decoder.pendingBytes).toBe(0);
      decoder.push(bytes('still the same line\r\nPING ok\r\n'), (e) => events.push(e));
      expect(events).toEqual([TOO_LONG, PING]);
    }
  });

  it('pendingBytes counts the unterminated line', () => {
    const decoder = new IrcDecoder();
    const events: IrcInputEvent[] = [];
    decoder.push(bytes('PING ok\r\nPRIV'), (e) => events.push(e));
    expect(decoder.pendingBytes).toBe(4);
    decoder.push(bytes('MSG #a :小'), (e) => events.push(e));
    expect(decoder.pendingBytes).toBe(15);
    decoder.push(bytes('\r\n'), (e) => events.push(e));
    expect(decoder.pendingBytes).toBe(0);
    expect(events).toEqual([PING, message('PRIVMSG', ['#a', '小'])]);
  });
});

describe('IrcDecoder properties', () => {
  const utf8 = new TextEncoder();
  const cut = (input: Uint8Array, points: number[]): Uint8Array[] => {
    const at = [...new Set(points.map((p) => p % (input.length + 1)))].sort((a, b) => a - b);
    const chunks: Uint8Array[] = [];
    let start = 0;
    for (const p of at) {
      chunks.push(input.subarray(start, p));
      start = p;
    }
    chunks.push(input.subarray(start));
    return chunks;
  };

  const word = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).filter((s) => !/[\s:\0]/.test(s));
  const outgoing = fc.record({
    tags: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.string({ unit: 'grapheme', maxLength: 10 }).map((s) => s.replace(/\0/g, ''))),
    command: fc.stringMatching(/^[A-Z]{1,8}$/),
    params: fc.array(word, { maxLength: 4 }),
    text: fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !/[\r\n\0]/.test(s)),
  });

  it('encoded messages, cut anywhere, come back as the same messages', () => {
    fc.assert(
      fc.property(fc.array(outgoing, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (messages, points) => {
        const wire = utf8.encode(messages.map((m) => encodeIrcLine({ tags: m.tags, command: m.command, params: [...m.params, m.text] })).join(''));
        const { events } = decode(cut(wire, points));
        expect(events).toEqual(messages.map((m) => message(m.command, [...m.params, m.text], undefined, m.tags)));
      }),
      { numRuns: 300 },
    );
  });

  it('any bytes, cut anywhere: no throw, the same events however cut', () => {
    const irc = fc.string({ unit: fc.constantFrom('@', ':', ' ', ';', '=', '\\', 'a', 'P', '1', '\r', '\n', '\0', '小'), maxLength: 200 }).map((s) => utf8.encode(s));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), irc), fc.array(fc.nat(), { maxLength: 12 }), (input, points) => {
        expect(decode(cut(input, points)).events).toEqual(decode([input]).events);
      }),
      { numRuns: 500 },
    );
  });
});
