import { RPL, type IrcMessage } from '../../protocol/irc/index.js';
import { ChatError, checkName } from '../../protocol/index.js';
import { verifyPassword } from '../accounts.js';
import type { ServerContext } from '../context.js';
import { queueEvent, refuse } from '../dispatch.js';
import { isOperator } from '../moderation.js';
import type { InputEvent, Session } from '../session.js';
import { fromIrc } from './irc-audience.js';
import { join, kick, part, topic } from './irc-channels.js';
import { IrcClient } from './irc-client.js';
import { away, list, lusers, mode, motd, names, ping, pong, version, who, whois } from './irc-info.js';
import { notice, privmsg, tagmsg } from './irc-messages.js';
import { kill, kline, modlogCommand, muteCommand, unkline, unmuteCommand } from './irc-moderation.js';
import { authenticateCommand, cap, nick, pass, user } from './irc-registration.js';

// connection → session (IRC decoder) → here → command table → handler. As
// for the line protocol, a session's messages run one at a time, in order,
// and every message costs a frame of its budget; a ChatError a handler did
// not turn into a numeric becomes a NOTICE here, in one place.

type IrcHandler = (ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage) => void | Promise<void>;

/** Commands a connection may send before it is registered. */
const BEFORE_REGISTRATION: Readonly<Record<string, IrcHandler>> = {
  CAP: cap,
  NICK: nick,
  USER: user,
  PASS: pass,
  AUTHENTICATE: authenticateCommand,
  PING: ping,
  PONG: pong,
  QUIT: quit,
};

const REGISTERED: Readonly<Record<string, IrcHandler>> = {
  ...BEFORE_REGISTRATION,
  JOIN: join,
  PART: part,
  PRIVMSG: privmsg,
  NOTICE: notice,
  TAGMSG: tagmsg,
  NAMES: names,
  WHO: who,
  WHOIS: whois,
  LIST: list,
  TOPIC: topic,
  MOTD: motd,
  LUSERS: lusers,
  VERSION: version,
  AWAY: away,
  MODE: mode,
  OPER: oper,
  KICK: kick,
  KILL: kill,
  KLINE: kline,
  UNKLINE: unkline,
  MUTE: muteCommand,
  UNMUTE: unmuteCommand,
  MODLOG: modlogCommand,
};

export function handleIrcEvent(ctx: ServerContext, session: Session, event: InputEvent): void {
  queueEvent(ctx, session, event, runIrc);
}

function runIrc(ctx: ServerContext, session: Session, event: InputEvent): void | Promise<void> {
  const client = session.dialect;
  if (!(client instanceof IrcClient)) return;
  session.lastActive = ctx.clock();
  if (!session.frameBucket.take()) {
    refuse(ctx, session, new ChatError('RATE_LIMITED', 'slow down: too many messages'));
    return;
  }
  switch (event.kind) {
    case 'too-long':
      client.reply(RPL.ERR_INPUTTOOLONG, 'Input line was too long');
      return;
    case 'bad-encoding':
      session.send(client.raw('FAIL', '*', 'INVALID_UTF8', 'Message rejected: it was not valid UTF-8'));
      return;
    case 'bad-message':
      return;
    case 'message':
      return runCommand(ctx, session, client, event.message);
  }
}

function runCommand(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): void | Promise<void> {
  const table = client.welcomed ? REGISTERED : BEFORE_REGISTRATION;
  const handler = Object.hasOwn(table, msg.command) ? table[msg.command] : undefined;
  if (handler === undefined) {
    if (!client.welcomed && Object.hasOwn(REGISTERED, msg.command)) client.reply(RPL.ERR_NOTREGISTERED, 'You have not registered');
    else client.reply(RPL.ERR_UNKNOWNCOMMAND, msg.command, 'Unknown command');
    return;
  }
  let result: void | Promise<void>;
  try {
    result = handler(ctx, session, client, msg);
  } catch (err) {
    refuse(ctx, session, err);
    return;
  }
  if (result instanceof Promise) return result.catch((err: unknown) => refuse(ctx, session, err));
}

function quit(_ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): void {
  const reason = msg.params[0] === undefined ? '' : fromIrc(msg.params[0]).slice(0, 390);
  session.leaveNote = reason === '' ? 'Quit' : `Quit: ${reason}`;
  session.end('logout', client.farewell(undefined, `Closing link: ${client.nick} (${session.leaveNote})`));
}

/** OPER name password: the password of an operator's account. */
async function oper(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  const [name = '', password = ''] = msg.params;
  if (name === '' || password === '') {
    client.reply(RPL.ERR_NEEDMOREPARAMS, 'OPER', 'Not enough parameters');
    return;
  }
  const check = checkName(name);
  const account = check.ok ? await ctx.store.getAccount(check.key) : undefined;
  const guard = ctx.loginGuard;
  const checked = await guard.checkPassword(session.address, check.ok ? check.key : name, async () => account !== undefined && (await verifyPassword(password, account.secret)));
  if (checked.refused) throw new ChatError('RATE_LIMITED', checked.reason);
  if (!checked.right || account === undefined) {
    ctx.log.warn('bad-password', { session: session.id, name, address: session.address, during: 'OPER' });
    client.reply(RPL.ERR_PASSWDMISMATCH, 'Password incorrect');
    return;
  }
  if (!(await isOperator(ctx, account.key))) {
    client.reply(RPL.ERR_NOOPERHOST, `${account.name} is not an operator`);
    return;
  }
  if (account.key !== session.user?.key) session.operator = { name: account.name, key: account.key };
  client.oper = true;
  ctx.log.info('oper', { session: session.id, name: session.name, as: account.name });
  client.reply(RPL.RPL_YOUREOPER, 'You are now an IRC operator');
  session.send(`:${client.nick} MODE ${client.nick} :+o\r\n`);
}
