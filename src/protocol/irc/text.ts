// Text inside IRC messages: the formatting codes clients put in, and cutting
// long text into pieces that fit a line.

/**
 * Colour (\x03) takes up to two digits, then a comma and up to two more
 * only when digits follow the comma; hex colour (\x04) the same with six
 * hex digits. The other codes stand alone.
 */
const FORMATTING = /\x03(?:[0-9]{1,2}(?:,[0-9]{1,2})?)?|\x04(?:[0-9A-Fa-f]{6}(?:,[0-9A-Fa-f]{6})?)?|[\x02\x0f\x11\x16\x1d\x1e\x1f]/g;

/** Removes IRC formatting codes; other control characters are another layer's concern. */
export function stripFormatting(text: string): string {
  return text.replace(FORMATTING, '');
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The longest UTF-8 code point: any smaller limit could not hold every piece. */
const MIN_PIECE_BYTES = 4;

interface Unit {
  readonly text: string;
  readonly bytes: number;
}

/** Graphemes, except that one too big for a piece is cut into its code points. */
function units(text: string, maxBytes: number): Unit[] {
  const out: Unit[] = [];
  for (const { segment } of graphemes.segment(text)) {
    const bytes = Buffer.byteLength(segment);
    if (bytes <= maxBytes) out.push({ text: segment, bytes });
    else for (const cp of segment) out.push({ text: cp, bytes: Buffer.byteLength(cp) });
  }
  return out;
}

/**
 * Splits `text` into pieces of at most `maxBytes` UTF-8 bytes. A cut never
 * falls inside a code point, nor inside a grapheme unless that grapheme alone
 * is over the limit. When a cut would fall inside a word it moves back to just
 * after the piece's last space, if that keeps more than half of the piece.
 * Spaces are kept, so the pieces joined give back `text`; '' gives no pieces.
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (!Number.isInteger(maxBytes) || maxBytes < MIN_PIECE_BYTES) {
    throw new RangeError(`maxBytes must be an integer of at least ${MIN_PIECE_BYTES}, got ${maxBytes}`);
  }
  if (text === '') return [];
  const all = units(text, maxBytes);
  const pieces: string[] = [];
  let start = 0;
  while (start < all.length) {
    let end = start;
    let bytes = 0;
    let afterSpace = -1;
    let afterSpaceBytes = 0;
    while (end < all.length && bytes + all[end]!.bytes <= maxBytes) {
      bytes += all[end]!.bytes;
      end++;
      if (all[end - 1]!.text === ' ') {
        afterSpace = end;
        afterSpaceBytes = bytes;
      }
    }
    const midWord = end < all.length && all[end]!.text !== ' ' && afterSpace !== end;
    if (midWord && afterSpace > start && afterSpaceBytes * 2 > bytes) end = afterSpace;
    let piece = '';
    for (let i = start; i < end; i++) piece += all[i]!.text;
    pieces.push(piece);
    start = end;
  }
  return pieces;
}

/**
 * IRC's masks: `*` any run of characters, `?` one; without regard to case.
 * Matched by the greedy two-pointer walk, not a RegExp: a mask of many `*`
 * costs O(mask × name), never backtracking without end.
 */
export function globMatcher(mask: string): (name: string) => boolean {
  const pattern = [...mask.toLowerCase()];
  return (raw) => {
    const name = [...raw.toLowerCase()];
    let p = 0;
    let n = 0;
    let star = -1;
    let resume = 0;
    while (n < name.length) {
      if (p < pattern.length && (pattern[p] === '?' || pattern[p] === name[n])) {
        p++;
        n++;
      } else if (p < pattern.length && pattern[p] === '*') {
        star = p++;
        resume = n;
      } else if (star !== -1) {
        p = star + 1;
        n = ++resume;
      } else {
        return false;
      }
    }
    while (p < pattern.length && pattern[p] === '*') p++;
    return p === pattern.length;
  };
}
