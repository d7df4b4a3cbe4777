// Rules for the text people send each other: names, rooms, messages.
// Nothing here may let one user's bytes drive another user's terminal.
// No dependencies: the web page loads this module as it is (the look-alike
// checks, which need Unicode's confusables data, are in names.ts).

/**
 * C0 controls except TAB, DEL, C1 controls, the line and paragraph
 * separators (a line break to many terminals), and bidi embeddings,
 * overrides and isolates.
 */
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_TEST = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** Anything that shows: not white space, not a control, not default-ignorable (U+200B, fillers, joiners, selectors). */
const VISIBLE = /[^\p{White_Space}\p{Cc}\p{Default_Ignorable_Code_Point}]/u;

/** Whether `text` has at least one character that shows on screen. */
export function hasVisible(text: string): boolean {
  return VISIBLE.test(text);
}

/** Removes every character that could act on a terminal or reorder text. */
export function stripUnsafe(text: string): string {
  return UNSAFE_TEST.test(text) ? text.replace(UNSAFE, '') : text;
}

/**
 * For display of anything that came from the network: unsafe characters
 * become visible escapes instead of vanishing, so nothing is hidden either.
 */
export function escapeUnsafe(text: string): string {
  if (!UNSAFE_TEST.test(text)) return text;
  return text.replace(UNSAFE, (ch) => {
    const code = ch.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Length in Unicode code points, without allocating for the common case. */
export function codePointLength(text: string, stopAfter = Infinity): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    if (++count > stopAfter) return count;
  }
  return count;
}

export const NAME_MIN = 2;
export const NAME_MAX = 32;

// Letters of any script, each optionally followed by combining marks; digits,
// '_', '-', '.'. A mark may not stand first, with nothing to combine with.
const NAME_SHAPE = /^(?!\p{M})(?:\p{L}|\p{M}|\p{Nd}|[_.-])+$/u;

export type NameCheck = Readonly<{ ok: true; name: string; key: string } | { ok: false; reason: string }>;

/**
 * Characters that show nothing or look like a space (U+034F, variation
 * selectors, zero-width joiners, Hangul fillers): a name holding one renders
 * exactly like the name without it.
 */
const INVISIBLE_IN_NAME = /[\p{Default_Ignorable_Code_Point}\u115f\u1160\u3164\uffa0]/u;

/**
 * Scripts a spoofer mixes: a name's letters come from one of them, or from
 * one of the usual combinations (Japanese, Chinese and Korean writing with
 * Latin). Letters of other scripts stand on their own.
 */
const SCRIPTS = [
  'Latin', 'Greek', 'Cyrillic', 'Armenian', 'Georgian', 'Hebrew', 'Arabic', 'Syriac', 'Thaana', 'Devanagari',
  'Bengali', 'Gurmukhi', 'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala', 'Thai', 'Lao',
  'Tibetan', 'Myanmar', 'Khmer', 'Mongolian', 'Ethiopic', 'Cherokee', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo',
].map((name) => ({ name, test: new RegExp(`\\p{Script=${name}}`, 'u') }));
const ALLOWED_MIXES = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];
const LETTER = /\p{L}/u;

/** Whether the letters of `text` are of one script, or of a usual mix. */
export function plainScripts(text: string): boolean {
  const scripts = new Set<string>();
  for (const ch of text) {
    if (!LETTER.test(ch)) continue;
    scripts.add(SCRIPTS.find((s) => s.test.test(ch))?.name ?? 'other');
  }
  return scripts.size <= 1 || ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.has(s)));
}

/**
 * A name's shape: its length, its characters, nothing invisible, plain
 * letters. `name` is the NFC form to display, `key` the form to compare.
 * What a client can check alone; the server's checkName adds the
 * look-alike guard.
 */
export function checkNameShape(raw: string, what = 'name'): NameCheck {
  const name = raw.normalize('NFC');
  const length = codePointLength(name, NAME_MAX + 1);
  if (length < NAME_MIN || length > NAME_MAX) {
    return { ok: false, reason: `${what} must be ${NAME_MIN} to ${NAME_MAX} characters` };
  }
  if (!NAME_SHAPE.test(name)) {
    return { ok: false, reason: `${what} may hold only letters, digits, '_', '-' and '.'` };
  }
  if (INVISIBLE_IN_NAME.test(name)) {
    return { ok: false, reason: `${what} may not hold invisible characters (joiners, selectors, fillers)` };
  }
  // Fullwidth and styled letters (ａ, 𝐚, ℌ) look like plain ones: only the plain form is a name.
  if (name.normalize('NFKC') !== name) {
    return { ok: false, reason: `${what} must be written in plain letters, not fullwidth or styled ones` };
  }
  return { ok: true, name, key: nameKey(name) };
}

/**
 * The comparison key of a valid name: NFKC (fullwidth and mathematical
 * letters are their plain letters), then case folded. Lower, upper, lower:
 * so forms that fold to more than one letter meet (ẞ, ß and SS; final sigma).
 */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC');
}
