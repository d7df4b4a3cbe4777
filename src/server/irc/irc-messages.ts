import { clientOnlyTags, RPL, type IrcMessage } from '../../protocol/irc/index.js';
import { ChatError, checkName, stripUnsafe } from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import { nextMessageId } from '../message-ids.js';
import { requireUnmuted } from '../moderation.js';
import { postToRoom, sendPrivate, takeMessageToken, type IrcExtras, type PostOptions, type PrivateAck } from '../handlers/messages.js';
import type { Session } from '../session.js';
import { fromIrc, ircMessage, messageLines, tagSection } from './irc-audience.js';
import type { IrcClient } from './irc-client.js';
import { ircClientOf, roomOfChannel } from './irc-info.js';
import { me } from './irc-channels.js';

// PRIVMSG and NOTICE, to a channel (a room message, stored and relayed to
// every protocol) or to a nick (a private message, kept for later when a
// registered user is offline). NOTICE never gets an error reply, as IRC
// requires; CTCP other than ACTION is not relayed.

/** Targets one PRIVMSG may name (ISUPPORT MAXTARGETS). */
export const MAX_TARGETS = 4;

const CTCP = /^\u0001([A-Z]+)(?: ([^\u0001]*))?\u0001?$/;

/** The text to relay (`/me waves` becomes `* waves`, marked as an action); other CTCP, undefined. */
function relayable(text: string): { text: string; action: boolean } | undefined {
  const ctcp = CTCP.exec(text);
  if (ctcp === null) return { text: fromIrc(text), action: false };
  if (ctcp[1] !== 'ACTION') return undefined;
  return { text: `* ${fromIrc(ctcp[2] ?? '')}`, action: true };
}

export function privmsg(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  return deliver(ctx, session, client, msg, false);
}

export function notice(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  return deliver(ctx, session, client, msg, true);
}

/** The sender's client-only tags, relayed to message-tags clients; other tags are the server's to set. */
function relayedTags(client: IrcClient, msg: IrcMessage): string | undefined {
  if (!client.has('message-tags') || msg.tags.size === 0) return undefined;
  return clientOnlyTags(msg.tags, stripUnsafe) || undefined;
}

async function deliver(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage, quiet: boolean): Promise<void> {
  const command = quiet ? 'NOTICE' : 'PRIVMSG';
  const [targets = '', raw = ''] = msg.params;
  if (targets === '') {
    if (!quiet) client.reply(RPL.ERR_NORECIPIENT, `No recipient given (${command})`);
    return;
  }
  if (raw === '') {
    if (!quiet) client.reply(RPL.ERR_NOTEXTTOSEND, 'No text to send');
    return;
  }
  const said = relayable(raw);
  if (said === undefined) return;
  const extras: IrcExtras = { tags: relayedTags(client, msg), action: said.action };
  await eachTarget(client, targets, quiet, async (target) => {
    if (target.startsWith('#')) toChannel(ctx, session, client, target, said.text, quiet, extras);
    else await toNick(ctx, session, client, target, said.text, command, extras);
  });
}

/**
 * TAGMSG: client-only tags without text (typing notices, reactions), for
 * message-tags clients alone. Not stored, never an error reply to a target
 * that cannot take it: it is as quiet as NOTICE.
 */
export async function tagmsg(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  const targets = msg.params[0] ?? '';
  if (targets === '') {
    client.reply(RPL.ERR_NORECIPIENT, 'No recipient given (TAGMSG)');
    return;
  }
  const tags = relayedTags(client, msg);
  if (tags === undefined) return;
  const from = me(session);
  await eachTarget(client, targets, true, async (target) => {
    requireUnmuted(ctx, session);
    takeMessageToken(session);
    const event = { kind: 'tagmsg', from: from.name, id: nextMessageId(), tags, time: ctx.clock() } as const;
    if (target.startsWith('#')) {
      const room = roomOfChannel(ctx, target);
      if (room === undefined || !room.members.has(session)) return;
      ctx.relay.toRoom(room, event, client.has('echo-message') ? undefined : session);
      return;
    }
    const check = checkName(target);
    const online = check.ok ? await ctx.directory.locate(check.key) : undefined;
    if (!check.ok || online === undefined) return;
    ctx.relay.toUser(online.node, check.key, event);
    if (client.has('echo-message')) session.send(`${tagSection('full', event.time, event.id, tags)}:${client.source} TAGMSG ${online.name}\r\n`);
  });
}

/** Up to MAX_TARGETS targets; a refusal is told per target (not for NOTICE), a flood ends them all. */
async function eachTarget(client: IrcClient, targets: string, quiet: boolean, send: (target: string) => Promise<void>): Promise<void> {
  for (const target of targets.split(',').slice(0, MAX_TARGETS)) {
    try {
      await send(target);
    } catch (err) {
      if (!(err instanceof ChatError)) throw err;
      if (quiet && err.code !== 'RATE_LIMITED') continue;
      refuseMessage(client, target, err);
      if (err.code === 'RATE_LIMITED') throw err;
    }
  }
}

function toChannel(ctx: ServerContext, session: Session, client: IrcClient, target: string, text: string, quiet: boolean, extras: IrcExtras): void {
  const room = roomOfChannel(ctx, target);
  if (room === undefined || !room.members.has(session)) {
    if (quiet) return;
    if (room === undefined) client.reply(RPL.ERR_NOSUCHCHANNEL, target, 'No such channel');
    else client.reply(RPL.ERR_CANNOTSENDTOCHAN, target, 'Cannot send to channel (join it first)');
    return;
  }
  // One literal of one shape: this is every IRC room message's path.
  const options: PostOptions = { except: client.has('echo-message') ? undefined : session, notice: quiet, tags: extras.tags, action: extras.action };
  postToRoom(ctx, session, me(session), room, text, options);
}

async function toNick(ctx: ServerContext, session: Session, client: IrcClient, target: string, text: string, command: string, extras: IrcExtras): Promise<void> {
  const ack: PrivateAck = (to, message, offline, id) => {
    const lines: Buffer[] = [];
    if (client.has('echo-message')) {
      const echo = Buffer.from(messageLines(tagSection(client.tagLevel, ctx.clock(), id, extras.tags), client.source, command, to, ircMessage({ message, action: extras.action })));
      session.send(echo);
      lines.push(echo);
    }
    if (offline && command === 'PRIVMSG') {
      const later = Buffer.from(client.notice(`${to} is offline; they will get your message when they next log in`));
      session.send(later);
      lines.push(later);
    }
    return lines;
  };
  await sendPrivate(ctx, session, me(session), target, text, ack, extras);
  const check = checkName(target);
  const away = check.ok ? ircClientOf(ctx.presence.user(check.key))?.away : undefined;
  if (away !== undefined && command === 'PRIVMSG') client.reply(RPL.RPL_AWAY, check.ok ? check.name : target, away);
}

/** A refused message, as the IRC numeric for it. */
function refuseMessage(client: IrcClient, target: string, err: ChatError): void {
  switch (err.code) {
    case 'NO_SUCH_USER':
      client.reply(RPL.ERR_NOSUCHNICK, target, 'No such nick/channel');
      return;
    case 'MUTED':
      client.reply(RPL.ERR_CANNOTSENDTOCHAN, target, err.message);
      return;
    case 'BAD_FRAME':
      client.reply(RPL.ERR_NOTEXTTOSEND, err.message);
      return;
    default:
      client.reply(RPL.ERR_CANNOTSENDTOCHAN, target, `${err.message} (${err.code})`);
  }
}
