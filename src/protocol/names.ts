import { rectifyConfusion } from 'unicode-confusables';
import { checkNameShape, nameKey, plainScripts, type NameCheck } from './text.js';

// Names as the server takes them: their shape (text.ts) and the look-alike
// guard, which needs Unicode's confusables data (so the web page, which
// loads text.ts alone, leaves it to the server).

/**
 * Validates a user or room name. `name` is the NFC form to display, `key`
 * the form to compare: NFC, then case-folded.
 */
export function checkName(raw: string, what = 'name'): NameCheck {
  // The same few names come back on every PRIVATE: remember recent answers.
  const key = what === 'name' ? raw : `${what}\u0000${raw}`;
  let check = recentChecks.get(key);
  if (check === undefined) {
    if (recentChecks.size >= RECENT_CHECKS) recentChecks.clear();
    check = computeCheck(raw, what);
    recentChecks.set(key, check);
  }
  return check;
}

const RECENT_CHECKS = 4096;
const recentChecks = new Map<string, NameCheck>();

function computeCheck(raw: string, what: string): NameCheck {
  const shape = checkNameShape(raw, what);
  if (shape.ok && spoofedMix(shape.name)) {
    return { ok: false, reason: `${what} mixes scripts with look-alike letters (such as a Cyrillic а in a Latin name)` };
  }
  return shape;
}

/**
 * Mixed the way spoofers mix: scripts that do not go together, where the
 * odd letters are look-alikes (Unicode TS #39 prototypes) of the others,
 * so the name reads as a single-script one (Cyrillic `а` in `аlice`).
 * A name that is mixed in plain sight (`Ωmega`) is not a disguise.
 */
function spoofedMix(name: string): boolean {
  return !plainScripts(name) && plainScripts(rectifyConfusion(name));
}

/**
 * What a name looks like (Unicode TS #39 skeleton, case folded): two names
 * with one skeleton read alike (`rnallory` and `mallory`, `paypa1` and
 * `paypal`). For comparison only, never for display.
 */
export function nameSkeleton(name: string): string {
  // Mapped before folding (I looks like l, i does not) and after (M folds to m, which looks like rn).
  const once = nameKey(rectifyConfusion(name.normalize('NFKC').normalize('NFD')));
  return nameKey(rectifyConfusion(once.normalize('NFD')));
}
