import { encodeHistory, encodeSystem, joinedNotice, leftNotice } from '../protocol/index.js';
import type { LostUser } from './directory/directory.js';
import type { ServerContext } from './context.js';
import type { Room } from './presence.js';
import type { Session, User } from './session.js';
import type { RoomMessage } from './storage/store.js';

// Entering and leaving rooms, with the notices the contract requires:
// the newcomer gets the room's recent history, then everyone in the room,
// the newcomer included, gets a SYSTEM line naming them.

/**
 * Moves a logged-in session (or one whose name is just claimed) into a room,
 * out of its current one, with the history replay. With cached history the
 * snapshot and the move happen in one synchronous step, so no message can
 * fall between the replay and the live traffic. Returns false if the
 * session ended meanwhile.
 */
export async function moveToRoom(ctx: ServerContext, session: Session, key: string, proposed: string): Promise<boolean> {
  let name = ctx.directory.roomName(key, proposed);
  if (name instanceof Promise) name = await name;
  const count = ctx.options.historyReplay;
  let history = ctx.history.snapshot(key, count);
  if (history === undefined) {
    const fromCache = await ctx.history.load(key);
    history = fromCache ? ctx.history.snapshot(key, count) : undefined;
    history ??= await ctx.history.recent(key, count);
  }
  const state = session.state;
  if (state.kind === 'active') leaveRoom(ctx, session, state, state.room);
  else if (state.kind !== 'joining') return false;
  enterRoom(ctx, session, state, key, name, history);
  return true;
}

function enterRoom(ctx: ServerContext, session: Session, user: User, key: string, name: string, history: RoomMessage[]): void {
  const room = ctx.presence.enter(session, key, ctx.presence.room(key)?.name ?? name);
  session.moveTo(room);
  if (room.members.size === 1) ctx.relay.watchRoom(key);
  ctx.directory.entered(user, room);
  for (const m of history) session.send(encodeHistory(m.time, m.from, m.message));
  // After the history: the room's lines reach the newcomer from its join notice on.
  ctx.relay.joined(room, session);
  ctx.relay.toRoom(room, encodeSystem(joinedNotice(user.name, room.name)));
}

/** Takes the session out of its room and tells those left; `why` is shown in parentheses. */
export function leaveRoom(ctx: ServerContext, session: Session, user: User, room: Room<Session>, why?: string): void {
  const left = ctx.presence.leave(session, room);
  if (left === undefined) return;
  ctx.relay.left(room, session);
  ctx.directory.left(user, room);
  if (left === 'emptied') {
    ctx.history.forget(room.key);
    ctx.relay.unwatchRoom(room.key);
  }
  ctx.relay.toRoom(room, encodeSystem(leftNotice(user.name, room.name, why)));
}

/** Users of a node that died: their rooms, on every node, are told they left. */
export function announceLost(ctx: ServerContext, lost: readonly LostUser[]): void {
  for (const user of lost) ctx.relay.toRoomKey(user.roomKey, encodeSystem(leftNotice(user.name, user.roomName, 'connection lost')));
}
