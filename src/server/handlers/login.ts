import { ChatError, checkName, codePointLength, encodeSuccess, nameSkeleton, replacedNotice, untilText } from '../../protocol/index.js';
import { hashPassword, verifyPassword } from '../accounts.js';
import { isLoopback } from '../admission.js';
import type { ServerContext } from '../context.js';
import { addressKey } from '../login-guard.js';
import { moveToRoom } from '../membership.js';
import { isOperator } from '../moderation.js';
import { LOBBY } from '../presence.js';
import type { Session } from '../session.js';
import type { Account } from '../storage/store.js';
import { requireDirectory } from './availability.js';
import type { FrameOf } from './types.js';

export async function login(ctx: ServerContext, session: Session, frame: FrameOf<'LOGIN'>): Promise<void> {
  const claimed = await claimName(ctx, session, frame.name, { password: frame.password, register: true });
  if (claimed === undefined) return;
  const { name, key, account, registered } = claimed;
  const note = account === undefined ? ' (guest)' : registered ? ` (registered: from now on ${name} needs this password)` : '';
  session.send(encodeSuccess(`Welcome, ${name}! You are in ${LOBBY}.${note}`));
  await session.separateLoginReply();
  if (!(await moveToRoom(ctx, session, LOBBY, LOBBY))) return;
  for (const line of ctx.motd.lines) session.send(line);

  if (account !== undefined) await deliverMailbox(ctx, session, key);
}

/** How a login proves its name: a password (which may register a free name), or an account already checked (IRC's SASL). */
export interface Credentials {
  password?: string | undefined;
  /** An account whose password this connection has already given. */
  verified?: Account | undefined;
  /** Whether a password for a free name registers it (the line protocol) or is refused (IRC). */
  register: boolean;
}

export interface Claimed {
  name: string;
  key: string;
  account: Account | undefined;
  /** The account was made by this login. */
  registered: boolean;
}

/**
 * The name checks of every login, whatever the protocol: the name's rules,
 * bans, the password or the guest rules (look-alikes), a stale session of
 * the same account replaced, and the claim across the cluster. Leaves the
 * session 'joining' under its name; undefined if it closed meanwhile.
 */
export async function claimName(ctx: ServerContext, session: Session, raw: string, credentials: Credentials): Promise<Claimed | undefined> {
  const before = session.state;
  if (before.kind !== 'greeting') throw new ChatError('ALREADY_LOGGED_IN', `you are already logged in as ${session.name ?? 'someone'}`);
  const check = checkName(raw);
  if (!check.ok) throw new ChatError('BAD_NAME', check.reason);
  const { key } = check;
  const { password, verified } = credentials;
  const proven = verified !== undefined && verified.key === key;
  if (password !== undefined && !proven) requireSafePasswordPath(ctx, session);
  // A registered user may take their name back from a stale connection of their own, with the password.
  const holder = ctx.presence.user(key);
  if (holder !== undefined && !proven && (password === undefined || (await ctx.store.getAccount(key)) === undefined)) {
    throw new ChatError('NAME_TAKEN', `${check.name} is already online`);
  }
  requireDirectory(ctx);
  await refuseBanned(ctx, session, key, check.name);

  session.setState({ kind: 'authenticating' });
  let account: Account | undefined;
  let registered = false;
  try {
    if (proven) account = verified;
    else if (password === undefined) await requireGuestName(ctx, key, check.name);
    else ({ account, registered } = await authenticate(ctx, session, key, check.name, password, credentials.register));
  } finally {
    // A refused login leaves the connection free to try again.
    if (session.state.kind === 'authenticating') session.setState({ kind: 'greeting' });
  }
  if (!session.open) return undefined;
  const name = account?.name ?? check.name;
  const stale = ctx.presence.user(key);
  if (stale !== undefined && account !== undefined) {
    ctx.log.info('session-replaced', { session: stale.id, by: session.id, name });
    stale.endWith('replaced', undefined, replacedNotice(name));
  }
  if (!(await ctx.directory.claim(session, key, name))) throw new ChatError('NAME_TAKEN', `${name} is already online`);
  if (!session.open) {
    // It closed while the claim was on its way: nobody else will give the name back.
    ctx.directory.release(session, key);
    return undefined;
  }

  session.registered = account !== undefined;
  session.setState({ kind: 'joining', name, key });
  // Read once the name is held here: a mute from now on reaches this session (moderation.ts).
  session.mute = (await ctx.store.sanctionsFor(key, undefined, ctx.clock())).mute;
  if (!session.open) return undefined;
  ctx.log.info('login', { session: session.id, name, registered: account !== undefined, address: session.address, protocol: session.protocol });
  return { name, key, account, registered };
}

/**
 * While a TLS listener exists, a password from another machine must come
 * over TLS: a client pointed at the plain port by mistake would send it in
 * clear text. Loopback is exempt (nothing crosses a network).
 */
export function requireSafePasswordPath(ctx: ServerContext, session: Session): void {
  const { options } = ctx;
  if (options.tlsCert === '' || options.plainPasswords || session.connection.secure || isLoopback(session.address)) return;
  const port = options.tlsPort === 0 ? '' : ` (port ${options.tlsPort})`;
  throw new ChatError('TLS_REQUIRED', `passwords are accepted only over TLS${port} from other machines; reconnect with TLS`);
}

/**
 * A banned name, or any name from a banned address, is refused. An
 * operator's name is spared the address ban (the password still has to be
 * right): an operator behind the troll's address is not locked out.
 */
async function refuseBanned(ctx: ServerContext, session: Session, key: string, name: string): Promise<void> {
  const { ban, addressBan } = await ctx.store.sanctionsFor(key, addressKey(session.address), ctx.clock());
  const because = (reason: string): string => (reason === '' ? '' : `: ${reason}`);
  if (ban !== undefined) throw new ChatError('BANNED', `${ban.name} is banned ${untilText(ban.until)}${because(ban.reason)}`);
  if (addressBan !== undefined && !(await isOperator(ctx, key))) {
    ctx.log.warn('banned-address', { session: session.id, name, address: session.address, ban: addressBan.name });
    throw new ChatError('BANNED', `your address is banned ${untilText(addressBan.until)}${because(addressBan.reason)}`);
  }
}

/** New passwords (a registration's, a PASSWORD change's) have at least --min-password-length characters. */
export function requirePasswordLength(ctx: ServerContext, password: string, who = 'a new password needs'): void {
  const min = ctx.options.minPasswordLength;
  if (codePointLength(password, min) < min) throw new ChatError('BAD_PASSWORD', `${who} at least ${min} characters`);
}

/** Mailbox messages handed to the socket per step; marked delivered once sent on. */
const MAILBOX_STEP = 50;

/**
 * The offline messages, at the pace the client reads them: each step is
 * marked delivered only once the socket has sent it, so a connection lost
 * half way keeps the rest (and at worst the step in flight comes again).
 */
export async function deliverMailbox(ctx: ServerContext, session: Session, key: string): Promise<void> {
  const { count } = await ctx.store.mailbox(key);
  if (count === 0 || !session.loggedIn) return;
  session.sendNotice(`${count} private message${count === 1 ? '' : 's'} arrived while you were away`);
  for (;;) {
    const step = await ctx.store.peekUndelivered(key, MAILBOX_STEP);
    if (step.length === 0 || !session.loggedIn) return;
    for (const m of step) session.send(session.dialect.user({ kind: 'private', from: m.from, message: m.message, time: m.time }));
    await session.outbox.drained();
    if (!session.loggedIn) return;
    await ctx.store.markDelivered(key, step.map((m) => m.ref));
  }
}

async function requireGuestName(ctx: ServerContext, key: string, name: string): Promise<undefined> {
  const account = await ctx.store.getAccount(key);
  if (account !== undefined) {
    throw new ChatError('PASSWORD_REQUIRED', `${account.name} is registered: send LOGIN|${account.name}|password`);
  }
  await refuseLookalike(ctx, key, name);
  return undefined;
}

/**
 * A name that is not registered may not look like one that is, or like
 * someone online (registered names are their owners' and never refused).
 */
async function refuseLookalike(ctx: ServerContext, key: string, name: string): Promise<void> {
  const online = ctx.presence.lookalike(name, key);
  if (online !== undefined) throw new ChatError('NAME_TAKEN', `${name} looks too much like ${online}, who is online`);
  const registered = await ctx.store.lookalikeAccount(nameSkeleton(name), key);
  if (registered !== undefined) throw new ChatError('NAME_TAKEN', `${name} looks too much like the registered name ${registered}`);
}

/** Logs in to a registered name, or registers a free one (with `register`). */
export async function authenticate(
  ctx: ServerContext,
  session: Session,
  key: string,
  name: string,
  password: string,
  register = true,
): Promise<{ account: Account; registered: boolean }> {
  const guard = ctx.loginGuard;
  let account = await ctx.store.getAccount(key);
  if (account === undefined && !register) throw new ChatError('BAD_PASSWORD', `${name} is not a registered name`);
  if (account === undefined) {
    await refuseLookalike(ctx, key, name);
    requirePasswordLength(ctx, password, `${name} is not registered yet, and a new account needs`);
    const allowed = guard.mayRegister(session.address);
    if (allowed.refused) throw new ChatError('RATE_LIMITED', allowed.reason);
    const candidate = await guard.register(session.address, async () => {
      const secret = await hashPassword(password);
      const made: Account = { key, name, secret, createdAt: ctx.clock(), operator: false };
      return (await ctx.store.createAccount(made)) ? made : undefined;
    });
    if (candidate !== undefined) {
      ctx.log.info('register', { session: session.id, name, address: session.address });
      guard.succeeded(session.address, key);
      return { account: candidate, registered: true };
    }
    // Someone registered the name meanwhile: check against theirs.
    account = await ctx.store.getAccount(key);
    if (account === undefined) throw new ChatError('UNAVAILABLE', 'could not register the name; try again');
  }
  const known = account;
  const checked = await guard.checkPassword(session.address, key, () => verifyPassword(password, known.secret));
  if (checked.refused) throw new ChatError('RATE_LIMITED', checked.reason);
  if (!checked.right) {
    ctx.log.warn('bad-password', { session: session.id, name: account.name, address: session.address });
    throw new ChatError('BAD_PASSWORD', `wrong password for ${account.name}`);
  }
  return { account, registered: false };
}
