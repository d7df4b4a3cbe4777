import { login } from './login.js';
import { privateMessage, text } from './messages.js';
import { history, help, logout, ping, stats } from './info.js';
import { join, rooms, users } from './rooms.js';
import type { FrameType, HandlerTable } from './types.js';

export const HANDLERS: HandlerTable = {
  LOGIN: login,
  TEXT: text,
  PRIVATE: privateMessage,
  USERS: users,
  JOIN: join,
  ROOMS: rooms,
  HISTORY: history,
  PING: ping,
  LOGOUT: logout,
  STATS: stats,
  HELP: help,
};

/** Frames a connection may send before it has logged in. */
export const BEFORE_LOGIN: ReadonlySet<FrameType> = new Set<FrameType>(['LOGIN', 'PING', 'HELP', 'LOGOUT']);

export type { FrameType, HandlerTable } from './types.js';
