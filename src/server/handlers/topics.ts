import { ChatError, codePointLength, encodeTopic, stripUnsafe } from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import { requireUnmuted } from '../moderation.js';
import type { Room } from '../presence.js';
import type { InRoomState, Session, User } from '../session.js';
import { requireDirectory } from './availability.js';
import type { FrameOf } from './types.js';

// A room's topic, the same for every protocol: stored per room, set by
// registered users and operators, and told to the room once it is stored.

/** Longest topic, in characters (IRC's TOPICLEN). */
export const TOPIC_CHARS = 390;

/**
 * Sets (or with '' clears) a room's topic. `text` is already cleaned of
 * what the sender's protocol must not relay (IRC's colour codes, control
 * characters).
 */
export async function setTopic(ctx: ServerContext, session: Session, by: User, room: Room<Session>, text: string): Promise<void> {
  requireDirectory(ctx);
  requireUnmuted(ctx, session);
  if (!session.registered && session.operator === undefined) throw new ChatError('NOT_ALLOWED', 'only registered users may set a topic');
  const topic = text.trim();
  if (codePointLength(topic, TOPIC_CHARS + 1) > TOPIC_CHARS) throw new ChatError('MESSAGE_TOO_LONG', `topics are limited to ${TOPIC_CHARS} characters`);
  if (!session.messageBucket.take()) throw new ChatError('RATE_LIMITED', 'slow down: too many topic changes');
  try {
    await ctx.store.setRoomTopic({ roomKey: room.key, room: room.name, topic, by: by.name, at: ctx.clock() });
  } catch {
    throw new ChatError('UNAVAILABLE', 'the topic could not be stored, so it was not changed; try again');
  }
  ctx.log.info('topic', { session: session.id, name: by.name, room: room.name, cleared: topic === '' });
  ctx.relay.toRoom(room, { kind: 'topic', by: by.name, room: room.name, topic });
}

/** `TOPIC` answers `TOPIC|room|topic`; `TOPIC|text` sets the current room's, `TOPIC|` clears it. */
export async function topic(ctx: ServerContext, session: Session, frame: FrameOf<'TOPIC'>, me: InRoomState): Promise<void> {
  if (frame.topic !== undefined) {
    await setTopic(ctx, session, me, me.room, stripUnsafe(frame.topic));
    return;
  }
  const current = await ctx.store.roomTopic(me.room.key);
  session.send(encodeTopic(me.room.name, current === undefined ? '' : stripUnsafe(current.topic)));
}
