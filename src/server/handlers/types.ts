import type { ClientFrame } from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import type { InRoomState, Session } from '../session.js';

export type FrameType = ClientFrame['type'];
export type FrameOf<T extends FrameType> = Extract<ClientFrame, { type: T }>;

/** Frames a connection may send before it has logged in. */
export type OpenFrameType = 'LOGIN' | 'PING' | 'HELP' | 'LOGOUT';
export type UserFrameType = Exclude<FrameType, OpenFrameType>;

/** A handler may finish at once or return a promise; a session's frames run one at a time. */
export type OpenHandler<T extends OpenFrameType> = (ctx: ServerContext, session: Session, frame: FrameOf<T>) => void | Promise<void>;

/** A handler of a logged-in frame gets the session's identity and room with it. */
export type UserHandler<T extends UserFrameType> = (ctx: ServerContext, session: Session, frame: FrameOf<T>, me: InRoomState) => void | Promise<void>;

/** One handler per frame type: a missing one is a compile error. */
export type OpenHandlerTable = { [T in OpenFrameType]: OpenHandler<T> };
export type UserHandlerTable = { [T in UserFrameType]: UserHandler<T> };

/**
 * Runs `next` on a value that may still be on its way. The local directory
 * answers at once, and then the handler finishes in the same turn without
 * becoming asynchronous; the Redis one answers with a promise.
 */
export function whenReady<T>(value: T | Promise<T>, next: (value: T) => void | Promise<void>): void | Promise<void> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** Answer bytes that cost one more frame of the sender's budget. */
export const CHARGE_BYTES = 1024;

/**
 * Sends a large answer (a long USERS, ROOMS or HISTORY) and charges its
 * size to the sender's frame budget, so asking for it again and again
 * costs the asker, not everyone else.
 */
export function sendCharged(session: Session, ...lines: string[]): void {
  let bytes = 0;
  for (const line of lines) {
    session.send(line);
    bytes += line.length;
  }
  session.frameBucket.charge(Math.floor(bytes / CHARGE_BYTES));
}
