import { encodeHistory, encodePong, encodeStats, encodeSystem } from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import type { InRoomState, Session } from '../session.js';
import { requireDirectory } from './availability.js';
import { sendCharged, whenReady, type FrameOf } from './types.js';

/** HISTORY lines sent before waiting for the socket to take them. */
const HISTORY_STEP = 50;

/** HISTORY without a count. */
export const DEFAULT_HISTORY_COUNT = 20;

export async function history(ctx: ServerContext, session: Session, frame: FrameOf<'HISTORY'>, { room }: InRoomState): Promise<void> {
  requireDirectory(ctx);
  const count = Math.min(frame.count ?? DEFAULT_HISTORY_COUNT, ctx.options.historyMax);
  const messages = await ctx.history.recent(room.key, count);
  // An answer is never silence: an empty room says so.
  if (messages.length === 0) session.send(encodeSystem(`no messages in ${room.name} yet`));
  // Produced as the client reads it, a step at a time: an answer it asked for is never a slow consumer's backlog.
  for (let at = 0; at < messages.length && session.open; at += HISTORY_STEP) {
    if (at > 0) await session.outbox.drained();
    sendCharged(session, ...messages.slice(at, at + HISTORY_STEP).map((m) => encodeHistory(m.time, m.from, m.message)));
  }
}

export function ping(_ctx: ServerContext, session: Session, frame: FrameOf<'PING'>): void {
  session.send(encodePong(frame.token));
}

export function stats(ctx: ServerContext, session: Session): void | Promise<void> {
  return whenReady(ctx.directory.available ? ctx.directory.stats() : [], (cluster) =>
    session.send(
    encodeStats([
      ['connections', ctx.sessions.size],
      ['users', ctx.presence.userCount],
      ['peak', ctx.stats.peakConnections],
      ['uptime', Math.floor((ctx.clock() - ctx.stats.startedAt) / 1000)],
      ['messages', ctx.stats.messagesRelayed],
      ['rooms', ctx.presence.roomCount],
      ['rss_kib', Math.round(process.memoryUsage.rss() / 1024)],
      ...cluster,
    ]),
  ));
}

const HELP_LINES = [
  'Frames (TYPE|fields, one per line; types are case-insensitive):',
  'LOGIN|name  or  LOGIN|name|password  - join as a guest, log in, or register a free name',
  'TEXT|message  - say something in your room',
  'PRIVATE|name|message  - message one user',
  'JOIN|room  - move to another room (created on first use)',
  'USERS  - who is in your room',
  'ROOMS  - rooms with people in them',
  'HISTORY  or  HISTORY|n  - recent messages of your room',
  'PING  or  PING|token  - liveness check',
  'STATS  - server figures',
  'TOPIC  - the topic of your room;  TOPIC|text  sets it,  TOPIC|  clears it (registered names)',
  'PASSWORD|old|new  - change your password (registered names)',
  'Operators: KICK|name|reason, BAN|name|minutes|reason (0 = until lifted), UNBAN|name, MUTE|name|minutes|reason, UNMUTE|name, MODLOG or MODLOG|n',
  'HELP  - this list',
  'LOGOUT  - leave',
  'Aliases of the earlier client: 1|name = LOGIN|name, 3|message = TEXT|message, 2|name = LOGOUT',
].map(encodeSystem);

export function help(_ctx: ServerContext, session: Session): void {
  for (const line of HELP_LINES) session.send(line);
}

export function logout(_ctx: ServerContext, session: Session): void {
  session.end('logout', encodeSystem(session.name === undefined ? 'goodbye' : `goodbye, ${session.name}`));
}
