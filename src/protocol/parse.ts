import type { ClientFrame, ErrorCode, ServerFrame } from './frames.js';
import { escapeUnsafe } from './text.js';

// Line → typed frame. A frame is `TYPE` or `TYPE|payload`; the payload is
// split on '|' into as many fields as the type has, the last field taking
// the rest of the line. Types are case-insensitive on input.

export type ParseResult<F> = { ok: true; frame: F } | { ok: false; code: ErrorCode; message: string };

function fail<F>(code: ErrorCode, message: string): ParseResult<F> {
  return { ok: false, code, message };
}

/** Splits `payload` into at most `count` fields; the last takes the rest. */
export function splitFields(payload: string, count: number): string[] {
  const fields: string[] = [];
  let start = 0;
  while (fields.length < count - 1) {
    const bar = payload.indexOf('|', start);
    if (bar === -1) break;
    fields.push(payload.slice(start, bar));
    start = bar + 1;
  }
  fields.push(payload.slice(start));
  return fields;
}

/** Spaces and tabs around a hand-typed type; other whitespace (\f, \v) is not trimmed, so it shows in errors. */
const TYPE_PADDING = /^[ \t]+|[ \t]+$/g;

/** Splits a line into its type as sent (spaces and tabs around it dropped) and its payload (undefined when absent). */
export function splitType(line: string): { sent: string; type: string; payload: string | undefined } {
  const bar = line.indexOf('|');
  let sent = bar === -1 ? line : line.slice(0, bar);
  if (sent.length > 0 && (sent.charCodeAt(0) <= 0x20 || sent.charCodeAt(sent.length - 1) <= 0x20)) {
    sent = sent.replace(TYPE_PADDING, '');
  }
  return { sent, type: sent.toUpperCase(), payload: bar === -1 ? undefined : line.slice(bar + 1) };
}

/** Longest part of an unknown type echoed back in the error, in characters. */
const ECHO_MAX = 40;

function unknownType(sent: string, hasPayload: boolean): ParseResult<ClientFrame> {
  if (sent === '') return fail('UNKNOWN_TYPE', 'no frame type: frames look like TYPE|payload (HELP lists every frame)');
  const chars = [...sent];
  const cut = chars.length > ECHO_MAX;
  const shown = escapeUnsafe(cut ? `${chars.slice(0, ECHO_MAX).join('')}…` : sent);
  if (hasPayload) return fail('UNKNOWN_TYPE', `unknown frame type '${shown}'; send HELP for the list`);
  // A line without '|' is most often a message typed as it would be said.
  const example = cut || shown !== sent ? 'your message' : sent;
  return fail('UNKNOWN_TYPE', `unknown frame type '${shown}'; to say it in the room send TEXT|${example} (HELP lists every frame)`);
}

const HISTORY_COUNT = /^[0-9]+$/;

/** The longest sanction in minutes: ten years (0 means until lifted). */
export const MAX_SANCTION_MINUTES = 10 * 366 * 24 * 60;

type ClientParser = (payload: string | undefined) => ParseResult<ClientFrame>;

const ok = (frame: ClientFrame): ParseResult<ClientFrame> => ({ ok: true, frame });

function parseLogin(payload: string | undefined): ParseResult<ClientFrame> {
  if (payload === undefined || payload === '') return fail('BAD_FRAME', 'usage: LOGIN|name or LOGIN|name|password');
  const [name, password] = splitFields(payload, 2) as [string, string | undefined];
  if (password === undefined) return ok({ type: 'LOGIN', name });
  if (password === '') return fail('BAD_PASSWORD', 'the password must not be empty');
  return ok({ type: 'LOGIN', name, password });
}

function parseText(payload: string | undefined, seed: boolean): ParseResult<ClientFrame> {
  if (payload === undefined || payload === '') return fail('BAD_FRAME', 'usage: TEXT|message');
  return ok({ type: 'TEXT', message: payload, seed });
}

/** `name` or `name|rest`, the name not empty. */
function nameAnd(payload: string | undefined, fields: number): string[] | undefined {
  if (payload === undefined) return undefined;
  const parts = splitFields(payload, fields);
  return parts[0] === '' ? undefined : parts;
}

function parseMinutes(text: string | undefined): number | undefined {
  if (text === undefined || !HISTORY_COUNT.test(text)) return undefined;
  const n = Number(text);
  return n <= MAX_SANCTION_MINUTES ? n : undefined;
}

/** BAN|name|minutes|reason and MUTE|name|minutes|reason (the reason may be left out). */
function parseSanction(type: 'BAN' | 'MUTE'): ClientParser {
  const usage = `usage: ${type}|name|minutes|reason (minutes 0 = until lifted, at most ${MAX_SANCTION_MINUTES})`;
  return (payload) => {
    const parts = nameAnd(payload, 3);
    const minutes = parseMinutes(parts?.[1]);
    if (parts === undefined || minutes === undefined) return fail('BAD_FRAME', usage);
    return ok({ type, name: parts[0]!, minutes, reason: parts[2] ?? '' });
  };
}

function parseNameOnly(type: 'UNBAN' | 'UNMUTE'): ClientParser {
  return (payload) => (payload === undefined || payload === '' ? fail('BAD_FRAME', `usage: ${type}|name`) : ok({ type, name: payload }));
}

function noPayload(frame: ClientFrame): ClientParser {
  return () => ok(frame);
}

const CLIENT_PARSERS: Record<string, ClientParser> = {
  LOGIN: parseLogin,
  // Seed alias: `1|name` joins as a guest; the whole payload is the name.
  '1': (payload) =>
    payload === undefined || payload === '' ? fail('BAD_FRAME', 'usage: 1|name') : ok({ type: 'LOGIN', name: payload }),
  TEXT: (payload) => parseText(payload, false),
  '3': (payload) => parseText(payload, true),
  PRIVATE: (payload) => {
    if (payload === undefined) return fail('BAD_FRAME', 'usage: PRIVATE|to|message');
    const [to, message] = splitFields(payload, 2) as [string, string | undefined];
    if (to === '' || message === undefined || message === '') return fail('BAD_FRAME', 'usage: PRIVATE|to|message');
    return ok({ type: 'PRIVATE', to, message });
  },
  USERS: noPayload({ type: 'USERS' }),
  JOIN: (payload) =>
    payload === undefined || payload === '' ? fail('BAD_FRAME', 'usage: JOIN|room') : ok({ type: 'JOIN', room: payload }),
  ROOMS: noPayload({ type: 'ROOMS' }),
  HISTORY: (payload) => {
    if (payload === undefined || payload === '') return ok({ type: 'HISTORY' });
    if (!HISTORY_COUNT.test(payload) || Number(payload) < 1) {
      return fail('BAD_FRAME', 'usage: HISTORY or HISTORY|n with n a positive whole number');
    }
    // Larger than anyone keeps: the server cuts it to its cap.
    return ok({ type: 'HISTORY', count: Math.min(Number(payload), Number.MAX_SAFE_INTEGER) });
  },
  PING: (payload) => ok({ type: 'PING', token: payload ?? '' }),
  LOGOUT: noPayload({ type: 'LOGOUT' }),
  // Seed alias: `2|name` leaves; the payload is ignored.
  '2': noPayload({ type: 'LOGOUT' }),
  STATS: noPayload({ type: 'STATS' }),
  HELP: noPayload({ type: 'HELP' }),
  PASSWORD: (payload) => {
    const usage = 'usage: PASSWORD|old password|new password';
    if (payload === undefined) return fail('BAD_FRAME', usage);
    const [old, password] = splitFields(payload, 2) as [string, string | undefined];
    if (old === '' || password === undefined) return fail('BAD_FRAME', usage);
    if (password === '') return fail('BAD_PASSWORD', 'the new password must not be empty');
    return ok({ type: 'PASSWORD', old, password });
  },
  KICK: (payload) => {
    const parts = nameAnd(payload, 2);
    if (parts === undefined) return fail('BAD_FRAME', 'usage: KICK|name|reason (the reason may be left out)');
    return ok({ type: 'KICK', name: parts[0]!, reason: parts[1] ?? '' });
  },
  BAN: parseSanction('BAN'),
  UNBAN: parseNameOnly('UNBAN'),
  MUTE: parseSanction('MUTE'),
  UNMUTE: parseNameOnly('UNMUTE'),
  // `TOPIC` asks, `TOPIC|text` sets, `TOPIC|` (nothing after the bar) clears.
  TOPIC: (payload) => ok(payload === undefined ? { type: 'TOPIC' } : { type: 'TOPIC', topic: payload }),
  MODLOG: (payload) => {
    if (payload === undefined || payload === '') return ok({ type: 'MODLOG' });
    if (!HISTORY_COUNT.test(payload) || Number(payload) < 1) return fail('BAD_FRAME', 'usage: MODLOG or MODLOG|n with n a positive whole number');
    return ok({ type: 'MODLOG', count: Math.min(Number(payload), Number.MAX_SAFE_INTEGER) });
  },
};

/** Every frame type a client may send, seed aliases included (for HELP and its test). */
export const CLIENT_FRAME_TYPES: readonly string[] = Object.keys(CLIENT_PARSERS);

/** Parses one line from a client. */
export function parseClientFrame(line: string): ParseResult<ClientFrame> {
  const { sent, type, payload } = splitType(line);
  if (!Object.hasOwn(CLIENT_PARSERS, type)) return unknownType(sent, payload !== undefined);
  return CLIENT_PARSERS[type]!(payload);
}

type ServerParser = (payload: string) => ServerFrame | undefined;

const SERVER_PARSERS: Record<string, ServerParser> = {
  SUCCESS: (p) => ({ type: 'SUCCESS', text: p }),
  ERROR: (p) => {
    const [code, text] = splitFields(p, 2);
    return { type: 'ERROR', code: code!, text: text ?? '' };
  },
  TOPIC: (p) => {
    const [room, topic] = splitFields(p, 2);
    return topic === undefined ? undefined : { type: 'TOPIC', room: room!, topic };
  },
  SYSTEM: (p) => ({ type: 'SYSTEM', text: p }),
  TEXT: (p) => {
    const [from, message] = splitFields(p, 2);
    return message === undefined ? undefined : { type: 'TEXT', from: from!, message };
  },
  PRIVATE: (p) => {
    const [from, message] = splitFields(p, 2);
    return message === undefined ? undefined : { type: 'PRIVATE', from: from!, message };
  },
  SENT: (p) => {
    const [to, message] = splitFields(p, 2);
    return message === undefined ? undefined : { type: 'SENT', to: to!, message };
  },
  HISTORY: (p) => {
    const [time, from, message] = splitFields(p, 3);
    return message === undefined ? undefined : { type: 'HISTORY', time: time!, from: from!, message };
  },
  USERS: (p) => {
    const [count, list] = splitFields(p, 2);
    const names = list ? list.split(',').filter((n) => n !== '') : [];
    const n = Number(count);
    return Number.isInteger(n) ? { type: 'USERS', count: n, names } : undefined;
  },
  ROOMS: (p) => {
    const rooms: Array<{ room: string; count: number }> = [];
    for (const entry of p.split(',')) {
      if (entry === '') continue;
      const colon = entry.lastIndexOf(':');
      if (colon === -1) return undefined;
      rooms.push({ room: entry.slice(0, colon), count: Number(entry.slice(colon + 1)) || 0 });
    }
    return { type: 'ROOMS', rooms };
  },
  PONG: (p) => ({ type: 'PONG', token: p }),
  STATS: (p) => {
    const stats: Record<string, string> = {};
    for (const field of p.split('|')) {
      const eq = field.indexOf('=');
      if (eq > 0) stats[field.slice(0, eq)] = field.slice(eq + 1);
    }
    return { type: 'STATS', stats };
  },
};

/** Parses one line from a server; undefined for a line that is not a known frame. */
export function parseServerFrame(line: string): ServerFrame | undefined {
  const { type, payload } = splitType(line);
  if (!Object.hasOwn(SERVER_PARSERS, type)) return undefined;
  return SERVER_PARSERS[type]!(payload ?? '');
}
