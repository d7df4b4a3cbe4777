import { ChatError, checkName, codePointLength, doneNotice, liftedNotice, stripUnsafe, untilText } from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import { addressKey } from '../login-guard.js';
import { MAX_REASON_CHARS, enforce, isOperator } from '../moderation.js';
import type { Session, User } from '../session.js';
import type { ModerationAction, ModlogEntry } from '../storage/store.js';
import { requireDirectory } from './availability.js';
import { sendCharged, type FrameOf, type FrameType } from './types.js';

// KICK, BAN, UNBAN, MUTE, UNMUTE and MODLOG: frames of operators alone.
// Each action is stored (the sanction, and the moderation log) before it
// takes effect, logged as an event, and carried out on every node.

/** MODLOG without a count, and the most one MODLOG returns. */
export const DEFAULT_MODLOG_COUNT = 20;
export const MAX_MODLOG_COUNT = 500;

const STORE_FAILED = 'the moderation store could not be written, so nothing was done; try again';

/** Only a registered operator who logged in with the password (or gave it to IRC's OPER) may moderate. */
async function requireOperator(ctx: ServerContext, session: Session, me: User, type: FrameType | 'KICK'): Promise<void> {
  const proven = me.key === session.user?.key ? session.registered : session.operator?.key === me.key;
  if (proven && (await isOperator(ctx, me.key))) return;
  throw new ChatError('NOT_ALLOWED', `only operators may send ${type}`);
}

interface Target {
  key: string;
  name: string;
}

/** The user an action is aimed at: a valid name, not oneself, not an operator. */
async function requireTarget(ctx: ServerContext, me: User, raw: string): Promise<Target> {
  const check = checkName(raw);
  if (!check.ok) throw new ChatError('NO_SUCH_USER', `no user called ${stripUnsafe(raw).slice(0, 64)}`);
  if (check.key === me.key) throw new ChatError('NOT_ALLOWED', 'you cannot do that to yourself');
  if (await isOperator(ctx, check.key)) throw new ChatError('NOT_ALLOWED', `${check.name} is an operator`);
  const account = await ctx.store.getAccount(check.key);
  return { key: check.key, name: ctx.presence.user(check.key)?.name ?? account?.name ?? check.name };
}

function cleanReason(raw: string): string {
  const reason = stripUnsafe(raw).trim();
  if (reason.length > MAX_REASON_CHARS && codePointLength(reason, MAX_REASON_CHARS) > MAX_REASON_CHARS) {
    throw new ChatError('BAD_FRAME', `reasons are limited to ${MAX_REASON_CHARS} characters`);
  }
  return reason;
}

/** `for 10 minutes (until …)` or `until lifted`. */
function duration(minutes: number, until: number): string {
  return minutes === 0 ? untilText(0) : `for ${minutes} minute${minutes === 1 ? '' : 's'} (${untilText(until)})`;
}

const because = (reason: string): string => (reason === '' ? '' : `: ${reason}`);

/** The action as the moderation log keeps it. */
function entry(ctx: ServerContext, fields: Omit<ModlogEntry, 'time'>): ModlogEntry {
  return { time: ctx.clock(), ...fields };
}

/** Every action stored is one event in the server's log too. */
function logEvent(ctx: ServerContext, { time: _time, ...fields }: ModlogEntry): void {
  ctx.log.info('moderation', fields);
}

async function stored<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (err instanceof ChatError) throw err;
    throw new ChatError('UNAVAILABLE', STORE_FAILED);
  }
}

export async function kick(ctx: ServerContext, session: Session, frame: Pick<FrameOf<'KICK'>, 'name' | 'reason'>, me: User): Promise<void> {
  requireDirectory(ctx);
  await requireOperator(ctx, session, me, 'KICK');
  const reason = cleanReason(frame.reason);
  const target = await requireTarget(ctx, me, frame.name);
  const online = await ctx.directory.locate(target.key);
  if (online === undefined) throw new ChatError('NO_SUCH_USER', `${target.name} is not online`);
  const done = entry(ctx, { operator: me.name, action: 'kick', target: online.name, reason });
  await stored(ctx.store.appendModlog(done));
  logEvent(ctx, done);
  await enforce(ctx, { type: 'kick', key: target.key, by: me.name, reason });
  session.sendNotice(doneNotice('kicked', online.name, '', reason));
}

/** BAN and MUTE: the sanction and its log entry stored at once, then carried out on every node. */
async function impose(ctx: ServerContext, session: Session, frame: FrameOf<'BAN' | 'MUTE'>, me: User): Promise<void> {
  requireDirectory(ctx);
  await requireOperator(ctx, session, me, frame.type);
  const reason = cleanReason(frame.reason);
  const target = await requireTarget(ctx, me, frame.name);
  const kind: 'ban' | 'mute' = frame.type === 'BAN' ? 'ban' : 'mute';
  const now = ctx.clock();
  const until = frame.minutes === 0 ? 0 : now + frame.minutes * 60_000;
  // A ban also holds the address the user is on, or just left from.
  const here = ctx.presence.user(target.key);
  const address = kind === 'mute' ? undefined : here !== undefined ? addressKey(here.address) : ctx.departed.get(target.key);
  const sanction = { kind, key: target.key, name: target.name, until, by: me.name, reason, at: now, addresses: address === undefined ? [] : [address] };
  const done = entry(ctx, { operator: me.name, action: kind, target: target.name, minutes: frame.minutes, reason });
  await stored(ctx.store.putSanction(sanction, done));
  logEvent(ctx, done);
  await stored(enforce(ctx, { type: kind, key: target.key, by: me.name, reason, until }));
  session.sendNotice(doneNotice(kind === 'ban' ? 'banned' : 'muted', target.name, duration(frame.minutes, until), reason));
}

export function ban(ctx: ServerContext, session: Session, frame: FrameOf<'BAN'>, me: User): Promise<void> {
  return impose(ctx, session, frame, me);
}

export function mute(ctx: ServerContext, session: Session, frame: FrameOf<'MUTE'>, me: User): Promise<void> {
  return impose(ctx, session, frame, me);
}

/** UNBAN and UNMUTE. */
async function lift(ctx: ServerContext, session: Session, me: User, raw: string, kind: 'ban' | 'mute'): Promise<void> {
  requireDirectory(ctx);
  const type = kind === 'ban' ? 'UNBAN' : 'UNMUTE';
  await requireOperator(ctx, session, me, type);
  const check = checkName(raw);
  if (!check.ok) throw new ChatError('NO_SUCH_USER', `no user called ${stripUnsafe(raw).slice(0, 64)}`);
  const action: ModerationAction = kind === 'ban' ? 'unban' : 'unmute';
  const done = entry(ctx, { operator: me.name, action, target: check.name, reason: '' });
  const lifted = await stored(ctx.store.liftSanction(kind, check.key, done));
  const past = kind === 'ban' ? 'banned' : 'muted';
  if (!lifted) {
    session.sendNotice(`${check.name} is not ${past}`);
    return;
  }
  logEvent(ctx, done);
  if (kind === 'mute') await enforce(ctx, { type: 'unmute', key: check.key, by: me.name });
  session.sendNotice(liftedNotice(check.name, past));
}

export function unban(ctx: ServerContext, session: Session, frame: FrameOf<'UNBAN'>, me: User): Promise<void> {
  return lift(ctx, session, me, frame.name, 'ban');
}

export function unmute(ctx: ServerContext, session: Session, frame: FrameOf<'UNMUTE'>, me: User): Promise<void> {
  return lift(ctx, session, me, frame.name, 'mute');
}

const PAST: Record<ModerationAction, string> = { kick: 'kicked', ban: 'banned', unban: 'unbanned', mute: 'muted', unmute: 'unmuted' };

/** One MODLOG line: `2026-12-02T03:10:00Z alice banned bob for 10 minutes: spam`. */
export function modlogLine(entry: ModlogEntry): string {
  const time = new Date(entry.time).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const span =
    entry.minutes === undefined ? '' : entry.minutes === 0 ? ' until lifted' : ` for ${entry.minutes} minute${entry.minutes === 1 ? '' : 's'}`;
  return `${time} ${entry.operator} ${PAST[entry.action]} ${entry.target}${span}${because(entry.reason)}`;
}

export async function modlog(ctx: ServerContext, session: Session, frame: FrameOf<'MODLOG'>, me: User): Promise<void> {
  await requireOperator(ctx, session, me, 'MODLOG');
  const count = Math.min(frame.count ?? DEFAULT_MODLOG_COUNT, MAX_MODLOG_COUNT);
  const entries = await ctx.store.recentModlog(count);
  if (entries.length === 0) {
    session.sendNotice('no moderation actions yet');
    return;
  }
  sendCharged(session, ...entries.map((e) => session.dialect.notice(modlogLine(e))));
}
