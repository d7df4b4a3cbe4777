// Imports name the modules themselves: the web page loads this file in the browser.
import { MAX_SANCTION_MINUTES } from '../protocol/parse.js';
import { checkNameShape as checkName } from '../protocol/text.js';

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
  /** The front end asks for the passwords with hidden input (never on the command line). */
  | { kind: 'password' }
  | { kind: 'kick'; name: string; reason: string }
  /** `minutes` 0: until lifted. */
  | { kind: 'ban'; name: string; minutes: number; reason: string }
  | { kind: 'unban'; name: string }
  | { kind: 'mute'; name: string; minutes: number; reason: string }
  | { kind: 'unmute'; name: string }
  | { kind: 'modlog'; count?: number }
  /** `topic` undefined: show it; '' clears it. */
  | { kind: 'topic'; topic?: string }
  /** Nothing is sent; `message` is a one-line hint for the user. */
  | { kind: 'invalid'; message: string };

export interface CommandSpec {
  /** Names with their slash, the first one canonical. */
  names: readonly string[];
  usage: string;
  description: string;
  /** What Tab completes as the first argument: a name seen online, or a room. */
  argument?: 'name' | 'room';
}

/** Every slash command, in /help order; completion and /help read this table. */
export const COMMANDS: readonly CommandSpec[] = [
  { names: ['/msg', '/w'], usage: '/msg NAME TEXT', description: 'send a private message (also /w)', argument: 'name' },
  { names: ['/users'], usage: '/users', description: 'who is online in this room' },
  { names: ['/join'], usage: '/join ROOM', description: 'leave this room and enter ROOM', argument: 'room' },
  { names: ['/rooms'], usage: '/rooms', description: 'rooms with people in them' },
  { names: ['/history'], usage: '/history [N]', description: 'the last N messages of this room (default 20)' },
  { names: ['/topic'], usage: '/topic [TEXT | --clear]', description: "this room's topic; with TEXT, set it (registered names)" },
  { names: ['/ping'], usage: '/ping', description: 'measure the round-trip time to the server' },
  { names: ['/password'], usage: '/password', description: 'change your password (asked for with hidden input)' },
  { names: ['/kick'], usage: '/kick NAME [REASON]', description: 'disconnect NAME (operators)', argument: 'name' },
  {
    names: ['/ban'],
    usage: '/ban NAME MINUTES [REASON]',
    description: 'keep NAME out for MINUTES, 0 = until lifted (operators)',
    argument: 'name',
  },
  { names: ['/unban'], usage: '/unban NAME', description: 'lift the ban on NAME (operators)', argument: 'name' },
  {
    names: ['/mute'],
    usage: '/mute NAME MINUTES [REASON]',
    description: 'NAME may only read for MINUTES, 0 = until lifted (operators)',
    argument: 'name',
  },
  { names: ['/unmute'], usage: '/unmute NAME', description: 'let NAME talk again (operators)', argument: 'name' },
  { names: ['/modlog'], usage: '/modlog [N]', description: 'the last N moderation actions, default 20 (operators)' },
  { names: ['/quit'], usage: '/quit', description: 'log out and leave' },
  { names: ['/help'], usage: '/help', description: 'this list' },
];

/** All command names, aliases included, for completion. */
export const COMMAND_NAMES: readonly string[] = COMMANDS.flatMap((c) => c.names);

const HISTORY_MAX_DIGITS = /^[0-9]{1,6}$/;
const MINUTES_DIGITS = /^[0-9]{1,7}$/;

/** Splits off the first whitespace-delimited word. */
function firstWord(text: string): { word: string; rest: string } {
  const trimmed = text.replace(/^\s+/, '');
  const match = /^(\S+)(?:\s+([\s\S]*))?$/.exec(trimmed);
  if (match === null) return { word: '', rest: '' };
  return { word: match[1]!, rest: match[2] ?? '' };
}

const invalid = (message: string): Action => ({ kind: 'invalid', message });

/** The NAME argument, checked as the server would (so it cannot break the frame). */
function nameArgument(raw: string): { ok: true; name: string } | { ok: false; action: Action } {
  const check = checkName(raw);
  if (!check.ok) return { ok: false, action: invalid(`'${raw.slice(0, 32)}' is not a valid name: ${check.reason}`) };
  return { ok: true, name: check.name };
}

/** /kick NAME [REASON], /unban NAME, /unmute NAME. */
function parseTargeted(command: '/kick' | '/unban' | '/unmute', args: string): Action {
  const { word, rest } = firstWord(args);
  const usage = command === '/kick' ? 'usage: /kick NAME [REASON]' : `usage: ${command} NAME`;
  if (word === '' || (command !== '/kick' && rest.trim() !== '')) return invalid(usage);
  const target = nameArgument(word);
  if (!target.ok) return target.action;
  if (command === '/kick') return { kind: 'kick', name: target.name, reason: rest.trim() };
  return { kind: command === '/unban' ? 'unban' : 'unmute', name: target.name };
}

/** /ban and /mute: NAME MINUTES [REASON], MINUTES a whole number (0 = until lifted). */
function parseSanction(command: '/ban' | '/mute', args: string): Action {
  const usage = `usage: ${command} NAME MINUTES [REASON] (MINUTES a whole number, 0 = until lifted)`;
  const { word, rest } = firstWord(args);
  const { word: minutes, rest: reason } = firstWord(rest);
  if (word === '' || minutes === '') return invalid(usage);
  const target = nameArgument(word);
  if (!target.ok) return target.action;
  if (!MINUTES_DIGITS.test(minutes) || Number(minutes) > MAX_SANCTION_MINUTES) {
    const rule = `MINUTES is a whole number, 0 = until lifted (at most ${MAX_SANCTION_MINUTES})`;
    return invalid(`'${minutes.slice(0, 16)}' is not a number of minutes: ${rule}`);
  }
  return { kind: command === '/ban' ? 'ban' : 'mute', name: target.name, minutes: Number(minutes), reason: reason.trim() };
}

/** `/password` followed by anything: a line that may hold a password, kept out of the input history. */
export function mayHoldPassword(raw: string): boolean {
  return /^\/password\s+\S/iu.test(raw);
}

/**
 * Checks what was typed at the /password prompts; returns why nothing may be
 * sent, or undefined. A PASSWORD frame is `PASSWORD|old|new`: an old password
 * with '|' cannot be carried, and a new one with '|' could never be changed again.
 */
export function checkPasswordChange(old: string, password: string, again: string): string | undefined {
  if (password !== again) return 'the new passwords do not match; nothing was sent';
  if (old.includes('|')) return "a password with '|' cannot be changed from the client; nothing was sent";
  if (password.includes('|')) return "the new password must not contain '|' (it could not be changed again); nothing was sent";
  if (password === old) return 'the new password is the same as the old one; nothing was sent';
  return undefined;
}

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
    case '/history':
    case '/modlog': {
      const kind = command === '/history' ? 'history' : 'modlog';
      if (args === '') return { kind };
      if (!HISTORY_MAX_DIGITS.test(args) || Number(args) < 1) {
        return invalid(`usage: ${command} [N] with N a positive whole number`);
      }
      return { kind, count: Number(args) };
    }
    case '/topic':
      if (args === '') return { kind: 'topic' };
      return { kind: 'topic', topic: args === '--clear' ? '' : args };
    case '/password':
      // Typed on the command line a password would be on screen and in the input history.
      if (args !== '') return invalid('usage: /password (no arguments: it asks for the passwords with hidden input)');
      return { kind: 'password' };
    case '/kick':
    case '/unban':
    case '/unmute':
      return parseTargeted(command, args);
    case '/ban':
    case '/mute':
      return parseSanction(command, args);
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
