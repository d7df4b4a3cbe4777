import { ChatError, checkName, encodeRooms, encodeSystem, encodeUsers } from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import { moveToRoom } from '../membership.js';
import type { InRoomState, Session } from '../session.js';
import { requireUnmuted } from '../moderation.js';
import { requireDirectory } from './availability.js';
import { sendCharged, whenReady, type FrameOf } from './types.js';

export async function join(ctx: ServerContext, session: Session, frame: FrameOf<'JOIN'>, me: InRoomState): Promise<void> {
  const check = checkName(frame.room, 'room name');
  if (!check.ok) throw new ChatError('BAD_NAME', check.reason);
  requireDirectory(ctx);
  requireUnmuted(ctx, session);
  if (me.room.key === check.key) {
    session.send(encodeSystem(`you are already in ${me.room.name}`));
    return;
  }
  // A room change sends a notice to everyone in two rooms: it costs what a message does.
  if (!session.messageBucket.take()) throw new ChatError('RATE_LIMITED', 'slow down: too many room changes');
  await moveToRoom(ctx, session, check.key, check.name);
}

export function users(ctx: ServerContext, session: Session, _frame: FrameOf<'USERS'>, me: InRoomState): void | Promise<void> {
  requireDirectory(ctx);
  return whenReady(ctx.directory.namesIn(me.room), (names) => sendCharged(session, encodeUsers(names)));
}

export function rooms(ctx: ServerContext, session: Session): void | Promise<void> {
  requireDirectory(ctx);
  return whenReady(ctx.directory.rooms(), (list) => sendCharged(session, encodeRooms(list)));
}
