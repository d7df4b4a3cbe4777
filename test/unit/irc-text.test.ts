import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatcher, splitUtf8, stripFormatting } from '../../src/protocol/irc/text.js';

const FORMAT_CODES = /[\x02\x03\x04\x0f\x11\x16\x1d\x1e\x1f]/;
const byteLength = (s: string): number => Buffer.byteLength(s);
/** Whether `s` survives UTF-8 unchanged: no lone surrogate. */
const wellFormed = (s: string): boolean => Buffer.from(s, 'utf8').toString('utf8') === s;

describe('stripFormatting', () => {
  it.each<[string, string, string]>([
    ['bold, italic, underline', '\x02b\x02 \x1di\x1d \x1fu\x1f', 'b i u'],
    ['strikethrough, monospace, reverse, reset', '\x1es\x11m\x16r\x0fx', 'smrx'],
    ['colour, one digit', '\x034red', 'red'],
    ['colour, two digits', '\x0304red', 'red'],
    ['colour with background', '\x034,12x', 'x'],
    ['colour with two-digit background', '\x0304,12x', 'x'],
    ['at most two digits each', '\x03123,456', '3,456'],
    ['background at most two digits', '\x0312,345', '5'],
    ['a comma without digits after it stays', '\x0312,x', ',x'],
    ['a comma at the end stays', 'a\x0312,', 'a,'],
    ['no foreground: the comma is text', '\x03,12x', ',12x'],
    ['bare colour code ends colour', 'a\x03b', 'ab'],
    ['hex colour', '\x04FF0000red', 'red'],
    ['hex colour with background', '\x04ff0000,00FF00x', 'x'],
    ['hex colour needs six digits', '\x04FF00x', 'FF00x'],
    ['hex background needs six digits', '\x04FF0000,00x', ',00x'],
    ['hex colour takes no more than six', '\x04FF00001', '1'],
    ['digits after \\x04 are not decimal colour', '\x0412x', '12x'],
    ['other controls are left alone', '\x01ACTION waves\x01\x07', '\x01ACTION waves\x01\x07'],
    ['plain text unchanged', 'héllo 小明 😀', 'héllo 小明 😀'],
    ['codes between multibyte characters', '小\x02明\x0303😀', '小明😀'],
  ])('%s', (_, input, output) => expect(stripFormatting(input)).toBe(output));

  const formatted = fc.string({
    unit: fc.oneof(
      fc.constantFrom('\x02', '\x03', '\x04', '\x0f', '\x11', '\x16', '\x1d', '\x1e', '\x1f', ',', '0', '1', '9', 'a', 'F', 'f', ' '),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
    maxLength: 60,
  });

  it('leaves no formatting code, whatever the input', () => {
    fc.assert(
      fc.property(formatted, (text) => {
        expect(stripFormatting(text)).not.toMatch(FORMAT_CODES);
      }),
      { numRuns: 1000 },
    );
  });

  it('only removes characters: text without codes is unchanged, and the result is a subsequence', () => {
    fc.assert(
      fc.property(formatted, (text) => {
        const plain = text.replace(new RegExp(FORMAT_CODES.source, 'g'), '');
        expect(stripFormatting(plain)).toBe(plain);
        const out = stripFormatting(text);
        let at = 0;
        for (const ch of out) {
          at = text.indexOf(ch, at);
          expect(at).toBeGreaterThanOrEqual(0);
          at += ch.length;
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('splitUtf8', () => {
  const family = '👨\u200d👩\u200d👧'; // 18 bytes, one grapheme
  const flag = '🇫🇷'; // 8 bytes, one grapheme
  const accent = 'e\u0301'; // 3 bytes, one grapheme

  it.each<[string, string, number, string[]]>([
    ['empty text gives no pieces', '', 10, []],
    ['fits', 'hello', 10, ['hello']],
    ['exactly fits', 'hello', 5, ['hello']],
    ['breaks after a space in the second half', 'hello world foo', 10, ['hello ', 'world foo']],
    ['cuts the word when the only space is in the first half', 'ab cdefghijkl', 8, ['ab cdefg', 'hijkl']],
    ['no back-off when the cut already falls after a space', 'abcd efgh', 5, ['abcd ', 'efgh']],
    ['no back-off when the cut falls before a space', 'abcd efgh', 4, ['abcd', ' efg', 'h']],
    ['keeps runs of spaces', 'aa   bb', 4, ['aa  ', ' bb']],
    ['a word longer than a piece is cut', 'x'.repeat(10), 4, ['xxxx', 'xxxx', 'xx']],
    ['three-byte characters are not cut', '小明小明', 7, ['小明', '小明']],
    ['surrogate pairs stay whole', '😀😀😀', 5, ['😀', '😀', '😀']],
    ['combining marks stay with their letter', accent.repeat(3), 4, [accent, accent, accent]],
    ['flags stay whole', flag + flag, 10, [flag, flag]],
    ['a grapheme over the limit falls back to code points', family, 8, ['👨\u200d', '👩\u200d', '👧']],
    ['the fallback fills the piece before it', `a${family}`, 8, ['a👨\u200d', '👩\u200d', '👧']],
    ['a back-off still counts bytes', 'héé wörld', 8, ['héé ', 'wörld']],
  ])('%s', (_, text, maxBytes, pieces) => {
    expect(splitUtf8(text, maxBytes)).toEqual(pieces);
  });

  it('rejects a limit that cannot hold every code point', () => {
    for (const bad of [3, 0, -1, 4.5, Number.NaN, Infinity]) expect(() => splitUtf8('abc', bad), String(bad)).toThrow(RangeError);
    expect(splitUtf8('😀', 4)).toEqual(['😀']);
  });

  const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const anyText = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.string({ unit: fc.constantFrom(' ', 'a', 'bc', '小', '😀', accent, flag, family, '\u0301', '\u200d'), maxLength: 40 }),
  );

  it('pieces join back to the text, are non-empty, fit the limit and are valid UTF-8', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 4, max: 40 }), (text, maxBytes) => {
        const pieces = splitUtf8(text, maxBytes);
        expect(pieces.join('')).toBe(text);
        for (const piece of pieces) {
          expect(piece).not.toBe('');
          expect(byteLength(piece)).toBeLessThanOrEqual(maxBytes);
          expect(wellFormed(piece), JSON.stringify(piece)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('cuts only between graphemes, unless the grapheme alone is over the limit', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 4, max: 40 }), (text, maxBytes) => {
        const allowed = new Set<number>();
        for (const { segment, index } of graphemes.segment(text)) {
          allowed.add(index);
          if (byteLength(segment) > maxBytes) for (let i = 1; i < segment.length; i++) allowed.add(index + i);
        }
        let at = 0;
        for (const piece of splitUtf8(text, maxBytes).slice(0, -1)) {
          at += piece.length;
          expect(allowed.has(at), `cut at ${at} of ${JSON.stringify(text)}`).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a piece ends at its last space exactly when the word would be cut and the space is in its second half', () => {
    // Spaces here are always graphemes of their own, and graphemes are code points.
    const words = fc.string({ unit: fc.constantFrom(' ', 'a', 'b', 'é', '小', '😀'), maxLength: 80 });
    fc.assert(
      fc.property(words, fc.integer({ min: 4, max: 30 }), (text, maxBytes) => {
        const pieces = splitUtf8(text, maxBytes);
        for (let i = 0; i < pieces.length - 1; i++) {
          const piece = pieces[i]!;
          const rest = [...pieces.slice(i + 1).join('')];
          // The greedy piece: this one plus whatever of the rest still fits.
          let greedy = piece;
          let taken = 0;
          while (taken < rest.length && byteLength(greedy + rest[taken]!) <= maxBytes) greedy += rest[taken++]!;
          const cutsWord = taken < rest.length && !greedy.endsWith(' ') && rest[taken] !== ' ';
          const lastSpace = greedy.lastIndexOf(' ');
          const backOff = cutsWord && lastSpace !== -1 && byteLength(greedy.slice(0, lastSpace + 1)) * 2 > byteLength(greedy);
          expect(piece, JSON.stringify({ pieces, maxBytes })).toBe(backOff ? greedy.slice(0, lastSpace + 1) : greedy);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('globMatcher', () => {
  it.each<[string, string, boolean]>([
    ['*', '', true],
    ['*', 'anyone', true],
    ['coolni*', 'coolNick', true],
    ['COOLNICK', 'coolnick', true],
    ['b?b', 'bob', true],
    ['b?b', 'bb', false],
    ['*a*b', 'xaxxb', true],
    ['*a*b', 'xaxxbc', false],
    ['a.b', 'axb', false],
    ['(x)+', '(x)+', true],
    ['bjö*', 'BJÖRN', true],
    ['?', 'ö', true],
  ])('%s against %s is %s', (mask, name, expected) => {
    expect(globMatcher(mask)(name)).toBe(expected);
  });

  it('agrees with a regular expression built from the mask', () => {
    const piece = fc.constantFrom('a', 'b', 'A', '*', '?', '.', 'é');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.array(fc.constantFrom('a', 'b', 'B', '.', 'é', 'É'), { maxLength: 10 }), (mask, name) => {
        const source = mask.map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c === '.' ? '\\.' : c.toLowerCase())).join('');
        const expected = new RegExp(`^${source}$`, 'su').test(name.join('').toLowerCase());
        expect(globMatcher(mask.join(''))(name.join(''))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('a mask of many stars against a name that fails ends (a backtracking matcher would run past the test timeout)', () => {
    expect(globMatcher('*a'.repeat(250))('a'.repeat(31) + 'b')).toBe(false);
    expect(globMatcher('*a'.repeat(16))('a'.repeat(16))).toBe(true);
  });
});
