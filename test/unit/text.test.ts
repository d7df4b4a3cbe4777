import { describe, expect, it } from 'vitest';
import { checkName } from '../../src/protocol/names.js';
import { codePointLength, escapeUnsafe, nameKey, stripUnsafe } from '../../src/protocol/text.js';

/** The contract's unsafe set: C0 except TAB, DEL, C1, bidi embeddings/overrides/isolates. */
const isUnsafe = (cp: number): boolean =>
  (cp < 0x20 && cp !== 0x09) || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029 || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);

describe('checkName', () => {
  it.each([
    'alice',
    '小明',
    'हिन्दी',
    'a.b-c_d',
    'ab',
    'bob42',
    '__',
    'x'.repeat(32),
    '𐐀'.repeat(32), // astral letters count once each (Deseret)
    'Ame\u0301lie',
    'Zoë',
    'алиса',
    'Ελληνικά'.toLowerCase(),
    '田中さん',
    'tanakaさん',
    '김민준',
    'Ωmega', // mixed in plain sight: Ω looks like no Latin letter
  ])('accepts %j', (raw) => {
    const result = checkName(raw);
    expect(result).toEqual({ ok: true, name: raw.normalize('NFC'), key: raw.normalize('NFC').toLowerCase() });
  });

  it.each([
    '',
    'a',
    '小',
    '𐐀',
    'x'.repeat(33),
    '𐐀'.repeat(33),
    'al ice',
    'al|ice',
    'al:ice',
    'al,ice',
    'al/ice',
    'al\tice',
    'al\nice',
    'al\rice',
    'al\u0000ice',
    'al\u001b[31mice',
    'al\u007fice',
    'al\u009bice',
    'al\u202eice',
    '\u202ealice',
    'al\u2066ice',
    'ali\u200dce',
    '\u0301ab',
    'bob😀',
    // Renders exactly like another name: invisible and filler code points…
    'alice\u034f',
    'alice\ufe0f',
    'alice\u180b',
    'alice\u{e0100}',
    'alice\u3164',
    '\u115falice',
    'alice\uffa0',
    'ali\u200cce',
    // …letters of another script inside a Latin name…
    '\u0430lice',
    'p\u0430yp\u0430l',
    'b\u043eb',
    'g\u03bf\u03bfgle',
    // …fullwidth and styled letters.
    '\uff41\uff4c\uff49\uff43\uff45',
    '\u{1d41a}\u{1d425}\u{1d422}\u{1d41c}\u{1d41e}',
    '\ufb01sh',
    '𝒜𝒜',
  ])('rejects %j', (raw) => {
    const result = checkName(raw, 'room');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/^room /);
  });

  it('keys are case-insensitive after NFC', () => {
    const decomposed = checkName('Ame\u0301lie');
    const precomposed = checkName('AMÉLIE');
    expect(decomposed.ok && precomposed.ok).toBe(true);
    if (!decomposed.ok || !precomposed.ok) return;
    expect(decomposed.name).toBe('Am\u00e9lie');
    expect(precomposed.name).toBe('AMÉLIE');
    expect(decomposed.key).toBe(precomposed.key);
    expect(decomposed.key).toBe('am\u00e9lie');
    expect(nameKey('BoB')).toBe(nameKey('bob'));
    expect(nameKey('ÄRGER')).toBe(nameKey('a\u0308rger'));
    expect(nameKey('alice')).not.toBe(nameKey('alicia'));
  });

  // 'ΟΔΟΣ' and 'οδοσ' differ only in case (both upper-case to 'ΟΔΟΣ'), but
  // toLowerCase() turns a word-final capital sigma into final 'ς'.
  it('keys treat Greek names that differ only in case as the same', () => {
    expect(nameKey('ΟΔΟΣ')).toBe(nameKey('οδοσ'));
  });

  it('keys fold case fully: STRAẞE, straße and STRASSE are one name', () => {
    expect(nameKey('STRAẞE')).toBe('strasse');
    expect(nameKey('straße')).toBe('strasse');
    expect(nameKey('STRASSE')).toBe('strasse');
  });
});

describe('stripUnsafe and escapeUnsafe', () => {
  it('remove/escape exactly the unsafe set, code point by code point', () => {
    for (let cp = 0; cp <= 0x2100; cp++) {
      const ch = String.fromCodePoint(cp);
      expect(stripUnsafe(`a${ch}b`), `U+${cp.toString(16)}`).toBe(isUnsafe(cp) ? 'ab' : `a${ch}b`);
      expect(escapeUnsafe(ch) !== ch, `U+${cp.toString(16)}`).toBe(isUnsafe(cp));
    }
  });

  it.each<[string, string]>([
    ['a\u0000b\u0007c\u0008d', 'abcd'],
    ['tab\tkept', 'tab\tkept'],
    ['\u001b[31mred\u001b[0m', '[31mred[0m'],
    ['a\u007fb', 'ab'],
    ['a\u0080b\u009b2Jc\u009fd', 'ab2Jcd'],
    ['line\rover', 'lineover'],
    ['a\nb\r\n', 'ab'],
    ['a\u202ab\u202bc\u202cd\u202de\u202ef', 'abcdef'],
    ['a\u2066b\u2067c\u2068d\u2069e', 'abcde'],
    ['héllo 小明 😀 हिन्दी «»\u00a0\u202f~', 'héllo 小明 😀 हिन्दी «»\u00a0\u202f~'],
  ])('stripUnsafe(%j) → %j', (input, expected) => {
    expect(stripUnsafe(input)).toBe(expected);
  });

  it.each<[string, string]>([
    ['a\u001b[31m', 'a\\x1b[31m'],
    ['\u0000', '\\x00'],
    ['x\r\n', 'x\\x0d\\x0a'],
    ['\u007f\u009b', '\\x7f\\x9b'],
    ['evil\u202etxt.exe', 'evil\\u202etxt.exe'],
    ['\u2066x\u2069', '\\u2066x\\u2069'],
    ['tab\tand 小明 😀', 'tab\tand 小明 😀'],
  ])('escapeUnsafe(%j) → %j', (input, expected) => {
    expect(escapeUnsafe(input)).toBe(expected);
    expect(stripUnsafe(escapeUnsafe(input))).toBe(escapeUnsafe(input));
  });
});

describe('codePointLength', () => {
  it.each<[string, number]>([
    ['', 0],
    ['abc', 3],
    ['小明', 2],
    ['😀', 1],
    ['a😀b😀', 4],
    ['e\u0301', 2],
    ['\ud83d', 1],
    ['\ude00x', 2],
    ['\ud83d\ud83d', 2],
  ])('%j has %i code points', (text, length) => {
    expect(codePointLength(text)).toBe(length);
    expect(codePointLength(text)).toBe([...text].length);
  });

  it('stops counting one past stopAfter', () => {
    expect(codePointLength('abcdef', 2)).toBe(3);
    expect(codePointLength('😀😀😀😀', 2)).toBe(3);
    expect(codePointLength('ab', 2)).toBe(2);
  });
});
