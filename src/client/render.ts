import type { ChalkInstance } from 'chalk';
import stringWidth from 'string-width';
import { PASSWORD_CHANGED, escapeUnsafe, nameKey, noticeLevel, type NoticeLevel, type ServerFrame } from '../protocol/index.js';

// ServerFrame → one printable line. Pure: the chalk instance and the clock
// are given. Every field that came from the network passes through
// escapeUnsafe, so no control or escape character from anyone else can
// reach the terminal; the only escapes in the output are chalk's own.

export interface RenderContext {
  chalk: ChalkInstance;
  now: () => Date;
  /** Our own name, to tell our messages apart. */
  self: string;
  /** The room we are in, for the /users answer. */
  room: string;
}

export type NoticeKind = NoticeLevel;

const two = (n: number): string => String(n).padStart(2, '0');

/** `HH:MM` in local time. */
export function clockTime(date: Date): string {
  return `${two(date.getHours())}:${two(date.getMinutes())}`;
}

function sameLocalDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** `[HH:MM]`, or `[YYYY-MM-DD HH:MM]` for a time on another day than `now`. */
export function stamp(date: Date, now: Date): string {
  if (Number.isNaN(date.getTime())) return '[--:--]';
  if (sameLocalDay(date, now)) return `[${clockTime(date)}]`;
  return `[${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${clockTime(date)}]`;
}

type ColorName =
  | 'red'
  | 'green'
  | 'yellow'
  | 'blue'
  | 'magenta'
  | 'cyan'
  | 'redBright'
  | 'greenBright'
  | 'yellowBright'
  | 'blueBright'
  | 'magentaBright'
  | 'cyanBright';

/** Colours for other people's names; white and grey are kept for us and for notices. */
export const NAME_PALETTE: readonly ColorName[] = [
  'cyan',
  'green',
  'yellow',
  'blue',
  'magenta',
  'red',
  'cyanBright',
  'greenBright',
  'yellowBright',
  'blueBright',
  'magentaBright',
  'redBright',
];

/** A stable colour for a name: FNV-1a over its case-insensitive key. */
export function colorForName(name: string): ColorName {
  let hash = 0x811c9dc5;
  for (const ch of nameKey(name)) {
    hash ^= ch.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return NAME_PALETTE[hash % NAME_PALETTE.length]!;
}

function isSelf(name: string, ctx: RenderContext): boolean {
  return ctx.self !== '' && nameKey(name) === nameKey(ctx.self);
}

/** A sender's name, sanitised and coloured; our own name is bold white. */
export function styleName(name: string, ctx: RenderContext): string {
  const safe = escapeUnsafe(name);
  if (isSelf(name, ctx)) return ctx.chalk.bold.whiteBright(safe);
  return ctx.chalk.bold[colorForName(name)](safe);
}

function timePrefix(ctx: RenderContext, date?: Date): string {
  const now = ctx.now();
  return ctx.chalk.gray(stamp(date ?? now, now));
}

/** A line the client itself prints (not from the server). */
export function renderNotice(kind: NoticeKind, text: string, ctx: RenderContext): string {
  const c = ctx.chalk;
  const body = escapeUnsafe(text);
  switch (kind) {
    case 'info':
      return `${timePrefix(ctx)} ${c.dim(`* ${body}`)}`;
    case 'ok':
      return `${timePrefix(ctx)} ${c.green(`* ${body}`)}`;
    case 'warn':
      return `${timePrefix(ctx)} ${c.yellow(`! ${body}`)}`;
    case 'error':
      return `${timePrefix(ctx)} ${c.red(`! ${body}`)}`;
  }
}

/** The server's answer to our own PASSWORD change, when it went through. */
export function isPasswordChanged(text: string): boolean {
  return text === PASSWORD_CHANGED;
}

/** One server frame as one line; undefined for frames with nothing to show. */
export function renderFrame(frame: ServerFrame, ctx: RenderContext): string | undefined {
  const c = ctx.chalk;
  const s = escapeUnsafe;
  switch (frame.type) {
    case 'SUCCESS':
      return renderNotice('ok', frame.text, ctx);
    case 'ERROR':
      return `${timePrefix(ctx)} ${c.red(`! ${s(frame.text)} [${s(frame.code)}]`)}`;
    case 'SYSTEM':
      return renderNotice(noticeLevel(frame.text), frame.text, ctx);
    case 'TEXT': {
      const text = isSelf(frame.from, ctx) ? c.white(s(frame.message)) : s(frame.message);
      return `${timePrefix(ctx)} ${styleName(frame.from, ctx)}: ${text}`;
    }
    case 'PRIVATE':
      return `${timePrefix(ctx)} ${c.magenta.bold('[private]')} ${styleName(frame.from, ctx)} ${c.magenta('→ you')}: ${c.magenta(s(frame.message))}`;
    case 'SENT':
      return `${timePrefix(ctx)} ${c.magenta.bold('[private]')} ${c.magenta('you →')} ${styleName(frame.to, ctx)}: ${c.magenta(s(frame.message))}`;
    case 'HISTORY': {
      const when = new Date(frame.time);
      return `${timePrefix(ctx, when)} ${c.dim('(history)')} ${styleName(frame.from, ctx)}: ${c.dim(s(frame.message))}`;
    }
    case 'USERS': {
      const names = frame.names.map((n) => styleName(n, ctx)).join(', ');
      const who = frame.count === 1 ? 'person' : 'people';
      return `${timePrefix(ctx)} ${c.dim(`* ${frame.count} ${who} in ${s(ctx.room)}:`)} ${names}`;
    }
    case 'ROOMS': {
      if (frame.rooms.length === 0) return renderNotice('info', 'no rooms', ctx);
      const rooms = frame.rooms.map((r) => `${c.bold(s(r.room))} (${r.count})`).join(', ');
      return `${timePrefix(ctx)} ${c.dim('* rooms:')} ${rooms}`;
    }
    case 'PONG':
      return renderNotice('info', `pong ${frame.token}`, ctx);
    case 'TOPIC':
      return renderNotice('info', frame.topic === '' ? `${frame.room} has no topic` : `topic of ${frame.room}: ${frame.topic}`, ctx);
    case 'STATS': {
      const pairs = Object.entries(frame.stats).map(([k, v]) => `${k}=${v}`);
      return renderNotice('info', `stats: ${pairs.join(' ')}`, ctx);
    }
  }
}

/** What the prompt shows: who, where, and whether the connection is up. */
export interface PromptState {
  name: string;
  room: string;
  connection: 'idle' | 'connecting' | 'logging-in' | 'online' | 'waiting' | 'closed';
  queued: number;
}

/** The input prompt, which doubles as the status line: `alice@lobby> `, with the state when not online. */
export function renderPrompt(state: PromptState, chalk: ChalkInstance): string {
  const who = `${chalk.bold(escapeUnsafe(state.name))}${chalk.gray('@')}${chalk.cyan(escapeUnsafe(state.room))}`;
  const flags: string[] = [];
  switch (state.connection) {
    case 'online':
      break;
    case 'waiting':
      flags.push(chalk.red('offline, reconnecting'));
      break;
    case 'connecting':
    case 'logging-in':
      flags.push(chalk.yellow('connecting'));
      break;
    case 'closed':
    case 'idle':
      flags.push(chalk.red('disconnected'));
      break;
  }
  if (state.queued > 0) flags.push(chalk.yellow(`${state.queued} queued`));
  const status = flags.length === 0 ? '' : ` ${chalk.gray('[')}${flags.join(chalk.gray(', '))}${chalk.gray(']')}`;
  return `${who}${status}${chalk.gray('>')} `;
}

/** Columns a string takes on a terminal: colour codes take none, wide (CJK, emoji) characters two, marks none. */
export function displayWidth(text: string): number {
  return stringWidth(text);
}
