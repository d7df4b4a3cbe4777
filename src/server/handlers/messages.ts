import {
  ChatError,
  checkName,
  codePointLength,
  encodePrivate,
  encodeSent,
  encodeSystem,
  encodeText,
  hasVisible,
  nameKey,
  stripUnsafe,
} from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import type { ActiveState, Session, User } from '../session.js';
import { requireUnmuted } from '../moderation.js';
import { requireDirectory } from './availability.js';
import { whenReady, type FrameOf } from './types.js';

function takeMessageToken(session: Session): void {
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

export function text(ctx: ServerContext, session: Session, frame: FrameOf<'TEXT'>, me: ActiveState): void {
  requireDirectory(ctx);
  requireUnmuted(ctx, session);
  takeMessageToken(session);
  const message = cleanMessage(ctx, frame.seed ? withoutOwnPrefix(me, frame.message) : frame.message);
  const { room, name: from } = me;
  const record = { time: ctx.clock(), roomKey: room.key, room: room.name, from, message };
  ctx.history.record(record);
  const line = ctx.relay.toRoom(room, encodeText(from, message));
  ctx.pledges.add({ sender: session, lines: [line], record });
  ctx.stats.messagesRelayed++;
  ctx.stats.roomMessages++;
}

export function privateMessage(ctx: ServerContext, session: Session, frame: FrameOf<'PRIVATE'>, me: ActiveState): void | Promise<void> {
  requireDirectory(ctx);
  requireUnmuted(ctx, session);
  takeMessageToken(session);
  const target = checkName(frame.to);
  if (!target.ok) throw new ChatError('NO_SUCH_USER', `no user called ${stripUnsafe(frame.to).slice(0, 64)}`);
  const message = cleanMessage(ctx, frame.message);
  const { name: from, key: fromKey } = me;
  const time = ctx.clock();
  return whenReady(ctx.directory.locate(target.key), (online) => {
    if (online === undefined) return storeForLater(ctx, session, target.key, target.name, { time, from, fromKey, message });
    ctx.store.appendPrivate({ time, from, fromKey, to: online.name, toKey: target.key, message, delivered: true });
    const delivered = ctx.relay.toUser(online.node, target.key, encodePrivate(from, message));
    const sent = Buffer.from(encodeSent(online.name, message));
    session.send(sent);
    ctx.pledges.add({ sender: session, lines: delivered === undefined ? [sent] : [delivered, sent] });
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
  const sent = Buffer.from(encodeSent(account.name, message));
  const later = Buffer.from(encodeSystem(`${account.name} is offline; they will get your message when they next log in`));
  session.send(sent);
  session.send(later);
  ctx.pledges.add({ sender: session, lines: [sent, later] });
  ctx.stats.privateMessages++;
}
