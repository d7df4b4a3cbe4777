import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytes, chunkings, mulberry32, randomChunks } from '../helpers/chunks.js';
import { MAX_SUBNEGOTIATION_BYTES, TELNET, TelnetFilter, isTelnetOption } from '../../src/protocol/telnet.js';

const utf8 = new TextEncoder();

// Each case is filtered whole, byte by byte, split in two at every offset and
// cut at random (seeded). What comes out is a list of data runs, replies and
// AYT notices in stream order; consecutive data runs are merged, so the list
// must be the same however the input was cut. Chunks are subarrays of one
// buffer, so they have a non-zero byteOffset.

const { IAC, DO, DONT, WILL, WONT, SB, SE, AYT, NOP, DM, BRK, IP, AO, EC, EL, GA, EOF, SUSP, ABORT, EOR, TIMING_MARK: TM } = TELNET;
const ECHO = 1;
const SGA = 3;
const TTYPE = 24;
const NAWS = 31;


/** What the filter produced, in order: data as text (latin1, so every byte shows), replies as byte lists. */
type Out = { data: string } | { reply: number[] } | 'ayt';

const data = (...parts: Array<string | number[]>): Out => ({ data: Buffer.from(bytes(...parts)).toString('latin1') });
const reply = (...b: number[]): Out => ({ reply: b });

function run(chunks: Uint8Array[], filter = new TelnetFilter()): { out: Out[]; counted: number } {
  const out: Out[] = [];
  let counted = 0;
  const sink = {
    data(b: Uint8Array) {
      expect(b.length).toBeGreaterThan(0);
      const text = Buffer.from(b).toString('latin1');
      const last = out.at(-1);
      if (last !== undefined && typeof last === 'object' && 'data' in last) last.data += text;
      else out.push({ data: text });
    },
    reply(b: Uint8Array) {
      out.push({ reply: [...b] });
    },
    areYouThere() {
      out.push('ayt');
    },
  };
  for (const chunk of chunks) counted += filter.push(chunk, sink);
  return { out, counted };
}

function dataLength(out: Out[]): number {
  return out.reduce((n, o) => n + (typeof o === 'object' && 'data' in o ? o.data.length : 0), 0);
}

function expectEveryChunking(input: Uint8Array, expected: Out[]): void {
  for (const [how, chunks] of chunkings(input)) {
    const { out, counted } = run(chunks);
    expect(out, how).toEqual(expected);
    expect(counted, how).toBe(dataLength(expected));
  }
}

describe('TelnetFilter: commands are removed from the data', () => {
  it.each<[string, Uint8Array, Out[]]>([
    ['plain text', bytes('LOGIN|bob\r\nTEXT|小明\r\n'), [data('LOGIN|bob\r\nTEXT|小明\r\n')]],
    ['IAC IAC is one literal 0xFF data byte', bytes('a', [IAC, IAC], 'b\r\n', [IAC, IAC]), [data('a', [0xff], 'b\r\n', [0xff])]],
    ['IAC IAC IAC IAC is two', bytes([IAC, IAC, IAC, IAC]), [data([0xff, 0xff])]],
    [
      'every two-byte command but AYT is dropped, inside a line too',
      bytes([IAC, NOP], 'a', [IAC, NOP], 'b', [IAC, DM], 'c', [IAC, BRK, IAC, IP, IAC, AO, IAC, EC, IAC, EL, IAC, GA], 'd', [IAC, EOF, IAC, SUSP, IAC, ABORT, IAC, EOR], '\r\n'),
      [data('abcd\r\n')],
    ],
    ['a stray SE is dropped', bytes('a', [IAC, SE], 'b'), [data('ab')]],
    [
      'WONT and DONT between lines are removed and never answered',
      bytes([IAC, WONT, ECHO, IAC, DONT, SGA], 'a\n', [IAC, WONT, TM, IAC, DONT, TM], 'b'),
      [data('a\nb')],
    ],
    [
      'a subnegotiation between lines is removed, IAC IAC inside it too',
      bytes('PING|0\r\n', [IAC, SB, TTYPE, 0, ...utf8.encode('xterm'), IAC, IAC, 7, IAC, SE], 'PING|1\r\n'),
      [data('PING|0\r\nPING|1\r\n')],
    ],
    ['an empty subnegotiation', bytes([IAC, SB, IAC, SE], 'ab'), [data('ab')]],
    [
      'only commands: no data at all',
      bytes([IAC, NOP, IAC, IP, IAC, WONT, ECHO, IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE, IAC, DONT, NAWS]),
      [],
    ],
    [
      "telnet's ^O while a line is typed: IAC AO IAC DO TIMING-MARK inside the line",
      bytes('TEX', [IAC, AO, IAC, DO, TM], 'T|z\r\n'),
      [data('TEX'), reply(IAC, WILL, TM), data('T|z\r\n')],
    ],
    ["telnet's `^] send ayt` while a line is typed", bytes('TEX', [IAC, AYT], 'T|y\r\n'), [data('TEX'), 'ayt', data('T|y\r\n')]],
  ])('%s', (_, input, expected) => expectEveryChunking(input, expected));
});

describe('TelnetFilter: bytes that are no command here stay (bad) text', () => {
  it.each<[string, Uint8Array, Out[]]>([
    // The wire contract: bytes that are not UTF-8 get BAD_ENCODING. 0xFF 0xFE is the classic.
    ['negotiation inside a line: DONT', bytes('TEXT|bad ', [IAC, DONT], ' bytes\n'), [data('TEXT|bad ', [IAC, DONT], ' bytes\n')]],
    ['negotiation inside a line: DO, not answered', bytes('TEXT|', [IAC, DO, ECHO], 'x\n'), [data('TEXT|', [IAC, DO, ECHO], 'x\n')]],
    ['negotiation after a CR is still inside the line', bytes('a\r', [IAC, WILL, ECHO], '\n'), [data('a\r', [IAC, WILL, ECHO], '\n')]],
    ['a subnegotiation inside a line', bytes('TEXT|', [IAC, SB, TTYPE], 'x', [IAC, SE], '\n'), [data('TEXT|', [IAC, SB, TTYPE], 'x\n')]],
    ['IAC before a byte that is no command', bytes('LOGIN|na', [IAC], 'me\n'), [data('LOGIN|na', [IAC], 'me\n')]],
    ['IAC before an LF', bytes([IAC], '\nok\n'), [data([IAC], '\nok\n')]],
    // Not an option telnet negotiates: the classic invalid-UTF-8 test bytes, at a line's start too.
    ['0xFF 0xFE 0xFD at the start of a line', bytes([IAC, DONT, DO], '\n'), [data([IAC, DONT, DO], '\n')]],
    ['IAC DO 0x41 at the start of a line', bytes([IAC, DO], 'A|x\n'), [data([IAC, DO], 'A|x\n')]],
    ['IAC WILL CR at the start of a line', bytes([IAC, WILL], '\r\n'), [data([IAC, WILL], '\r\n')]],
    ['an LF cuts a negotiation short', bytes([IAC, DONT], '\nok\n'), [data([IAC, DONT], '\nok\n')]],
    ['an LF cuts a subnegotiation short', bytes([IAC, SB, TTYPE, 1], '\nok\n'), [data([IAC], '\nok\n')]],
    ['an LF cuts a subnegotiation short after its IAC', bytes([IAC, SB, TTYPE, IAC], '\nok\n'), [data([IAC], '\nok\n')]],
    // telnet's `send synch` sends IAC DM with the IAC as TCP urgent data, which Linux takes out of line.
    ['a lone DM without IAC is data', bytes([DM], 'ok'), [data([DM], 'ok')]],
  ])('%s', (_, input, expected) => expectEveryChunking(input, expected));
});

describe('TelnetFilter: answers', () => {
  it.each<[string, Uint8Array, Out[]]>([
    ['DO TIMING-MARK → WILL TIMING-MARK, after the data before it', bytes('PING|1\r\n', [IAC, DO, TM], 'PING|2\r\n'), [
      data('PING|1\r\n'),
      reply(IAC, WILL, TM),
      data('PING|2\r\n'),
    ]],
    [
      "telnet's Ctrl-C: IAC IP IAC DO TIMING-MARK",
      bytes('LOGIN|a\r\n', [IAC, IP, IAC, DO, TM], 'TEXT|hello\r\n'),
      [data('LOGIN|a\r\n'), reply(IAC, WILL, TM), data('TEXT|hello\r\n')],
    ],
    ['every DO TIMING-MARK is answered, inside a line too', bytes([IAC, DO, TM], 'x', [IAC, DO, TM, IAC, DO, TM]), [
      reply(IAC, WILL, TM),
      data('x'),
      reply(IAC, WILL, TM),
      reply(IAC, WILL, TM),
    ]],
    ['DO x → WONT x', bytes([IAC, DO, ECHO]), [reply(IAC, WONT, ECHO)]],
    ['WILL x → DONT x', bytes([IAC, WILL, NAWS]), [reply(IAC, DONT, NAWS)]],
    ['WILL TIMING-MARK → DONT TIMING-MARK (we never ask for one)', bytes([IAC, WILL, TM]), [reply(IAC, DONT, TM)]],
    ['negotiation at the start of a later line', bytes('PING|1\r\n', [IAC, DO, ECHO], 'PING|2\r\n'), [
      data('PING|1\r\n'),
      reply(IAC, WONT, ECHO),
      data('PING|2\r\n'),
    ]],
    [
      'each option is refused once per direction, however often it is asked',
      bytes([IAC, DO, ECHO, IAC, WILL, ECHO, IAC, DO, ECHO], 'a\r\n', [IAC, WILL, ECHO, IAC, DO, ECHO, IAC, WONT, ECHO, IAC, DO, SGA]),
      [reply(IAC, WONT, ECHO), reply(IAC, DONT, ECHO), data('a\r\n'), reply(IAC, WONT, SGA)],
    ],
    ['AYT is reported in its place', bytes('a\n', [IAC, AYT], 'b'), [data('a\n'), 'ayt', data('b')]],
    [
      'a subnegotiation cut short by another command: the command counts',
      bytes([IAC, SB, TTYPE, 1, IAC, WILL, ECHO], 'ok'),
      [reply(IAC, DONT, ECHO), data('ok')],
    ],
  ])('%s', (_, input, expected) => expectEveryChunking(input, expected));

  it('answers each telnet option once per direction, and then only timing marks', () => {
    const all: number[] = [];
    for (let o = 0; o < 256; o++) if (isTelnetOption(o)) all.push(IAC, DO, o, IAC, WILL, o);
    const input = bytes(all, all);
    const expected: Out[] = [];
    for (let o = 0; o < 256; o++) if (isTelnetOption(o)) expected.push(reply(IAC, o === TM ? WILL : WONT, o), reply(IAC, DONT, o));
    expected.push(reply(IAC, WILL, TM));
    for (const [how, chunks] of [['whole', [input]], ['random', randomChunks(input, 7, 5)]] as const) {
      expect(run([...chunks]).out, how).toEqual(expected);
    }
  });

  it('keeps its refusals per connection: a new filter refuses again', () => {
    const ask = bytes([IAC, DO, ECHO]);
    const filter = new TelnetFilter();
    expect(run([ask], filter).out).toEqual([reply(IAC, WONT, ECHO)]);
    expect(run([ask], filter).out).toEqual([]);
    expect(run([ask]).out).toEqual([reply(IAC, WONT, ECHO)]);
  });
});

describe('TelnetFilter: state across chunks and hostile input', () => {
  it('passes a chunk without 0xFF through unchanged (the same object)', () => {
    const filter = new TelnetFilter();
    const chunk = bytes('TEXT|hello\r\n');
    const seen: Uint8Array[] = [];
    const sink = { data: (b: Uint8Array) => seen.push(b), reply: () => undefined, areYouThere: () => undefined };
    expect(filter.push(chunk, sink)).toBe(chunk.length);
    filter.push(bytes([IAC, NOP]), sink);
    filter.push(chunk, sink);
    expect(seen).toEqual([chunk, chunk]);
    expect(seen[0]).toBe(chunk);
    expect(seen[1]).toBe(chunk);
    expect(filter.push(new Uint8Array(0), sink)).toBe(0);
    expect(seen).toHaveLength(2);
  });

  it('knows where lines start across chunks, including the fast path', () => {
    const filter = new TelnetFilter();
    expect(run([bytes('TEXT|x')], filter).out).toEqual([data('TEXT|x')]);
    expect(run([bytes([IAC, DO, ECHO], '\n')], filter).out).toEqual([data([IAC, DO, ECHO], '\n')]);
    expect(run([bytes([IAC, DO, ECHO])], filter).out).toEqual([reply(IAC, WONT, ECHO)]);
  });

  it('a filter made inside a line starts there', () => {
    expect(run([bytes([IAC, DONT], ' x\n', [IAC, DONT, ECHO])], new TelnetFilter(false)).out).toEqual([data([IAC, DONT], ' x\n')]);
  });

  it('an IAC at the end of a chunk waits for the next one', () => {
    const filter = new TelnetFilter();
    expect(run([bytes('ab', [IAC])], filter).out).toEqual([data('ab')]);
    expect(run([bytes([DO])], filter).out).toEqual([]);
    expect(run([bytes([TM], 'cd')], filter).out).toEqual([reply(IAC, WILL, TM), data('cd')]);
    // A chunk without 0xFF right after a cut IAC still ends the command first.
    expect(run([bytes('x', [IAC])], filter).out).toEqual([data('x')]);
    expect(run([bytes([NOP], 'yz\n')], filter).out).toEqual([data('yz\n')]);
    expect(run([bytes([IAC, SB, NAWS, 0])], filter).out).toEqual([]);
    expect(run([bytes([80])], filter).out).toEqual([]);
    expect(run([bytes([IAC, SE], 'ok')], filter).out).toEqual([data('ok')]);
    // A mid-line negotiation cut after its verb: its bytes come out as data with the option byte.
    expect(run([bytes([IAC, WILL])], filter).out).toEqual([]);
    expect(run([bytes([ECHO])], filter).out).toEqual([data([IAC, WILL, ECHO])]);
  });

  it('an endless subnegotiation swallows at most the limit, then the input is (bad) data again', () => {
    const tail = 5000;
    const input = bytes([IAC, SB], 'x'.repeat(MAX_SUBNEGOTIATION_BYTES + tail));
    for (const [how, chunks] of [['whole', [input]], ['random', randomChunks(input, 3, 700)], ['byte by byte', Array.from(input, (_, i) => input.subarray(i, i + 1))]] as const) {
      const { out } = run([...chunks]);
      expect(out, how).toEqual([data([IAC], 'x'.repeat(tail))]);
    }
  });

  it('escaped 0xFF bytes count toward the subnegotiation limit', () => {
    const input = bytes([IAC, SB], Array(2 * (MAX_SUBNEGOTIATION_BYTES + 10)).fill(IAC), 'ok');
    const expected = [data([IAC, ...Array(9).fill(0xff)], 'ok')];
    expect(run([input]).out).toEqual(expected);
    expect(run(randomChunks(input, 5, 3)).out).toEqual(expected);
  });

  it('a subnegotiation up to the limit is removed whole', () => {
    const input = bytes([IAC, SB], 'x'.repeat(MAX_SUBNEGOTIATION_BYTES), [IAC, SE], 'ok');
    expectEveryChunking(input, [data('ok')]);
  });

  it('many options: 64 KiB of negotiation yields at most one refusal per option and direction', () => {
    const rand = mulberry32(42);
    const input: number[] = [];
    while (input.length < 65536) input.push(IAC, rand() < 0.5 ? DO : WILL, Math.floor(rand() * 256));
    const { out } = run(randomChunks(bytes(input), 9, 4096));
    const refusals = out.filter((o) => typeof o === 'object' && 'reply' in o && o.reply[1] !== WILL).map((o) => JSON.stringify(o));
    expect(new Set(refusals).size).toBe(refusals.length);
    expect(refusals.length).toBeLessThanOrEqual(512);
  });

  it('random bytes: no throw, never more data than input, and the same result however cut', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = mulberry32(seed);
      // Biased towards command bytes and LF so every state is reached.
      const input = Uint8Array.from({ length: 2000 }, () => {
        const r = rand();
        return r < 0.4 ? 0xec + Math.floor(rand() * 20) : r < 0.5 ? 0x0a : Math.floor(rand() * 256);
      });
      const whole = run([input]);
      expect(whole.counted).toBeLessThanOrEqual(input.length);
      expect(run(randomChunks(input, seed, 50)).out, `seed ${seed}`).toEqual(whole.out);
      expect(run(Array.from(input, (_, i) => input.subarray(i, i + 1))).out, `seed ${seed}`).toEqual(whole.out);
    }
  });
});

// ---------------------------------------------------------------- properties

/** A piece of the stream: the bytes sent, the data bytes they stand for, and for IAC DO/WILL x, what was asked. */
interface Piece {
  sent: number[];
  data: number[];
  asks?: [number, number];
}

const notFFnorLF = (b: Uint8Array): number[] => [...b].filter((x) => x !== IAC && x !== 0x0a);
const text: fc.Arbitrary<Piece> = fc.uint8Array({ minLength: 1, maxLength: 30 }).map((b) => ({ sent: notFFnorLF(b), data: notFFnorLF(b) }));
const literalFF: fc.Arbitrary<Piece> = fc.constant({ sent: [IAC, IAC], data: [0xff] });
const twoByte: fc.Arbitrary<Piece> = fc
  .constantFrom(EOF, SUSP, ABORT, EOR, SE, NOP, DM, BRK, IP, AO, AYT, EC, EL, GA)
  .map((c) => ({ sent: [IAC, c], data: [] }));
const timingMark: fc.Arbitrary<Piece> = fc.constant({ sent: [IAC, DO, TM], data: [], asks: [DO, TM] });
const negotiation: fc.Arbitrary<Piece> = fc
  .tuple(fc.constantFrom(DO, DONT, WILL, WONT), fc.integer({ min: 0, max: 255 }).filter(isTelnetOption))
  .map(([verb, option]): Piece => ({ sent: [IAC, verb, option], data: [], asks: [verb, option] }));
const subnegotiation: fc.Arbitrary<Piece> = fc.uint8Array({ maxLength: 60 }).map((content) => ({
  sent: [IAC, SB, ...[...content].filter((b) => b !== 0x0a).flatMap((b) => (b === IAC ? [IAC, IAC] : [b])), IAC, SE],
  data: [],
}));

/** Between lines any command may stand; inside a line, the two-byte ones and timing marks. */
const lineStartPiece = fc.oneof(twoByte, timingMark, negotiation, subnegotiation);
const inLinePiece = fc.oneof({ arbitrary: text, weight: 4 }, { arbitrary: literalFF, weight: 1 }, { arbitrary: twoByte, weight: 2 }, { arbitrary: timingMark, weight: 1 });
const line = fc
  .tuple(fc.array(lineStartPiece, { maxLength: 4 }), fc.array(inLinePiece, { maxLength: 8 }), fc.constantFrom('\n', '\r\n'))
  .map(([start, body, end]): Piece[] => [...start, ...body, { sent: [...utf8.encode(end)], data: [...utf8.encode(end)] }]);
const stream = fc.array(line, { maxLength: 8 }).map((lines) => lines.flat());

/** Cuts `input` at the given points (any values: they are reduced into range and sorted). */
function cut(input: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (input.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of [...at, input.length]) {
    if (p > from) chunks.push(input.subarray(from, p));
    from = Math.max(from, p);
  }
  return chunks;
}

const dataOf = (out: Out[]): string => out.flatMap((o) => (typeof o === 'object' && 'data' in o ? [o.data] : [])).join('');

describe('TelnetFilter properties (fast-check)', () => {
  const points = fc.array(fc.nat(), { maxLength: 12 });

  it('data interleaved with valid commands, cut anywhere: the data comes out exactly', () => {
    fc.assert(
      fc.property(stream, points, (pieces, cuts) => {
        const input = bytes(...pieces.map((p) => p.sent));
        const expected = bytes(...pieces.map((p) => p.data));
        const { out, counted } = run(cut(input, cuts));
        expect(dataOf(out)).toBe(Buffer.from(expected).toString('latin1'));
        expect(counted).toBe(expected.length);
      }),
      { numRuns: 500 },
    );
  });

  it('replies answer only DO and WILL: WILL TIMING-MARK for each DO TIMING-MARK, otherwise one refusal per option', () => {
    fc.assert(
      fc.property(stream, points, (pieces, cuts) => {
        const input = bytes(...pieces.map((p) => p.sent));
        const asked = pieces.flatMap((p) => (p.asks !== undefined && (p.asks[0] === DO || p.asks[0] === WILL) ? [p.asks] : []));
        const replies = run(cut(input, cuts)).out.flatMap((o) => (typeof o === 'object' && 'reply' in o ? [o.reply.join()] : []));
        const isMark = ([verb, option]: [number, number]): boolean => verb === DO && option === TM;
        const refusals = new Set(asked.filter((a) => !isMark(a)).map(([verb, option]) => [IAC, verb === DO ? WONT : DONT, option].join()));
        const expected = [...asked.filter(isMark).map(() => [IAC, WILL, TM].join()), ...refusals];
        expect(replies.sort()).toEqual(expected.sort());
      }),
      { numRuns: 300 },
    );
  });

  it('inside a line, 0xFF not starting a two-byte command or a timing mark leaves an 0xFF in the data (BAD_ENCODING)', () => {
    const notRemoved = fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 4 }))
      .map(([second, rest]) => [IAC, second, ...[...rest].filter((b) => b !== IAC)]);
    const removedAnywhere = (seq: number[]): boolean =>
      (seq[1]! >= EOF && seq[1]! <= GA) || (seq[1] === DO && seq[2] === TM);
    fc.assert(
      fc.property(text, notRemoved, text, points, (before, bad, after, cuts) => {
        fc.pre(before.data.length > 0 && !removedAnywhere([...bad, ...after.sent]));
        const input = bytes(before.sent, bad, after.sent, '\n');
        const { out } = run(cut(input, cuts));
        const firstLine = dataOf(out).split('\n')[0]!;
        expect(firstLine).toContain('\xff');
        expect(out.filter((o) => o === 'ayt' || (typeof o === 'object' && 'reply' in o))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('any bytes, cut anywhere: the output (data, replies and their order) does not depend on the cuts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), points, (input, cuts) => {
        expect(run(cut(input, cuts)).out).toEqual(run([input]).out);
      }),
      { numRuns: 500 },
    );
  });
});
