import {
  ChatError,
  checkName,
  codePointLength,
  encodeSent,
  encodeSystem,
  hasVisible,
  nameKey,
  stripUnsafe,
} from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import type { InRoomState, Session, User } from '../session.js';
import type { RoomEvent, UserEvent } from '../events.js';
import { nextMessageId } from '../message-ids.js';
import type { Room } from '../presence.js';
import { requireUnmuted } from '../moderation.js';
import { requireDirectory } from './availability.js';
import { whenReady, type FrameOf } from './types.js';

export function takeMessageToken(session: Session): void {
  if (!session.messageBucket.take()) throw new ChatError('RATE_LIMITED', 'slow down: too many messages');
}

/** The message as it will be relayed: unsafe characters removed, length checked. */
function cleanMessage(ctx: ServerContext, raw: string): string {
  const message = stripUnsafe(raw);
  // An empty-looking line (only spaces, U+200B, fillers…) says nothing and can be mistaken for a glitch.
  if (!hasVisible(message)) throw new ChatError('BAD_FRAME', 'the message is empty: it has nothing visible');
  const max = ctx.options.maxMessageChars;
  if (message.length > max && codePointLength(message, max) > max) {
    throw new ChatError('MESSAGE_TOO_LONG', `messages are limited to ${max} characters`);
  }
  return message;
}

/** `3|name:message` from the earlier client: drop the prefix when it is the sender's own name. */
function withoutOwnPrefix(me: User, message: string): string {
  const colon = message.indexOf(':');
  if (colon > 0 && colon <= 4 * 32 && nameKey(message.slice(0, colon)) === me.key) return message.slice(colon + 1);
  return message;
}

export function text(ctx: ServerContext, session: Session, frame: FrameOf<'TEXT'>, me: InRoomState): void {
  postToRoom(ctx, session, me, me.room, frame.seed ? withoutOwnPrefix(me, frame.message) : frame.message);
}

/** What an IRC sender's message carries beyond its text: client-only tags, and whether it is a CTCP ACTION. */
export interface IrcExtras {
  tags?: string | undefined;
  action?: boolean | undefined;
}

/** How an IRC sender's message differs: no echo to a client that did not ask, NOTICE, and its extras. */
export interface PostOptions extends IrcExtras {
  except?: Session | undefined;
  notice?: boolean | undefined;
}

/**
 * A message into a room: checked, recorded, relayed to every member (but
 * `except`, an IRC sender that asked for no echo) and pledged to the store.
 */
export function postToRoom(ctx: ServerContext, session: Session, me: User, room: Room<Session>, raw: string, options: PostOptions = {}): void {
  requireDirectory(ctx);
  requireUnmuted(ctx, session);
  takeMessageToken(session);
  const message = cleanMessage(ctx, raw);
  const from = me.name;
  const record = { time: ctx.clock(), roomKey: room.key, room: room.name, from, message };
  ctx.history.record(record);
  const { except, notice, tags, action } = options;
  // One shape for every text event (the relay's hot path): absent fields are undefined, never spread in.
  const event: RoomEvent = { kind: 'text', from, message, time: record.time, id: nextMessageId(), notice, tags, action };
  const lines = ctx.relay.toRoom(room, event, except);
  ctx.pledges.add({ sender: session, lines, record });
  ctx.stats.messagesRelayed++;
  ctx.stats.roomMessages++;
}

/** What the sender of a private message is told, in its protocol; returns the Buffers queued (for the pledge). */
export type PrivateAck = (to: string, message: string, offline: boolean, id: string) => Buffer[];

function lineAck(session: Session): PrivateAck {
  return (to, message, offline) => {
    const sent = Buffer.from(encodeSent(to, message));
    session.send(sent);
    if (!offline) return [sent];
    const later = Buffer.from(encodeSystem(`${to} is offline; they will get your message when they next log in`));
    session.send(later);
    return [sent, later];
  };
}

export function privateMessage(ctx: ServerContext, session: Session, frame: FrameOf<'PRIVATE'>, me: InRoomState): void | Promise<void> {
  return sendPrivate(ctx, session, me, frame.to, frame.message, lineAck(session));
}

/** A private message to a user online on any node, or kept for a registered one who is offline. */
export function sendPrivate(ctx: ServerContext, session: Session, me: User, to: string, raw: string, ack: PrivateAck, extras: IrcExtras = {}): void | Promise<void> {
  requireDirectory(ctx);
  requireUnmuted(ctx, session);
  takeMessageToken(session);
  const target = checkName(to);
  if (!target.ok) throw new ChatError('NO_SUCH_USER', `no user called ${stripUnsafe(to).slice(0, 64)}`);
  const message = cleanMessage(ctx, raw);
  const { name: from, key: fromKey } = me;
  const time = ctx.clock();
  const id = nextMessageId();
  return whenReady(ctx.directory.locate(target.key), (online) => {
    if (online === undefined) return storeForLater(ctx, session, target.key, target.name, { time, from, fromKey, message }, ack, id);
    ctx.store.appendPrivate({ time, from, fromKey, to: online.name, toKey: target.key, message, delivered: true });
    const event: UserEvent = { kind: 'private', from, message, time, id, tags: extras.tags, action: extras.action };
    const delivered = ctx.relay.toUser(online.node, target.key, event);
    const acked = ack(online.name, message, false, id);
    ctx.pledges.add({ sender: session, lines: delivered === undefined ? acked : [delivered, ...acked] });
    ctx.stats.messagesRelayed++;
    ctx.stats.privateMessages++;
  });
}

/** Offline: registered users get it at their next login; guests are gone. */
async function storeForLater(
  ctx: ServerContext,
  session: Session,
  key: string,
  name: string,
  record: { time: number; from: string; fromKey: string; message: string },
  ack: PrivateAck,
  id: string,
): Promise<void> {
  const message = record.message;
  const account = await ctx.store.getAccount(key);
  if (account === undefined) throw new ChatError('NO_SUCH_USER', `${name} is not online`);
  // Anyone can write to a mailbox: it is bounded, so it cannot be filled for ever.
  const box = await ctx.store.mailbox(account.key);
  if (box.count >= ctx.options.mailboxMax || box.bytes + Buffer.byteLength(message) > ctx.options.mailboxMaxBytes) {
    throw new ChatError('MAILBOX_FULL', `${account.name} is offline and their mailbox is full; try again once they have read it`);
  }
  ctx.store.appendPrivate({ ...record, to: account.name, toKey: account.key, delivered: false });
  ctx.pledges.add({ sender: session, lines: ack(account.name, message, true, id) });
  ctx.stats.privateMessages++;
}
