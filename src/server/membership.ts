import type { LostUser } from './directory/directory.js';
import type { ServerContext } from './context.js';
import type { Room } from './presence.js';
import type { Session, User } from './session.js';
import type { RoomMessage } from './storage/store.js';

// Entering and leaving rooms, with the notices the contract requires: the
// newcomer gets the room's recent history and everyone in the room, the
// newcomer included, a notice naming them (the session's dialect orders
// the two: the line protocol's history comes first, IRC's after its JOIN).
// A line-protocol session is in one room and moves; an IRC session adds
// and removes channels.

type Arrival = { name: string; history: RoomMessage[] };

/**
 * A room's spelling and recent history, read before anyone is moved: at
 * once when both are at hand (then nothing can happen between the snapshot
 * and the move), else a promise.
 */
function arrival(ctx: ServerContext, key: string, proposed: string): Arrival | Promise<Arrival> {
  const name = ctx.directory.roomName(key, proposed);
  const history = ctx.history.snapshot(key, ctx.options.historyReplay);
  if (typeof name === 'string' && history !== undefined) return { name, history };
  return loadArrival(ctx, key, name);
}

async function loadArrival(ctx: ServerContext, key: string, spelling: string | Promise<string>): Promise<Arrival> {
  const name = await spelling;
  const count = ctx.options.historyReplay;
  let history = ctx.history.snapshot(key, count);
  if (history === undefined) {
    const fromCache = await ctx.history.load(key);
    history = fromCache ? ctx.history.snapshot(key, count) : undefined;
    history ??= await ctx.history.recent(key, count);
  }
  return { name, history };
}

/**
 * Moves a logged-in session (or one whose name is just claimed) into a room,
 * out of its current one, with the history replay. With cached history the
 * snapshot and the move happen in one synchronous step, so no message can
 * fall between the replay and the live traffic. Returns false if the
 * session ended meanwhile.
 */
export function moveToRoom(ctx: ServerContext, session: Session, key: string, proposed: string): boolean | Promise<boolean> {
  const ready = arrival(ctx, key, proposed);
  if (ready instanceof Promise) return ready.then((a) => moveNow(ctx, session, key, a));
  return moveNow(ctx, session, key, ready);
}

function moveNow(ctx: ServerContext, session: Session, key: string, { name, history }: Arrival): boolean {
  const state = session.state;
  if (state.kind === 'active' && state.room !== undefined) leaveRoom(ctx, session, state, state.room);
  else if (state.kind !== 'joining' && state.kind !== 'active') return false;
  enterRoom(ctx, session, state, key, name, history);
  return true;
}

/** Adds a room to an IRC session's channels; undefined if the session ended meanwhile or is in it already. */
export async function joinChannel(ctx: ServerContext, session: Session, key: string, proposed: string): Promise<Entered | undefined> {
  const ready = arrival(ctx, key, proposed);
  const { name, history } = ready instanceof Promise ? await ready : ready;
  const state = session.state;
  if (state.kind !== 'active') return undefined;
  const present = ctx.presence.room(key);
  if (present?.members.has(session)) return undefined;
  return { room: enterRoom(ctx, session, state, key, name, history), history };
}

/** A room entered, with the history it had then (IRC replays it after its JOIN, topic and names). */
export interface Entered {
  room: Room<Session>;
  history: readonly RoomMessage[];
}

function enterRoom(ctx: ServerContext, session: Session, user: User, key: string, name: string, history: RoomMessage[]): Room<Session> {
  const room = ctx.presence.enter(session, key, ctx.presence.room(key)?.name ?? name);
  if (session.protocol === 'irc') (session.channels ??= new Set()).add(room);
  else session.moveTo(room);
  if (room.members.size === 1) ctx.relay.watchRoom(key);
  ctx.directory.entered(user, room);
  const audience = ctx.presence.audienceOf(room, session)!;
  session.dialect.entering(session, room, history, () => {
    ctx.relay.joined(audience, session);
    ctx.relay.toRoom(room, { kind: 'joined', name: user.name, room: room.name });
  });
  return room;
}

/**
 * Takes the session out of a room and tells those left; `why` is shown in
 * parentheses, and `quit` says the session itself is ending.
 */
export function leaveRoom(ctx: ServerContext, session: Session, user: User, room: Room<Session>, why?: string, quit = false): void {
  const audience = ctx.presence.audienceOf(room, session);
  const left = ctx.presence.leave(session, room);
  if (left === undefined) return;
  if (audience !== undefined) ctx.relay.left(audience, session);
  session.channels?.delete(room);
  ctx.directory.left(user, room);
  if (left === 'emptied') {
    ctx.history.forget(room.key);
    ctx.relay.unwatchRoom(room.key);
  }
  ctx.relay.toRoom(room, { kind: 'left', name: user.name, room: room.name, ...(why === undefined ? {} : { why }), ...(quit ? { quit } : {}) });
}

/** Users of a node that died: their rooms, on every node, are told they left. */
export function announceLost(ctx: ServerContext, lost: readonly LostUser[]): void {
  for (const user of lost) {
    ctx.relay.toRoomKey(user.roomKey, { kind: 'left', name: user.name, room: user.roomName, why: 'connection lost', quit: true });
  }
}
