// IRC as the load generator speaks it: the lines an IRC member sends
// (registration, JOIN, PRIVMSG) and what it makes of the server's lines.
// The hot path (is this line a relayed PRIVMSG?) reads bytes; the few other
// lines (registration, NAMES, errors) are parsed with src/protocol/irc.
// Pure: no sockets.

import { parseIrcLine } from '../protocol/irc/index.js';

/**
 * The longest message, in bytes, sent as one PRIVMSG: the server splits
 * what it relays at 512 bytes with `:nick!nick@server PRIVMSG #room :` in
 * front (the bench's names are short, the server name is the host name), and
 * a message that reached members as two lines would be counted twice.
 */
export const IRC_MESSAGE_BYTES_MAX = 300;

export const ircRegistration = (nick: string): string => `NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`;
export const ircJoin = (room: string): string => `JOIN #${room}\r\n`;
/** `target` is `#room` or a nick. */
export const ircPrivmsg = (target: string, text: string): string => `PRIVMSG ${target} :${text}\r\n`;
export const ircPong = (token: string): string => `PONG :${token}\r\n`;

const AT = 0x40;
const COLON = 0x3a;
const SPACE = 0x20;
const PRIVMSG = Buffer.from(' PRIVMSG ');

/**
 * True when `buf[start, end)` is `[@tags ]:source PRIVMSG …`: a message
 * relayed from a user (the server's own lines are numerics and NOTICEs).
 * Allocation-free: this runs once per received line.
 */
export function isPrivmsg(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  if (buf[i] === AT) {
    const space = buf.indexOf(SPACE, i);
    if (space === -1 || space >= end) return false;
    i = space + 1;
  }
  if (buf[i] !== COLON) return false;
  const space = buf.indexOf(SPACE, i);
  if (space === -1 || end - space < PRIVMSG.length) return false;
  for (let k = 1; k < PRIVMSG.length; k++) if (buf[space + k] !== PRIVMSG[k]) return false;
  return true;
}

/** What a server line means to a member logging in (or, rarely, during traffic). */
export type IrcLineEvent =
  | { kind: 'welcome' }
  | { kind: 'names-end'; channel: string }
  | { kind: 'ping'; token: string }
  /** An error numeric, a server NOTICE naming an error code, or ERROR (the server is closing the link). */
  | { kind: 'refused'; code: string }
  /** A PRIVMSG from a user; `history` when it is a replayed one (its time written before the text). */
  | { kind: 'message'; text: string; history: boolean }
  | { kind: 'other' };

/** ERR_NOMOTD: part of every registration on a server without --motd, not a refusal. */
const NO_MOTD = '422';
/** How the server writes the time before a replayed message for clients without server-time. */
const REPLAYED = /^\[\d{4}-\d\d-\d\d \d\d:\d\d\] /;
/** The server's refusals to IRC clients end in the line protocol's error code: `… (RATE_LIMITED)`. */
const NOTICE_CODE = /\(([A-Z][A-Z_]+)\)$/;

/** One line from the server, without its CRLF. */
export function readIrcLine(line: string): IrcLineEvent {
  const parsed = parseIrcLine(line);
  if (!parsed.ok) return { kind: 'other' };
  const { command, params, source } = parsed.message;
  if (command === '001') return { kind: 'welcome' };
  if (command === '366') return { kind: 'names-end', channel: params[1] ?? '' };
  if (command === 'PING') return { kind: 'ping', token: params[0] ?? '' };
  if (command === 'ERROR') return { kind: 'refused', code: 'irc:ERROR' };
  if (/^[45]\d\d$/.test(command) && command !== NO_MOTD) return { kind: 'refused', code: `irc:${command}` };
  const fromUser = source !== undefined && source.includes('!');
  if (command === 'PRIVMSG' && fromUser) {
    const text = params[1] ?? '';
    return { kind: 'message', text, history: REPLAYED.test(text) };
  }
  if (command === 'NOTICE' && !fromUser) {
    const code = NOTICE_CODE.exec(params[1] ?? '')?.[1];
    if (code !== undefined) return { kind: 'refused', code };
  }
  return { kind: 'other' };
}

/** Channel names compare without case (the server folds them; the bench's are ASCII). */
export function sameChannel(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
