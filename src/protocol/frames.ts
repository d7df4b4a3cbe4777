// Frame types and error codes of the wire protocol (docs/PROTOCOL.md).
// `as const` objects with derived unions rather than enums, so the values
// are the literal wire strings. (The client's frame types are the keys of
// the parser table: CLIENT_FRAME_TYPES in parse.ts.)

/** The room every login starts in. */
export const LOBBY = 'lobby';

export const SERVER_TYPES = {
  SUCCESS: 'SUCCESS',
  ERROR: 'ERROR',
  SYSTEM: 'SYSTEM',
  TEXT: 'TEXT',
  PRIVATE: 'PRIVATE',
  SENT: 'SENT',
  HISTORY: 'HISTORY',
  USERS: 'USERS',
  ROOMS: 'ROOMS',
  PONG: 'PONG',
  STATS: 'STATS',
  TOPIC: 'TOPIC',
} as const;
export type ServerType = (typeof SERVER_TYPES)[keyof typeof SERVER_TYPES];

export const ERROR_CODES = {
  NOT_LOGGED_IN: 'NOT_LOGGED_IN',
  ALREADY_LOGGED_IN: 'ALREADY_LOGGED_IN',
  NAME_TAKEN: 'NAME_TAKEN',
  BAD_NAME: 'BAD_NAME',
  BAD_PASSWORD: 'BAD_PASSWORD',
  PASSWORD_REQUIRED: 'PASSWORD_REQUIRED',
  NO_SUCH_USER: 'NO_SUCH_USER',
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  BAD_FRAME: 'BAD_FRAME',
  LINE_TOO_LONG: 'LINE_TOO_LONG',
  MESSAGE_TOO_LONG: 'MESSAGE_TOO_LONG',
  BAD_ENCODING: 'BAD_ENCODING',
  RATE_LIMITED: 'RATE_LIMITED',
  SERVER_FULL: 'SERVER_FULL',
  // Added by this project (docs/PROTOCOL.md).
  TIMEOUT: 'TIMEOUT',
  UNAVAILABLE: 'UNAVAILABLE',
  MAILBOX_FULL: 'MAILBOX_FULL',
  TLS_REQUIRED: 'TLS_REQUIRED',
  NOT_ALLOWED: 'NOT_ALLOWED',
  BANNED: 'BANNED',
  MUTED: 'MUTED',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** A parsed client frame: one case per frame type, seed aliases folded in. */
export type ClientFrame =
  | { type: 'LOGIN'; name: string; password?: string }
  /** `seed` marks the `3|…` alias, whose message may start with `ownname:`. */
  | { type: 'TEXT'; message: string; seed: boolean }
  | { type: 'PRIVATE'; to: string; message: string }
  | { type: 'USERS' }
  | { type: 'JOIN'; room: string }
  | { type: 'ROOMS' }
  | { type: 'HISTORY'; count?: number }
  | { type: 'PING'; token: string }
  | { type: 'LOGOUT' }
  | { type: 'STATS' }
  | { type: 'HELP' }
  // Added by this project (docs/PROTOCOL.md): one's own password, and moderation by operators.
  | { type: 'PASSWORD'; old: string; password: string }
  | { type: 'KICK'; name: string; reason: string }
  /** `minutes` 0: until lifted. */
  | { type: 'BAN'; name: string; minutes: number; reason: string }
  | { type: 'UNBAN'; name: string }
  | { type: 'MUTE'; name: string; minutes: number; reason: string }
  | { type: 'UNMUTE'; name: string }
  | { type: 'MODLOG'; count?: number }
  /** `topic` undefined: a question; '' clears the topic. */
  | { type: 'TOPIC'; topic?: string };

/** A parsed server frame, as the client sees it. */
export type ServerFrame =
  | { type: 'SUCCESS'; text: string }
  | { type: 'ERROR'; code: string; text: string }
  | { type: 'SYSTEM'; text: string }
  | { type: 'TEXT'; from: string; message: string }
  | { type: 'PRIVATE'; from: string; message: string }
  | { type: 'SENT'; to: string; message: string }
  | { type: 'HISTORY'; time: string; from: string; message: string }
  | { type: 'USERS'; count: number; names: string[] }
  | { type: 'ROOMS'; rooms: Array<{ room: string; count: number }> }
  | { type: 'PONG'; token: string }
  | { type: 'STATS'; stats: Record<string, string> }
  | { type: 'TOPIC'; room: string; topic: string };
