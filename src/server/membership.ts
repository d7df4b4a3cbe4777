import { encodeHistory, encodeSystem } from '../protocol/index.js';
import type { ServerContext } from './context.js';
import type { Session } from './session.js';
import type { RoomMessage } from './storage/store.js';

// Entering and leaving rooms, with the notices the contract requires:
// the newcomer gets the room's recent history, then everyone in the room,
// the newcomer included, gets a SYSTEM line naming them.

export function enterRoom(ctx: ServerContext, session: Session, key: string, name: string, history: RoomMessage[]): void {
  const room = ctx.presence.enter(session, key, ctx.presence.room(key)?.name ?? name);
  if (room.members.size === 1) ctx.relay.watchRoom(key);
  ctx.directory.entered(session, room);
  for (const m of history) session.send(encodeHistory(m.time, m.from, m.message));
  ctx.relay.toRoom(room, encodeSystem(`${session.name} joined ${room.name}`));
}

/** Takes the session out of its room and tells those left; `why` is shown in parentheses. */
export function leaveRoom(ctx: ServerContext, session: Session, why?: string): void {
  const left = ctx.presence.leave(session);
  if (left === undefined) return;
  ctx.directory.left(session, left.room);
  if (left.emptied) {
    ctx.history.forget(left.room.key);
    ctx.relay.unwatchRoom(left.room.key);
  }
  const suffix = why === undefined ? '' : ` (${why})`;
  ctx.relay.toRoom(left.room, encodeSystem(`${session.name} left ${left.room.name}${suffix}`));
}
