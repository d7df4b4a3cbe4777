import type { ClientFrame, ErrorCode, ServerFrame } from './frames.js';
import { stripUnsafe } from './text.js';

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

/** Splits a line into its upper-cased type and its payload (undefined when absent). */
export function splitType(line: string): { type: string; payload: string | undefined } {
  const bar = line.indexOf('|');
  if (bar === -1) return { type: line.toUpperCase(), payload: undefined };
  return { type: line.slice(0, bar).toUpperCase(), payload: line.slice(bar + 1) };
}

const HISTORY_COUNT = /^[0-9]{1,9}$/;

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
    return ok({ type: 'HISTORY', count: Number(payload) });
  },
  PING: (payload) => ok({ type: 'PING', token: payload ?? '' }),
  LOGOUT: noPayload({ type: 'LOGOUT' }),
  // Seed alias: `2|name` leaves; the payload is ignored.
  '2': noPayload({ type: 'LOGOUT' }),
  STATS: noPayload({ type: 'STATS' }),
  HELP: noPayload({ type: 'HELP' }),
};

/** Parses one line from a client. */
export function parseClientFrame(line: string): ParseResult<ClientFrame> {
  const { type, payload } = splitType(line);
  const parser = CLIENT_PARSERS[type];
  if (parser === undefined || !Object.hasOwn(CLIENT_PARSERS, type)) {
    return fail('UNKNOWN_TYPE', `unknown frame type '${stripUnsafe(type.slice(0, 32))}'; send HELP for the list`);
  }
  return parser(payload);
}

type ServerParser = (payload: string) => ServerFrame | undefined;

const SERVER_PARSERS: Record<string, ServerParser> = {
  SUCCESS: (p) => ({ type: 'SUCCESS', text: p }),
  ERROR: (p) => {
    const [code, text] = splitFields(p, 2);
    return { type: 'ERROR', code: code!, text: text ?? '' };
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
