import { globMatcher, RPL, type IrcMessage } from '../../protocol/irc/index.js';
import { checkName } from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import type { Room } from '../presence.js';
import type { Session } from '../session.js';
import { channelOf, ircText, userSource } from './irc-audience.js';
import { IrcClient } from './irc-client.js';

// The commands that answer questions: PING, MOTD, LUSERS, VERSION, AWAY,
// WHOIS, WHO, NAMES, LIST and the MODE queries (we have no channel or user
// modes to change, but clients ask on every join and must get an answer).

export function ping(_ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): void {
  const token = msg.params[0];
  if (token === undefined || token === '') {
    client.reply(RPL.ERR_NOORIGIN, 'No origin specified');
    return;
  }
  session.send(client.raw('PONG', client.info.name, token));
}

export function pong(): void {}

export function motd(ctx: ServerContext, _session: Session, client: IrcClient): void {
  const lines = ctx.motd.text;
  if (lines.length === 0) {
    client.reply(RPL.ERR_NOMOTD, 'MOTD File is missing');
    return;
  }
  client.reply(RPL.RPL_MOTDSTART, `- ${client.info.name} Message of the day - `);
  for (const line of lines) client.reply(RPL.RPL_MOTD, `- ${line}`);
  client.reply(RPL.RPL_ENDOFMOTD, 'End of /MOTD command.');
}

export function lusers(ctx: ServerContext, _session: Session, client: IrcClient): void {
  const users = ctx.presence.userCount;
  const rooms = ctx.presence.roomCount;
  const unknown = ctx.sessions.size - users;
  client.reply(RPL.RPL_LUSERCLIENT, `There are ${users} users and 0 invisible on 1 servers`);
  client.reply(RPL.RPL_LUSEROP, '0', 'operator(s) online');
  if (unknown > 0) client.reply(RPL.RPL_LUSERUNKNOWN, String(unknown), 'unknown connection(s)');
  client.reply(RPL.RPL_LUSERCHANNELS, String(rooms), 'channels formed');
  client.reply(RPL.RPL_LUSERME, `I have ${users} clients and 0 servers`);
  const peak = String(Math.max(users, ctx.stats.peakConnections));
  client.reply(RPL.RPL_LOCALUSERS, String(users), peak, `Current local users ${users}, max ${peak}`);
  client.reply(RPL.RPL_GLOBALUSERS, String(users), peak, `Current global users ${users}, max ${peak}`);
}

export function version(_ctx: ServerContext, _session: Session, client: IrcClient): void {
  client.reply(RPL.RPL_VERSION, client.info.version, client.info.name, 'a chat server shared by IRC, nc, telnet and its own client');
}

const AWAY_CHARS = 390;

export function away(_ctx: ServerContext, _session: Session, client: IrcClient, msg: IrcMessage): void {
  const text = ircText(msg.params[0] ?? '').slice(0, AWAY_CHARS);
  if (text === '') {
    client.away = undefined;
    client.reply(RPL.RPL_UNAWAY, 'You are no longer marked as being away');
    return;
  }
  client.away = text;
  client.reply(RPL.RPL_NOWAWAY, 'You have been marked as being away');
}

/** The IRC side of an online session on this node, if it has one. */
export function ircClientOf(session: Session | undefined): IrcClient | undefined {
  return session?.dialect instanceof IrcClient ? session.dialect : undefined;
}

export async function whois(ctx: ServerContext, _session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  // WHOIS [server] nick: the last parameter is the nick.
  const wanted = msg.params[msg.params.length - 1] ?? '';
  if (wanted === '') {
    client.reply(RPL.ERR_NONICKNAMEGIVEN, 'No nickname given');
    return;
  }
  const check = checkName(wanted);
  const online = check.ok ? await ctx.directory.locate(check.key) : undefined;
  if (!check.ok || online === undefined) {
    client.reply(RPL.ERR_NOSUCHNICK, wanted, 'No such nick/channel');
    client.reply(RPL.RPL_ENDOFWHOIS, wanted, 'End of /WHOIS list.');
    return;
  }
  const name = online.name;
  const local = ctx.presence.user(check.key);
  const other = ircClientOf(local);
  client.reply(RPL.RPL_WHOISUSER, name, other?.ident ?? name, client.info.name, '*', other?.realname || name);
  if (local !== undefined) {
    const channels = local.rooms().map((r) => channelOf(r));
    if (channels.length > 0) client.reply(RPL.RPL_WHOISCHANNELS, name, channels.join(' '));
  }
  client.reply(RPL.RPL_WHOISSERVER, name, client.info.name, client.info.network);
  if (local?.registered === true) client.reply(RPL.RPL_WHOISACCOUNT, name, name, 'is logged in as');
  if (local?.connection.secure === true) client.reply(RPL.RPL_WHOISSECURE, name, 'is using a secure connection');
  if (other?.away !== undefined) client.reply(RPL.RPL_AWAY, name, other.away);
  if (local !== undefined) {
    const idle = Math.max(0, Math.floor((ctx.clock() - local.lastActive) / 1000));
    client.reply(RPL.RPL_WHOISIDLE, name, String(idle), String(Math.floor(local.connectedAt / 1000)), 'seconds idle, signon time');
  }
  client.reply(RPL.RPL_ENDOFWHOIS, name, 'End of /WHOIS list.');
}

/** A room this node knows (it has members here) by its IRC name, or undefined. */
export function roomOfChannel(ctx: ServerContext, channel: string): Room<Session> | undefined {
  if (!channel.startsWith('#')) return undefined;
  const check = checkName(channel.slice(1), 'room name');
  return check.ok ? ctx.presence.room(check.key) : undefined;
}

/** The names of a room as NAMES shows them: this client's own is there once it has joined, whatever the cluster has recorded yet. */
export async function roomNames(ctx: ServerContext, room: Room<Session>, session: Session): Promise<readonly string[]> {
  const names = await ctx.directory.namesIn(room);
  const me = session.name;
  if (me === undefined || !room.members.has(session) || names.includes(me)) return names;
  return [...names, me];
}

/** 353s of at most a line's length each, then 366. */
export function sendNames(session: Session, client: IrcClient, channel: string, names: readonly string[]): void {
  const head = client.line(RPL.RPL_NAMREPLY, '=', channel, '').length;
  let line: string[] = [];
  let bytes = head;
  const full = client.has('userhost-in-names');
  for (const plain of names) {
    const name = full ? userSource(plain, client.info) : plain;
    const size = Buffer.byteLength(name) + 1;
    if (line.length > 0 && bytes + size > 510) {
      client.reply(RPL.RPL_NAMREPLY, '=', channel, line.join(' '));
      line = [];
      bytes = head;
    }
    line.push(name);
    bytes += size;
  }
  if (line.length > 0) client.reply(RPL.RPL_NAMREPLY, '=', channel, line.join(' '));
  client.reply(RPL.RPL_ENDOFNAMES, channel, 'End of /NAMES list.');
  session.frameBucket.charge(Math.floor(names.length / 64));
}

export async function names(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  const targets = msg.params[0];
  if (targets === undefined || targets === '') {
    client.reply(RPL.RPL_ENDOFNAMES, '*', 'End of /NAMES list.');
    return;
  }
  for (const channel of targets.split(',')) {
    const room = roomOfChannel(ctx, channel);
    if (room === undefined) client.reply(RPL.RPL_ENDOFNAMES, channel, 'End of /NAMES list.');
    else sendNames(session, client, channelOf(room), await roomNames(ctx, room, session));
  }
}

export async function who(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  const mask = msg.params[0] ?? '*';
  const whox = parseWhox(msg.params[1]);
  const server = client.info.name;
  const row = (channel: string, name: string): void => {
    const check = checkName(name);
    const local = check.ok ? ctx.presence.user(check.key) : undefined;
    const other = ircClientOf(local);
    const flags = `${other?.away === undefined ? 'H' : 'G'}${local?.operator !== undefined || other?.oper === true ? '*' : ''}`;
    const realname = other?.realname || name;
    const ident = other?.ident ?? name;
    if (whox === undefined) {
      client.reply(RPL.RPL_WHOREPLY, channel, ident, server, server, name, flags, `0 ${realname}`);
      return;
    }
    const value: Record<string, string> = {
      t: whox.token,
      c: channel,
      u: ident,
      i: '255.255.255.255',
      h: server,
      s: server,
      n: name,
      f: flags,
      d: '0',
      l: local === undefined ? '0' : String(Math.max(0, Math.floor((ctx.clock() - local.lastActive) / 1000))),
      a: local?.registered === true ? name : '0',
      o: 'n/a',
      r: realname,
    };
    client.reply(RPL.RPL_WHOSPCRPL, ...[...whox.fields].map((field) => value[field]!));
  };
  if (mask.startsWith('#')) {
    const room = roomOfChannel(ctx, mask);
    if (room !== undefined) for (const name of await roomNames(ctx, room, session)) row(channelOf(room), name);
  } else if (/[*?]/.test(mask)) {
    // Everyone is invisible (+i): a mask finds only the people who share a channel with the asker.
    const match = globMatcher(mask);
    for (const name of await sharingChannels(ctx, session)) if (match(name)) row('*', name);
  } else {
    const check = checkName(mask);
    const online = check.ok ? await ctx.directory.locate(check.key) : undefined;
    if (check.ok && online !== undefined) row('*', online.name);
  }
  client.reply(RPL.RPL_ENDOFWHO, mask, 'End of WHO list');
}

/** The asker and everyone in its rooms, once each. */
async function sharingChannels(ctx: ServerContext, session: Session): Promise<string[]> {
  const seen = new Map<string, string>();
  if (session.name !== undefined) seen.set(session.name.toLowerCase(), session.name);
  for (const room of session.rooms()) for (const name of await roomNames(ctx, room, session)) seen.set(name.toLowerCase(), name);
  session.frameBucket.charge(Math.floor(seen.size / 64));
  return [...seen.values()];
}

/** WHO's extension: `%fields[,token]` (only the fields we know, in the order the spec fixes). */
function parseWhox(arg: string | undefined): { fields: string; token: string } | undefined {
  if (arg === undefined || !arg.startsWith('%')) return undefined;
  const [rawFields = '', token = ''] = arg.slice(1).split(',');
  const fields = [...'tcuihsnfdlaor'].filter((f) => rawFields.includes(f)).join('');
  return { fields, token };
}

export async function list(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  const only = msg.params[0] !== undefined && msg.params[0] !== '' ? new Set(msg.params[0].split(',').map((c) => c.toLowerCase())) : undefined;
  const rooms = await ctx.directory.rooms();
  client.reply(RPL.RPL_LISTSTART, 'Channel', 'Users  Name');
  for (const { room, count } of rooms) {
    const channel = `#${room}`;
    if (only !== undefined && !only.has(channel.toLowerCase())) continue;
    const check = checkName(room, 'room name');
    const topic = check.ok ? await ctx.store.roomTopic(check.key) : undefined;
    client.reply(RPL.RPL_LIST, channel, String(count), topic === undefined ? '' : ircText(topic.topic));
  }
  client.reply(RPL.RPL_LISTEND, 'End of /LIST');
  session.frameBucket.charge(Math.floor(rooms.length / 64));
}

export function mode(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): void {
  const target = msg.params[0] ?? '';
  const change = msg.params[1];
  if (target === '') {
    client.reply(RPL.ERR_NEEDMOREPARAMS, 'MODE', 'Not enough parameters');
    return;
  }
  if (target.startsWith('#')) {
    const room = roomOfChannel(ctx, target);
    if (room === undefined) {
      client.reply(RPL.ERR_NOSUCHCHANNEL, target, 'No such channel');
      return;
    }
    const channel = channelOf(room);
    if (change === undefined) {
      client.reply(RPL.RPL_CHANNELMODEIS, channel, '+nt');
      client.reply(RPL.RPL_CREATIONTIME, channel, String(Math.floor(client.info.createdAt / 1000)));
      return;
    }
    // A list request (bans, exceptions, invites): empty here; moderation is server-wide.
    if (/^[+-]?[beI]+$/.test(change) && msg.params.length === 2) {
      client.reply(RPL.RPL_ENDOFBANLIST, channel, 'End of channel ban list');
      return;
    }
    client.reply(RPL.ERR_CHANOPRIVSNEEDED, channel, "You're not channel operator (channel modes are fixed here)");
    return;
  }
  const check = checkName(target);
  if (!check.ok || check.key !== session.user?.key) {
    client.reply(RPL.ERR_USERSDONTMATCH, "Can't change mode for other users");
    return;
  }
  if (change === undefined) {
    client.reply(RPL.RPL_UMODEIS, client.oper ? '+io' : '+i');
    return;
  }
  // +i and +w cost nothing to accept (everyone is invisible to a channel they are not in); others are not ours.
  if (!/^[+-][iw]+$/.test(change)) client.reply(RPL.ERR_UMODEUNKNOWNFLAG, 'Unknown MODE flag');
}
