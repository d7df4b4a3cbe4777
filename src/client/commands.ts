import { checkName } from '../protocol/index.js';

// One typed line → one action. Pure: no sockets, no terminal, no clock.

export type Action =
  | { kind: 'none' }
  | { kind: 'say'; text: string }
  | { kind: 'whisper'; to: string; text: string }
  | { kind: 'users' }
  | { kind: 'join'; room: string }
  | { kind: 'rooms' }
  | { kind: 'history'; count?: number }
  | { kind: 'ping' }
  | { kind: 'quit' }
  | { kind: 'help' }
  /** Nothing is sent; `message` is a one-line hint for the user. */
  | { kind: 'invalid'; message: string };

export interface CommandSpec {
  /** Names with their slash, the first one canonical. */
  names: readonly string[];
  usage: string;
  description: string;
}

/** Every slash command, in /help order; completion and /help read this table. */
export const COMMANDS: readonly CommandSpec[] = [
  { names: ['/msg', '/w'], usage: '/msg NAME TEXT', description: 'send a private message (also /w)' },
  { names: ['/users'], usage: '/users', description: 'who is online in this room' },
  { names: ['/join'], usage: '/join ROOM', description: 'leave this room and enter ROOM' },
  { names: ['/rooms'], usage: '/rooms', description: 'rooms with people in them' },
  { names: ['/history'], usage: '/history [N]', description: 'the last N messages of this room (default 20)' },
  { names: ['/ping'], usage: '/ping', description: 'measure the round-trip time to the server' },
  { names: ['/quit'], usage: '/quit', description: 'log out and leave' },
  { names: ['/help'], usage: '/help', description: 'this list' },
];

/** All command names, aliases included, for completion. */
export const COMMAND_NAMES: readonly string[] = COMMANDS.flatMap((c) => c.names);

const HISTORY_MAX_DIGITS = /^[0-9]{1,6}$/;

/** Splits off the first whitespace-delimited word. */
function firstWord(text: string): { word: string; rest: string } {
  const trimmed = text.replace(/^\s+/, '');
  const match = /^(\S+)(?:\s+([\s\S]*))?$/.exec(trimmed);
  if (match === null) return { word: '', rest: '' };
  return { word: match[1]!, rest: match[2] ?? '' };
}

const invalid = (message: string): Action => ({ kind: 'invalid', message });

/**
 * Parses what the user typed. Plain text is said in the room; a line starting
 * with '//' says the rest starting with '/'; other '/' lines are commands.
 */
export function parseInput(raw: string): Action {
  const line = raw.replace(/\r$/, '');
  if (line.trim() === '') return { kind: 'none' };
  if (line.startsWith('//')) return { kind: 'say', text: line.slice(1) };
  if (!line.startsWith('/')) return { kind: 'say', text: line };

  const { word, rest } = firstWord(line);
  const command = word.toLowerCase();
  const args = rest.trim();
  switch (command) {
    case '/msg':
    case '/w': {
      const { word: to, rest: text } = firstWord(args);
      if (to === '' || text.trim() === '') return invalid(`usage: ${command} NAME TEXT`);
      const check = checkName(to);
      if (!check.ok) return invalid(`'${to}' is not a valid name: ${check.reason}`);
      return { kind: 'whisper', to: check.name, text };
    }
    case '/users':
    case '/rooms':
    case '/ping':
    case '/quit':
    case '/help':
      if (args !== '') return invalid(`usage: ${command} (takes no arguments)`);
      return { kind: command.slice(1) as 'users' | 'rooms' | 'ping' | 'quit' | 'help' };
    case '/join':
      if (args === '') return invalid('usage: /join ROOM');
      // The server checks the room and says what is wrong with it (ERROR|BAD_NAME|…).
      return { kind: 'join', room: args };
    case '/history': {
      if (args === '') return { kind: 'history' };
      if (!HISTORY_MAX_DIGITS.test(args) || Number(args) < 1) {
        return invalid('usage: /history [N] with N a positive whole number');
      }
      return { kind: 'history', count: Number(args) };
    }
    default:
      return invalid(`unknown command ${word.slice(0, 32)}; /help lists the commands`);
  }
}

/** The /help text, one line per command. */
export function helpLines(): string[] {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    ...COMMANDS.map((c) => `${c.usage.padEnd(width)}  ${c.description}`),
    `${'//TEXT'.padEnd(width)}  send TEXT starting with '/'`,
    `${'Tab'.padEnd(width)}  complete commands and names; Ctrl-C or Ctrl-D quits`,
  ];
}
