import { RPL, type IrcMessage } from '../../protocol/irc/index.js';
import { ChatError, checkName, nameKey, NAME_MAX } from '../../protocol/index.js';
import { authenticate, claimName, deliverMailbox, requireSafePasswordPath } from '../handlers/login.js';
import type { ServerContext } from '../context.js';
import type { Session } from '../session.js';
import { CAPABILITIES, USERLEN, type IrcClient } from './irc-client.js';
import { lusers, motd } from './irc-info.js';

// Registration: CAP negotiation, NICK and USER, and the proof of a
// registered name (SASL PLAIN, or PASS for clients without SASL). A
// registered name is never given without its password: its NICK gets 433.
// Once NICK and USER are in and CAP is done, the name is claimed through
// the same checks as the line protocol's LOGIN, and 001 follows.

/** AUTHENTICATE sends its data in pieces of this many characters; a shorter one is the last. */
const SASL_PIECE = 400;
/** The most SASL data taken (a PLAIN exchange is far shorter). */
const SASL_MAX = 4 * SASL_PIECE;

export const ISUPPORT_LINES = (client: IrcClient): string[][] => [
  [
    'AWAYLEN=390',
    'CASEMAPPING=rfc7613',
    'CHANLIMIT=#:',
    'CHANMODES=,,,nt',
    `CHANNELLEN=${NAME_MAX + 1}`,
    'CHANTYPES=#',
    'ELIST=',
    'LINELEN=512',
    'MAXTARGETS=4',
    `NETWORK=${client.info.network}`,
    `NICKLEN=${NAME_MAX}`,
    'PREFIX=',
    'TOPICLEN=390',
  ],
  [`USERLEN=${USERLEN}`, 'UTF8ONLY', 'WHOX'],
];

export function capList(client: IrcClient): string {
  return [...CAPABILITIES]
    .map(([cap, value]) => (client.capVersion >= 302 && value !== '' ? `${cap}=${value}` : cap))
    .join(' ');
}

export async function cap(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  const sub = (msg.params[0] ?? '').toUpperCase();
  const target = client.nick;
  switch (sub) {
    case 'LS': {
      const version = Number(msg.params[1] ?? '0');
      if (Number.isInteger(version)) client.capVersion = Math.max(client.capVersion, version);
      if (!client.welcomed) client.negotiating = true;
      session.send(client.raw('CAP', target, 'LS', capList(client)));
      return;
    }
    case 'LIST':
      session.send(client.raw('CAP', target, 'LIST', [...client.caps].join(' ')));
      return;
    case 'REQ': {
      if (!client.welcomed) client.negotiating = true;
      const asked = (msg.params[1] ?? '').trim();
      const items = asked === '' ? [] : asked.split(/ +/);
      const known = items.every((item) => CAPABILITIES.has(item.replace(/^-/, '')));
      if (!known || items.length === 0) {
        session.send(client.raw('CAP', target, 'NAK', asked));
        return;
      }
      const before = client.tagged;
      const apply = (): void => {
        for (const item of items) {
          if (item.startsWith('-')) client.caps.delete(item.slice(1));
          else client.caps.add(item);
        }
      };
      if (client.tagged === before && session.state.kind !== 'active') apply();
      else regroup(ctx, session, apply);
      session.send(client.raw('CAP', target, 'ACK', asked));
      return;
    }
    case 'END':
      client.negotiating = false;
      await tryRegister(ctx, session, client);
      return;
    default:
      client.reply(RPL.ERR_INVALIDCAPCMD, sub === '' ? '*' : sub, 'Invalid CAP command');
  }
}

/** Caps that change how room lines are encoded move the client to the other encoding in every room it is in. */
function regroup(ctx: ServerContext, session: Session, apply: () => void): void {
  const rooms = [...(session.channels ?? [])];
  for (const room of rooms) {
    const audience = ctx.presence.audienceOf(room, session);
    ctx.presence.detach(session, room);
    if (audience !== undefined) ctx.relay.left(audience, session);
  }
  apply();
  for (const room of rooms) {
    const audience = ctx.presence.attach(session, room);
    ctx.relay.joined(audience, session);
  }
}

export async function nick(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  const wanted = msg.params[0] ?? '';
  if (wanted === '') {
    client.reply(RPL.ERR_NONICKNAMEGIVEN, 'No nickname given');
    return;
  }
  if (client.welcomed) {
    if (nameKey(wanted) === nameKey(client.nick)) return;
    // A name here is an identity (an account, a mailbox, sanctions): it is chosen at login.
    client.reply(RPL.ERR_ERRONEUSNICKNAME, wanted, 'Nick changes are not supported here: reconnect under the new name');
    return;
  }
  const check = checkName(wanted);
  if (!check.ok) {
    client.reply(RPL.ERR_ERRONEUSNICKNAME, wanted, `Erroneous nickname: ${check.reason}`);
    return;
  }
  if (ctx.presence.user(check.key) !== undefined && client.account?.key !== check.key && !passNames(client, check.key)) {
    client.reply(RPL.ERR_NICKNAMEINUSE, check.name, 'Nickname is already in use');
    return;
  }
  client.nick = check.name;
  await tryRegister(ctx, session, client);
}

/** Whether PASS carries the password of this name (then a stale session of it may be replaced). */
function passNames(client: IrcClient, key: string): boolean {
  if (client.pass === undefined) return false;
  const colon = client.pass.indexOf(':');
  return colon < 0 || nameKey(client.pass.slice(0, colon)) === key;
}

export async function user(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  if (client.welcomed || client.username !== undefined) {
    client.reply(RPL.ERR_ALREADYREGISTERED, 'You may not reregister');
    return;
  }
  if (msg.params.length < 4 || msg.params[0] === '' || msg.params[3] === '') {
    client.reply(RPL.ERR_NEEDMOREPARAMS, 'USER', 'Not enough parameters');
    return;
  }
  client.username = msg.params[0]!;
  client.realname = msg.params[3]!;
  await tryRegister(ctx, session, client);
}

export function pass(_ctx: ServerContext, _session: Session, client: IrcClient, msg: IrcMessage): void {
  if (client.welcomed) {
    client.reply(RPL.ERR_ALREADYREGISTERED, 'You may not reregister');
    return;
  }
  const password = msg.params[0];
  if (password === undefined || password === '') {
    client.reply(RPL.ERR_NEEDMOREPARAMS, 'PASS', 'Not enough parameters');
    return;
  }
  client.pass = password;
}

export async function authenticateCommand(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  const data = msg.params[0] ?? '';
  if (client.welcomed || client.account !== undefined) {
    client.reply(RPL.ERR_SASLALREADY, 'You have already authenticated using SASL');
    return;
  }
  if (data === '*') {
    client.sasl = undefined;
    client.reply(RPL.ERR_SASLABORTED, 'SASL authentication aborted');
    return;
  }
  if (client.sasl === undefined) {
    if (data.toUpperCase() !== 'PLAIN') {
      client.reply(RPL.RPL_SASLMECHS, 'PLAIN', 'are available SASL mechanisms');
      client.reply(RPL.ERR_SASLFAIL, 'SASL authentication failed');
      return;
    }
    client.sasl = { data: '' };
    session.send('AUTHENTICATE +\r\n');
    return;
  }
  if (data !== '+') client.sasl.data += data;
  if (client.sasl.data.length > SASL_MAX) {
    client.sasl = undefined;
    client.reply(RPL.ERR_SASLTOOLONG, 'SASL message too long');
    return;
  }
  if (data.length === SASL_PIECE) return;
  const encoded = client.sasl.data;
  client.sasl = undefined;
  const [, authcid = '', password = ''] = Buffer.from(encoded, 'base64').toString('utf8').split('\0');
  try {
    const check = checkName(authcid);
    if (!check.ok || password === '') throw new ChatError('BAD_PASSWORD', 'bad SASL PLAIN credentials');
    requireSafePasswordPath(ctx, session);
    const { account } = await authenticate(ctx, session, check.key, check.name, password, false);
    client.account = account;
    if (session.state.kind !== 'greeting') return;
    const mask = `${client.nick === '*' ? account.name : client.nick}!${account.name}@${client.info.name}`;
    client.reply(RPL.RPL_LOGGEDIN, mask, account.name, `You are now logged in as ${account.name}`);
    client.reply(RPL.RPL_SASLSUCCESS, 'SASL authentication successful');
  } catch (err) {
    if (!(err instanceof ChatError)) throw err;
    ctx.log.info('irc-sasl-failed', { session: session.id, address: session.address, reason: err.code });
    client.reply(RPL.ERR_SASLFAIL, `SASL authentication failed: ${err.message}`);
  }
}

/** The name and password a registration logs in with. */
function credentials(client: IrcClient): { name: string; password: string | undefined } {
  if (client.account !== undefined) return { name: client.account.name, password: undefined };
  const given = client.pass;
  if (given === undefined) return { name: client.nick, password: undefined };
  const colon = given.indexOf(':');
  if (colon > 0 && checkName(given.slice(0, colon)).ok) return { name: given.slice(0, colon), password: given.slice(colon + 1) };
  return { name: client.nick, password: given };
}

/** Logs in once NICK and USER are in and CAP negotiation is over. */
export async function tryRegister(ctx: ServerContext, session: Session, client: IrcClient): Promise<void> {
  if (client.welcomed || client.registering || client.negotiating || client.nick === '*' || client.username === undefined) return;
  client.registering = true;
  const { name, password } = credentials(client);
  try {
    const claimed = await claimName(ctx, session, name, { password, verified: client.account, register: false });
    if (claimed === undefined) return;
    client.nick = claimed.name;
    client.welcomed = true;
    session.moveTo(undefined);
    welcome(ctx, session, client);
    if (claimed.account !== undefined) await deliverMailbox(ctx, session, claimed.key);
  } catch (err) {
    if (!(err instanceof ChatError)) throw err;
    refused(ctx, session, client, name, err);
  } finally {
    client.registering = false;
  }
}

function refused(ctx: ServerContext, session: Session, client: IrcClient, name: string, err: ChatError): void {
  const attempted = client.nick;
  client.nick = '*';
  switch (err.code) {
    case 'BAD_NAME':
      client.reply(RPL.ERR_ERRONEUSNICKNAME, name, `Erroneous nickname: ${err.message}`);
      return;
    case 'NAME_TAKEN':
      client.reply(RPL.ERR_NICKNAMEINUSE, name, err.message);
      return;
    case 'PASSWORD_REQUIRED':
      client.reply(RPL.ERR_NICKNAMEINUSE, name, `${name} is registered: log in with SASL PLAIN, or PASS ${name}:password`);
      return;
    case 'BAD_PASSWORD':
      client.reply(RPL.ERR_PASSWDMISMATCH, 'Password incorrect');
      session.endWith('logout', undefined, 'Closing link: bad password');
      return;
    case 'BANNED':
      client.reply(RPL.ERR_YOUREBANNEDCREEP, err.message);
      session.endWith('banned', undefined, `Closing link: ${err.message}`);
      return;
    default:
      ctx.log.info('irc-registration-refused', { session: session.id, name: attempted, code: err.code });
      session.sendError(err.code, err.message);
      session.endWith('logout', undefined, `Closing link: ${err.message}`);
  }
}

/** 001 to 005, LUSERS and the MOTD: what a client waits for before it calls itself connected. */
function welcome(ctx: ServerContext, session: Session, client: IrcClient): void {
  const { info } = client;
  client.reply(RPL.RPL_WELCOME, `Welcome to the ${info.network} IRC network, ${client.source}`);
  client.reply(RPL.RPL_YOURHOST, `Your host is ${info.name}, running version ${info.version}`);
  client.reply(RPL.RPL_CREATED, `This server was created ${new Date(info.createdAt).toUTCString()}`);
  client.reply(RPL.RPL_MYINFO, info.name, info.version, 'io', 'nt');
  for (const tokens of ISUPPORT_LINES(client)) client.reply(RPL.RPL_ISUPPORT, ...tokens, 'are supported by this server');
  lusers(ctx, session, client);
  motd(ctx, session, client);
}
