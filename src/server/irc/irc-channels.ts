import { randomBytes } from 'node:crypto';
import { RPL, type IrcMessage } from '../../protocol/irc/index.js';
import { ChatError, checkName } from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import { kick as kickUser } from '../handlers/moderation.js';
import { requireDirectory } from '../handlers/availability.js';
import { setTopic, TOPIC_CHARS } from '../handlers/topics.js';
import { joinChannel, leaveRoom, type Entered } from '../membership.js';
import { requireUnmuted } from '../moderation.js';
import type { Room } from '../presence.js';
import type { Session, User } from '../session.js';
import type { RoomMessage } from '../storage/store.js';
import { channelOf, fromIrc, ircText, messageLines, timeTag, userSource } from './irc-audience.js';
import type { IrcClient } from './irc-client.js';
import { roomNames, roomOfChannel, sendNames } from './irc-info.js';

// Channels are rooms: JOIN and PART add and remove rooms of the session
// (the line protocol's users keep their one current room), TOPIC is the
// room's stored topic, and KICK is the server's moderation (an operator's,
// and it disconnects, as KICK does everywhere here).

/** The logged-in identity of an IRC session (commands past registration have one). */
export function me(session: Session): User {
  const user = session.user;
  if (user === undefined) throw new ChatError('NOT_LOGGED_IN', 'you are not registered');
  return user;
}

/** A `#room` parameter as a room key and spelling; an IRC numeric is sent (and undefined returned) when it is not one. */
function channelName(client: IrcClient, channel: string): { key: string; name: string } | undefined {
  if (!channel.startsWith('#')) {
    client.reply(RPL.ERR_NOSUCHCHANNEL, channel, 'No such channel (channel names start with #)');
    return undefined;
  }
  const check = checkName(channel.slice(1), 'room name');
  if (!check.ok) {
    client.reply(RPL.ERR_BADCHANNAME, channel, `Illegal channel name: ${check.reason}`);
    return undefined;
  }
  return check;
}

export async function join(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  const targets = msg.params[0] ?? '';
  if (targets === '') {
    client.reply(RPL.ERR_NEEDMOREPARAMS, 'JOIN', 'Not enough parameters');
    return;
  }
  if (targets === '0') {
    for (const room of [...(session.channels ?? [])]) part1(ctx, session, client, room, 'Left all channels');
    return;
  }
  for (const channel of targets.split(',')) {
    const wanted = channelName(client, channel);
    if (wanted === undefined) continue;
    requireDirectory(ctx);
    requireUnmuted(ctx, session);
    if (ctx.presence.room(wanted.key)?.members.has(session)) continue;
    // Each join is a notice to everyone in the room: it costs what a message does.
    if (!session.messageBucket.take()) throw new ChatError('RATE_LIMITED', `slow down: too many joins (${channel} was not joined)`);
    const entered = await joinChannel(ctx, session, wanted.key, wanted.name);
    if (entered !== undefined) await joined(ctx, session, client, entered);
  }
}

/** After the JOIN every member saw: the topic, the names and what was said before. */
async function joined(ctx: ServerContext, session: Session, client: IrcClient, { room, history }: Entered): Promise<void> {
  const channel = channelOf(room);
  const topic = await ctx.store.roomTopic(room.key);
  if (topic !== undefined) {
    client.reply(RPL.RPL_TOPIC, channel, ircText(topic.topic));
    client.reply(RPL.RPL_TOPICWHOTIME, channel, `${topic.by}!${topic.by}@${client.info.name}`, String(Math.floor(topic.at / 1000)));
  }
  sendNames(session, client, channel, await roomNames(ctx, room, session));
  replay(session, client, room, history);
}

/**
 * The room's recent messages, with their times: in a `chathistory` batch
 * for clients that take batches, with server-time tags for those that take
 * tags, and with the time written before the text for the others (so no
 * client shows old lines as new).
 */
export function replay(session: Session, client: IrcClient, room: Room, history: readonly RoomMessage[]): void {
  if (history.length === 0) return;
  const channel = channelOf(room);
  const batch = client.has('batch') ? randomBytes(6).toString('hex') : undefined;
  if (batch !== undefined) session.send(`BATCH +${batch} chathistory ${channel}\r\n`);
  for (const m of history) {
    const source = userSource(m.from, client.info);
    if (client.tagged || batch !== undefined) {
      const tags = `@${batch === undefined ? '' : `batch=${batch}`}${batch !== undefined && client.tagged ? ';' : ''}${client.tagged ? timeTag(m.time).slice(1, -1) : ''} `;
      session.send(messageLines(tags, source, 'PRIVMSG', channel, m.message));
    } else {
      const when = new Date(m.time).toISOString().slice(0, 16).replace('T', ' ');
      session.send(messageLines('', source, 'PRIVMSG', channel, `[${when}] ${m.message}`));
    }
  }
  if (batch !== undefined) session.send(`BATCH -${batch}\r\n`);
}

export function part(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): void {
  const targets = msg.params[0] ?? '';
  if (targets === '') {
    client.reply(RPL.ERR_NEEDMOREPARAMS, 'PART', 'Not enough parameters');
    return;
  }
  const reason = msg.params[1] === undefined ? undefined : fromIrc(msg.params[1]).slice(0, TOPIC_CHARS);
  for (const channel of targets.split(',')) {
    const room = roomOfChannel(ctx, channel);
    if (room === undefined) client.reply(RPL.ERR_NOSUCHCHANNEL, channel, 'No such channel');
    else if (!room.members.has(session)) client.reply(RPL.ERR_NOTONCHANNEL, channel, "You're not on that channel");
    else part1(ctx, session, client, room, reason === '' ? undefined : reason);
  }
}

function part1(ctx: ServerContext, session: Session, client: IrcClient, room: Room<Session>, reason: string | undefined): void {
  leaveRoom(ctx, session, me(session), room, reason);
  // The leaver is out of the room's audience by now: its own PART comes on its own.
  session.send(`${client.tagged ? timeTag(ctx.clock()) : ''}:${client.source} PART ${channelOf(room)}${reason === undefined ? '' : ` :${reason}`}\r\n`);
}

export async function topic(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  const channel = msg.params[0] ?? '';
  if (channel === '') {
    client.reply(RPL.ERR_NEEDMOREPARAMS, 'TOPIC', 'Not enough parameters');
    return;
  }
  const wanted = channelName(client, channel);
  if (wanted === undefined) return;
  const room = ctx.presence.room(wanted.key);
  const name = `#${room?.name ?? wanted.name}`;
  if (msg.params.length < 2) {
    const current = await ctx.store.roomTopic(wanted.key);
    if (current === undefined) client.reply(RPL.RPL_NOTOPIC, name, 'No topic is set');
    else {
      client.reply(RPL.RPL_TOPIC, name, ircText(current.topic));
      client.reply(RPL.RPL_TOPICWHOTIME, name, `${current.by}!${current.by}@${client.info.name}`, String(Math.floor(current.at / 1000)));
    }
    return;
  }
  if (room === undefined || !room.members.has(session)) {
    client.reply(RPL.ERR_NOTONCHANNEL, name, "You're not on that channel");
    return;
  }
  try {
    await setTopic(ctx, session, me(session), room, fromIrc(msg.params[1]!));
  } catch (err) {
    if (!(err instanceof ChatError) || err.code !== 'NOT_ALLOWED') throw err;
    client.reply(RPL.ERR_CHANOPRIVSNEEDED, name, err.message);
  }
}


export async function kick(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  const [channel = '', target = '', reason = ''] = msg.params;
  if (channel === '' || target === '') {
    client.reply(RPL.ERR_NEEDMOREPARAMS, 'KICK', 'Not enough parameters');
    return;
  }
  const room = roomOfChannel(ctx, channel);
  if (room === undefined) {
    client.reply(RPL.ERR_NOSUCHCHANNEL, channel, 'No such channel');
    return;
  }
  const operator = session.operator ?? me(session);
  try {
    await kickUser(ctx, session, { name: target, reason: fromIrc(reason) }, operator);
  } catch (err) {
    if (!(err instanceof ChatError)) throw err;
    if (err.code === 'NOT_ALLOWED') client.reply(RPL.ERR_CHANOPRIVSNEEDED, channelOf(room), err.message);
    else if (err.code === 'NO_SUCH_USER') client.reply(RPL.ERR_USERNOTINCHANNEL, target, channelOf(room), err.message);
    else throw err;
  }
}
