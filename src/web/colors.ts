import { nameKey } from '../protocol/text.js';

// A stable colour per name: the terminal client's hash (FNV-1a over the
// case-folded key, src/client/render.ts), so a name has the same colour in
// both. Colours are CSS classes: the page's CSP allows no inline styles.

export const NAME_COLORS = 12;

/** The palette index of `name`, 0 ≤ i < NAME_COLORS; the same for every spelling of one name. */
export function nameColorIndex(name: string): number {
  let hash = 0x811c9dc5;
  for (const ch of nameKey(name)) {
    hash ^= ch.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % NAME_COLORS;
}

/** The CSS class of a name: `name-self` for our own, else `name-c0` … `name-c11`. */
export function nameClass(name: string, self: string): string {
  if (self !== '' && nameKey(name) === nameKey(self)) return 'name-self';
  return `name-c${nameColorIndex(name)}`;
}
