import { login } from './login.js';
import { privateMessage, text } from './messages.js';
import { history, help, logout, ping, stats } from './info.js';
import { join, rooms, users } from './rooms.js';
import { ban, kick, modlog, mute, unban, unmute } from './moderation.js';
import { password } from './password.js';
import { topic } from './topics.js';
import type { ClientFrame } from '../../protocol/index.js';
import type { FrameOf, OpenFrameType, OpenHandlerTable, UserHandlerTable } from './types.js';

/** Frames a connection may send before it has logged in (and after). */
export const OPEN_HANDLERS: OpenHandlerTable = {
  LOGIN: login,
  PING: ping,
  HELP: help,
  LOGOUT: logout,
};

/** Frames of a logged-in session. */
export const USER_HANDLERS: UserHandlerTable = {
  TEXT: text,
  PRIVATE: privateMessage,
  USERS: users,
  JOIN: join,
  ROOMS: rooms,
  HISTORY: history,
  STATS: stats,
  PASSWORD: password,
  KICK: kick,
  BAN: ban,
  UNBAN: unban,
  MUTE: mute,
  UNMUTE: unmute,
  MODLOG: modlog,
  TOPIC: topic,
};

export function isOpenFrame(frame: ClientFrame): frame is FrameOf<OpenFrameType> {
  return Object.hasOwn(OPEN_HANDLERS, frame.type);
}
