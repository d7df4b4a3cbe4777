import type { ErrorCode } from './frames.js';
import { stripUnsafe } from './text.js';

// One encode function per frame. Each returns the whole line, LF included.
// Fields other than the last must not hold '|' or LF: names and rooms are
// validated, error codes are constants. Free text goes in the last field.
// Messages are cleaned once where they enter; text that may echo what a
// client sent (PONG tokens, notices, errors) is cleaned here, so no line the
// server writes carries a control character.

export const encodeSuccess = (text: string): string => `SUCCESS|${stripUnsafe(text)}\n`;
export const encodeError = (code: ErrorCode, text: string): string => `ERROR|${code}|${stripUnsafe(text)}\n`;
export const encodeSystem = (text: string): string => `SYSTEM|${stripUnsafe(text)}\n`;
export const encodeText = (from: string, message: string): string => `TEXT|${from}|${message}\n`;
export const encodePrivate = (from: string, message: string): string => `PRIVATE|${from}|${message}\n`;
export const encodeSent = (to: string, message: string): string => `SENT|${to}|${message}\n`;
export const encodeHistory = (time: Date | number, from: string, message: string): string =>
  `HISTORY|${new Date(time).toISOString()}|${from}|${message}\n`;
export const encodeUsers = (names: readonly string[]): string => `USERS|${names.length}|${names.join(',')}\n`;
export const encodeRooms = (rooms: ReadonlyArray<{ room: string; count: number }>): string =>
  `ROOMS|${rooms.map((r) => `${r.room}:${r.count}`).join(',')}\n`;
export const encodePong = (token: string): string => `PONG|${stripUnsafe(token)}\n`;
/** The answer to TOPIC (added): the room and its topic, '' when it has none. */
export const encodeTopic = (room: string, topic: string): string => `TOPIC|${room}|${topic}\n`;
export const encodeStats = (stats: ReadonlyArray<readonly [string, string | number]>): string =>
  `STATS|${stats.map(([k, v]) => `${k}=${v}`).join('|')}\n`;

// Client → server frames, used by the terminal client and the tests.
/** A question (topic undefined), a new topic, or '' to clear it. */
export const encodeTopicRequest = (topic?: string): string => (topic === undefined ? 'TOPIC\n' : `TOPIC|${topic}\n`);
export const encodeLogin = (name: string, password?: string): string =>
  password === undefined ? `LOGIN|${name}\n` : `LOGIN|${name}|${password}\n`;
export const encodeSay = (message: string): string => `TEXT|${message}\n`;
export const encodeWhisper = (to: string, message: string): string => `PRIVATE|${to}|${message}\n`;
export const encodeJoin = (room: string): string => `JOIN|${room}\n`;
export const encodeHistoryRequest = (count?: number): string =>
  count === undefined ? 'HISTORY\n' : `HISTORY|${count}\n`;
export const encodePing = (token?: string): string => (token === undefined ? 'PING\n' : `PING|${token}\n`);
export const encodeBare = (type: 'USERS' | 'ROOMS' | 'LOGOUT' | 'STATS' | 'HELP'): string => `${type}\n`;
export const encodePasswordChange = (old: string, password: string): string => `PASSWORD|${old}|${password}\n`;
export const encodeKick = (name: string, reason = ''): string => (reason === '' ? `KICK|${name}\n` : `KICK|${name}|${reason}\n`);
export const encodeBan = (name: string, minutes: number, reason = ''): string => `BAN|${name}|${minutes}${reason === '' ? '' : `|${reason}`}\n`;
export const encodeMute = (name: string, minutes: number, reason = ''): string => `MUTE|${name}|${minutes}${reason === '' ? '' : `|${reason}`}\n`;
export const encodeUnban = (name: string): string => `UNBAN|${name}\n`;
export const encodeUnmute = (name: string): string => `UNMUTE|${name}\n`;
export const encodeModlog = (count?: number): string => (count === undefined ? 'MODLOG\n' : `MODLOG|${count}\n`);
