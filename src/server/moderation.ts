import { ChatError, mutedNotice, nameKey, removedNotice, unmutedNotice, untilText } from '../protocol/index.js';
import type { ServerContext } from './context.js';
import { addressKey } from './login-guard.js';
import type { Session } from './session.js';
import type { Sanction } from './storage/store.js';

// What a moderation action does to the users of this node. The operator's
// node stores the action, carries it out on its own sessions and sends the
// same command to every other node, where this module carries it out too:
// only the node holding the user finds them. Sanctions in force are read
// from the store at login; a session keeps its mute for the TEXT path.

export type ModerationCommand =
  | { type: 'kick'; key: string; by: string; reason: string }
  | { type: 'ban'; key: string; by: string; reason: string; until: number }
  | { type: 'mute'; key: string; by: string; reason: string; until: number }
  | { type: 'unmute'; key: string; by: string };

/** Longest reason of a KICK, BAN or MUTE, in characters. */
export const MAX_REASON_CHARS = 300;

/** Whether the registered name `key` may moderate: given with --operator, or granted in the store. */
export async function isOperator(ctx: ServerContext, key: string): Promise<boolean> {
  const listed = ctx.options.operators.some((name) => nameKey(name) === key);
  const account = await ctx.store.getAccount(key);
  return account !== undefined && (listed || account.operator);
}

/** The mute in force on a session now, if any (an expired one is dropped). */
export function muteOf(ctx: ServerContext, session: Session): Sanction | undefined {
  const mute = session.mute;
  if (mute === undefined) return undefined;
  if (mute.until !== 0 && mute.until <= ctx.clock()) {
    session.mute = undefined;
    return undefined;
  }
  return mute;
}

/** TEXT, PRIVATE and JOIN of a muted user are refused. */
export function requireUnmuted(ctx: ServerContext, session: Session): void {
  const mute = muteOf(ctx, session);
  if (mute === undefined) return;
  throw new ChatError('MUTED', `you are muted ${untilText(mute.until)} by ${mute.by}; you can still read and use USERS, ROOMS and HISTORY`);
}

/** Carries a command out here and sends it to every other node. */
export function enforce(ctx: ServerContext, command: ModerationCommand): Promise<void> {
  ctx.relay.toOtherNodes(JSON.stringify(command));
  return applyHere(ctx, command);
}

/** A command from another node. */
export function applyFromBus(ctx: ServerContext, body: string): void {
  let command: ModerationCommand;
  try {
    command = JSON.parse(body) as ModerationCommand;
  } catch {
    ctx.log.warn('bad-control-message', { bytes: body.length });
    return;
  }
  applyHere(ctx, command).catch((err: unknown) =>
    ctx.log.error('moderation-failed', { action: command.type, error: err instanceof Error ? err.message : String(err) }),
  );
}

async function applyHere(ctx: ServerContext, command: ModerationCommand): Promise<void> {
  const session = ctx.presence.user(command.key);
  switch (command.type) {
    case 'kick':
      if (session !== undefined) remove(session, 'kicked', command.by, command.reason);
      return;
    case 'ban': {
      // The address goes into the ban before the user goes: reconnecting under another name is no way round it.
      const address = session !== undefined ? addressKey(session.address) : ctx.departed.get(command.key);
      if (address !== undefined) await ctx.store.addBanAddresses(command.key, [address]);
      const now = ctx.presence.user(command.key);
      if (now !== undefined) remove(now, 'banned', command.by, command.reason, command.until);
      return;
    }
    case 'mute':
      if (session === undefined) return;
      session.mute = { kind: 'mute', key: command.key, name: session.name ?? command.key, until: command.until, by: command.by, reason: command.reason, at: ctx.clock(), addresses: [] };
      session.sendNotice(mutedNotice(command.by, command.until, command.reason));
      return;
    case 'unmute':
      if (session === undefined || session.mute === undefined) return;
      session.mute = undefined;
      session.sendNotice(unmutedNotice(command.by));
  }
}

/** Ends a kicked or banned session; its room is told who did it and why. */
function remove(session: Session, action: 'kicked' | 'banned', by: string, reason: string, until?: number): void {
  session.leaveNote = `${action} by ${by}${reason === '' ? '' : `: ${reason}`}`;
  session.endWith(action, undefined, removedNotice(action, by, reason, until));
}
