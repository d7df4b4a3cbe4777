import { ChatError, PASSWORD_CHANGED, encodeSystem } from '../../protocol/index.js';
import { hashPassword, verifyPassword } from '../accounts.js';
import type { ServerContext } from '../context.js';
import type { InRoomState, Session } from '../session.js';
import { requirePasswordLength, requireSafePasswordPath } from './login.js';
import type { FrameOf } from './types.js';

/** PASSWORD|old|new: one's own password, the old one checked like a login's (and throttled alike). */
export async function password(ctx: ServerContext, session: Session, frame: FrameOf<'PASSWORD'>, me: InRoomState): Promise<void> {
  if (!session.registered) throw new ChatError('NOT_ALLOWED', 'guests have no password: log in with LOGIN|name|password to register a name');
  requireSafePasswordPath(ctx, session);
  requirePasswordLength(ctx, frame.password);
  const account = await ctx.store.getAccount(me.key);
  if (account === undefined) throw new ChatError('NOT_ALLOWED', `${me.name} is no longer registered`);
  const guard = ctx.loginGuard;
  const checked = await guard.checkPassword(session.address, me.key, () => verifyPassword(frame.old, account.secret));
  if (checked.refused) throw new ChatError('RATE_LIMITED', checked.reason);
  if (!checked.right) {
    ctx.log.warn('bad-password', { session: session.id, name: me.name, address: session.address, change: true });
    throw new ChatError('BAD_PASSWORD', 'the old password is wrong; your password was not changed');
  }
  const secret = await hashPassword(frame.password);
  let changed: boolean;
  try {
    changed = await ctx.store.setSecret(me.key, secret);
  } catch {
    throw new ChatError('UNAVAILABLE', 'the new password could not be stored; the old one still works');
  }
  if (!changed) throw new ChatError('NOT_ALLOWED', `${me.name} is no longer registered`);
  ctx.log.info('password-changed', { session: session.id, name: me.name, address: session.address });
  session.send(encodeSystem(PASSWORD_CHANGED));
}
