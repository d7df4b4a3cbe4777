import { nameKey, parsePresence, type ServerFrame } from '../protocol/index.js';
import { COMMAND_NAMES } from './commands.js';

// Tab completion of slash commands and online names. Pure: the caller holds
// the list of names and feeds it server frames.

export { parsePresence } from '../protocol/index.js';

/** The names known to be online, kept current from USERS answers and join/leave notices. */
export class OnlineNames {
  /** key (case-folded) → name as the server spells it. */
  private readonly names = new Map<string, string>();

  /** Applies one frame; returns true when the list changed. */
  apply(frame: ServerFrame): boolean {
    switch (frame.type) {
      case 'USERS': {
        const before = [...this.names.keys()].join('\n');
        this.names.clear();
        for (const name of frame.names) this.names.set(nameKey(name), name);
        return before !== [...this.names.keys()].join('\n');
      }
      case 'SYSTEM': {
        const presence = parsePresence(frame.text);
        if (presence === undefined) return false;
        return presence.event === 'joined' ? this.add(presence.name) : this.remove(presence.name);
      }
      case 'TEXT':
      case 'PRIVATE':
        // Whoever just spoke is online.
        return this.add(frame.from);
      default:
        return false;
    }
  }

  add(name: string): boolean {
    const key = nameKey(name);
    if (this.names.get(key) === name) return false;
    this.names.set(key, name);
    return true;
  }

  remove(name: string): boolean {
    return this.names.delete(nameKey(name));
  }

  clear(): void {
    this.names.clear();
  }

  list(): string[] {
    return [...this.names.values()].sort((a, b) => a.localeCompare(b));
  }
}

/** Longest common prefix, compared case-insensitively, in the first candidate's spelling. */
function commonPrefix(words: readonly string[]): string {
  if (words.length === 0) return '';
  let prefix = words[0]!;
  for (const word of words.slice(1)) {
    let i = 0;
    while (i < prefix.length && i < word.length && prefix[i]!.toLowerCase() === word[i]!.toLowerCase()) i++;
    prefix = prefix.slice(0, i);
  }
  return prefix;
}

function matching(candidates: readonly string[], partial: string): string[] {
  const key = partial.toLowerCase();
  return candidates.filter((c) => c.toLowerCase().startsWith(key));
}

/**
 * node:readline completer semantics: given the line up to the cursor, returns
 * the candidates and the part of the line they replace. A single match gets a
 * trailing space; several matches that share more than what was typed are
 * narrowed to that shared prefix.
 */
export function complete(lineBeforeCursor: string, names: readonly string[]): [string[], string] {
  const wordMatch = /\S*$/u.exec(lineBeforeCursor);
  const word = wordMatch === null ? '' : wordMatch[0];
  const before = lineBeforeCursor.slice(0, lineBeforeCursor.length - word.length);

  let candidates: string[];
  if (before === '' && word.startsWith('/') && !word.startsWith('//')) {
    candidates = matching(COMMAND_NAMES, word);
  } else if (word === '') {
    return [[], word];
  } else {
    candidates = matching(names, word);
  }
  if (candidates.length === 1) {
    // Completing the first word of a plain line with a name: irc-style "name: ".
    const first = before === '' && !word.startsWith('/');
    return [[candidates[0]! + (first ? ': ' : ' ')], word];
  }
  const shared = commonPrefix(candidates);
  if (candidates.length > 1 && shared.length > word.length) return [[shared], word];
  return [candidates, word];
}
