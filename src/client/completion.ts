import { nameKey, parsePresence, type ServerFrame } from '../protocol/index.js';
import { COMMANDS, COMMAND_NAMES } from './commands.js';

// Tab completion of slash commands, names and rooms, and what it completes
// from. Pure: the caller holds the lists and feeds them server frames.

export { parsePresence } from '../protocol/index.js';

/** The people in the current room, kept current from USERS answers and join/leave notices. */
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

/**
 * Everyone seen online since the client started, in any room: the addressees
 * /msg can complete. Never forgets a name: someone who left the room may well
 * be online elsewhere, and a registered name gets private messages offline.
 */
export class SeenNames {
  private readonly names = new Map<string, string>();

  /** Applies one frame; returns true when a name was new. */
  apply(frame: ServerFrame): boolean {
    switch (frame.type) {
      case 'USERS':
        return frame.names.map((name) => this.add(name)).some(Boolean);
      case 'SYSTEM': {
        const presence = parsePresence(frame.text);
        return presence === undefined ? false : this.add(presence.name);
      }
      case 'TEXT':
      case 'PRIVATE':
        return this.add(frame.from);
      default:
        return false;
    }
  }

  add(name: string): boolean {
    const key = nameKey(name);
    if (this.names.has(key)) return false;
    this.names.set(key, name);
    return true;
  }

  list(): string[] {
    return [...this.names.values()].sort((a, b) => a.localeCompare(b));
  }
}

/** Rooms /join can complete: the server's last ROOMS answer, and the rooms the client was in. */
export class KnownRooms {
  private listed = new Map<string, string>();
  private readonly visited = new Map<string, string>();

  /** Applies one frame; a ROOMS answer replaces the server's list. */
  apply(frame: ServerFrame): void {
    if (frame.type !== 'ROOMS') return;
    this.listed = new Map(frame.rooms.map((r) => [nameKey(r.room), r.room]));
  }

  visit(room: string): void {
    this.visited.set(nameKey(room), room);
  }

  /** Every known room but `current` (joining it would do nothing). */
  list(current: string): string[] {
    const all = new Map([...this.visited, ...this.listed]);
    all.delete(nameKey(current));
    return [...all.values()].sort((a, b) => a.localeCompare(b));
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

/** What the completion lists come from. */
export interface CompletionSources {
  /** People in the current room: completed anywhere in a plain line. */
  roomNames: readonly string[];
  /** Everyone seen online: completed as the NAME of /msg, /w and the moderation commands. */
  knownNames: readonly string[];
  /** Rooms: completed after /join. */
  rooms: readonly string[];
}

/** What the word before the cursor is: a command, an addressee (a command's NAME), a room, or a name in the text. */
export type CompletionContext = 'command' | 'addressee' | 'room' | 'mention';

const WORD_BEFORE_CURSOR = /\S*$/u;

/** Command name → what its first argument completes from (the COMMANDS table says). */
const FIRST_ARGUMENT = new Map(COMMANDS.flatMap((c) => c.names.map((name) => [name, c.argument] as const)));

export function completionContext(lineBeforeCursor: string): CompletionContext {
  const word = WORD_BEFORE_CURSOR.exec(lineBeforeCursor)?.[0] ?? '';
  const before = lineBeforeCursor.slice(0, lineBeforeCursor.length - word.length);
  if (before === '' && word.startsWith('/') && !word.startsWith('//')) return 'command';
  const command = /^(\/\S+)\s+$/u.exec(before)?.[1]?.toLowerCase();
  const argument = command === undefined ? undefined : FIRST_ARGUMENT.get(command);
  if (argument === 'name') return 'addressee';
  if (argument === 'room') return 'room';
  return 'mention';
}

/**
 * node:readline completer semantics: given the line up to the cursor, returns
 * the candidates and the part of the line they replace. A single match gets a
 * trailing space; several matches that share more than what was typed are
 * narrowed to that shared prefix. After /msg, /join and the other commands
 * taking a NAME an empty word lists every choice; elsewhere it completes nothing.
 */
export function complete(lineBeforeCursor: string, sources: CompletionSources): [string[], string] {
  const word = WORD_BEFORE_CURSOR.exec(lineBeforeCursor)?.[0] ?? '';
  const context = completionContext(lineBeforeCursor);
  let candidates: string[];
  switch (context) {
    case 'command':
      candidates = matching(COMMAND_NAMES, word);
      break;
    case 'addressee':
      candidates = matching(sources.knownNames, word);
      break;
    case 'room':
      candidates = matching(sources.rooms, word);
      break;
    case 'mention':
      if (word === '') return [[], word];
      candidates = matching(sources.roomNames, word);
      break;
  }
  if (candidates.length === 1) {
    // Completing the first word of a plain line with a name: irc-style "name: ".
    const first = context === 'mention' && word.length === lineBeforeCursor.length;
    return [[candidates[0]! + (first ? ': ' : ' ')], word];
  }
  const shared = commonPrefix(candidates);
  if (candidates.length > 1 && shared.length > word.length) return [[shared], word];
  return [candidates, word];
}
