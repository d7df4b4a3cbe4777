import { RPL, type IrcMessage } from '../../protocol/irc/index.js';
import { ChatError, MAX_SANCTION_MINUTES } from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import { ban, kick, modlog, mute, unban, unmute } from '../handlers/moderation.js';
import type { Session } from '../session.js';
import { fromIrc } from './irc-audience.js';
import { me } from './irc-channels.js';
import type { IrcClient } from './irc-client.js';

// The server's moderation in IRC's words, for operators (an operator's
// account, or OPER): KILL disconnects, KLINE and UNKLINE are the name and
// address ban, MUTE and UNMUTE keep a user reading only, MODLOG shows the
// log. The same handlers as the line protocol's frames; their answers and
// refusals come back as NOTICEs. Bans are server-wide: a channel's +b list
// stays empty, since nothing here is one channel's.

/** Whoever acts: the account OPER proved, or the session's own. */
const actor = (session: Session) => session.operator ?? me(session);

/** Runs an operator's command; a refusal for want of the right is IRC's 481, other refusals NOTICEs. */
async function asOperator(client: IrcClient, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof ChatError) || err.code !== 'NOT_ALLOWED' || !err.message.startsWith('only operators')) throw err;
    client.reply(RPL.ERR_NOPRIVILEGES, "Permission Denied- You're not an IRC operator");
  }
}

function needMore(client: IrcClient, command: string, count: number, msg: IrcMessage): boolean {
  if (msg.params.length >= count && msg.params[count - 1] !== '') return false;
  client.reply(RPL.ERR_NEEDMOREPARAMS, command, 'Not enough parameters');
  return true;
}

/** A whole number parameter, or undefined when it is not one. */
function countOf(raw: string | undefined): number | undefined {
  return raw !== undefined && /^[0-9]{1,9}$/.test(raw) ? Number(raw) : undefined;
}

/** KILL nick [:reason] */
export async function kill(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  if (needMore(client, 'KILL', 1, msg)) return;
  await asOperator(client, () => kick(ctx, session, { name: msg.params[0]!, reason: fromIrc(msg.params[1] ?? '') }, actor(session)));
}

/** `[minutes] nick [:reason]`: no minutes, or 0, until lifted. */
function sanctionParams(client: IrcClient, command: string, msg: IrcMessage): { name: string; minutes: number; reason: string } | undefined {
  const minutes = msg.params.length >= 2 ? countOf(msg.params[0]) : undefined;
  if (minutes !== undefined && minutes > MAX_SANCTION_MINUTES) {
    throw new ChatError('BAD_FRAME', `at most ${MAX_SANCTION_MINUTES} minutes (ten years); 0 or none means until lifted`);
  }
  const rest = minutes === undefined ? msg.params : msg.params.slice(1);
  if (rest[0] === undefined || rest[0] === '') {
    client.reply(RPL.ERR_NEEDMOREPARAMS, command, 'Not enough parameters');
    return undefined;
  }
  return { name: rest[0], minutes: minutes ?? 0, reason: fromIrc(rest[1] ?? '') };
}

/** KLINE [minutes] nick [:reason] */
export async function kline(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  const params = sanctionParams(client, 'KLINE', msg);
  if (params !== undefined) await asOperator(client, () => ban(ctx, session, { type: 'BAN', ...params }, actor(session)));
}

/** MUTE [minutes] nick [:reason] */
export async function muteCommand(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  const params = sanctionParams(client, 'MUTE', msg);
  if (params !== undefined) await asOperator(client, () => mute(ctx, session, { type: 'MUTE', ...params }, actor(session)));
}

/** UNKLINE nick */
export async function unkline(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  if (needMore(client, 'UNKLINE', 1, msg)) return;
  await asOperator(client, () => unban(ctx, session, { type: 'UNBAN', name: msg.params[0]! }, actor(session)));
}

/** UNMUTE nick */
export async function unmuteCommand(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  if (needMore(client, 'UNMUTE', 1, msg)) return;
  await asOperator(client, () => unmute(ctx, session, { type: 'UNMUTE', name: msg.params[0]! }, actor(session)));
}

/** MODLOG [count] */
export async function modlogCommand(ctx: ServerContext, session: Session, client: IrcClient, msg: IrcMessage): Promise<void> {
  const count = countOf(msg.params[0]);
  await asOperator(client, () => modlog(ctx, session, count === undefined || count === 0 ? { type: 'MODLOG' } : { type: 'MODLOG', count }, actor(session)));
}
