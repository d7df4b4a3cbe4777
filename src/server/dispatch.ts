import { ChatError, parseClientFrame } from '../protocol/index.js';
import type { ServerContext } from './context.js';
import { OPEN_HANDLERS, USER_HANDLERS, isOpenFrame } from './handlers/index.js';
import type { OpenFrameType, OpenHandler, UserFrameType, UserHandler } from './handlers/types.js';
import type { InRoomState, InputEvent, Session } from './session.js';

// connection → session (telnet, decoder) → here → parse → handler. A
// session's events run one at a time and in order: while an asynchronous
// handler (a login, a history read) runs, later frames and telnet replies
// wait in the session's inbox.

/** How long rate-limit refusals must keep coming before a client is dropped. */
export const FLOOD_KICK_MS = 5000;
/** Past this many waiting events the socket stops being read. */
const INBOX_PAUSE = 256;

const HTTP_REQUEST_LINE = /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) \S+ HTTP\/\d/i;
const HTTP_HOST_HEADER = /^host:/i;

/**
 * Runs one input event of a protocol; returns the promise of an
 * asynchronous handler (the session's later events wait for it).
 */
export type EventRunner = (ctx: ServerContext, session: Session, event: InputEvent) => void | Promise<void>;

/** The line protocol's events. */
export function handleEvent(ctx: ServerContext, session: Session, event: InputEvent): void {
  queueEvent(ctx, session, event, run);
}

/** Runs the event now, or after the asynchronous handler running for this session, in order. */
export function queueEvent(ctx: ServerContext, session: Session, event: InputEvent, runner: EventRunner): void {
  if (!session.open) return;
  if (session.busy) {
    session.inbox.push(event);
    if (session.inbox.length >= INBOX_PAUSE) session.connection.pause();
    return;
  }
  runAndWait(ctx, session, event, runner);
}

function runAndWait(ctx: ServerContext, session: Session, event: InputEvent, runner: EventRunner): void {
  const result = runner(ctx, session, event);
  if (!(result instanceof Promise)) return;
  session.busy = true;
  result
    .catch((err: unknown) => ctx.log.error('handler-failed', { session: session.id, error: err instanceof Error ? err.stack ?? err.message : String(err) }))
    .finally(() => {
      session.busy = false;
      drainInbox(ctx, session, runner);
    });
}

function run(ctx: ServerContext, session: Session, event: InputEvent): void | Promise<void> {
  // Every frame before it is answered: the reply goes out now (it was charged, if at all, on arrival).
  if (event.kind === 'telnet-reply') {
    session.send(event.bytes);
    return;
  }
  session.lastActive = ctx.clock();
  if (!session.frameBucket.take()) {
    refuse(ctx, session, new ChatError('RATE_LIMITED', 'slow down: too many frames'));
    return;
  }
  switch (event.kind) {
    case 'too-long':
      session.sendError('LINE_TOO_LONG', `lines are limited to ${'limit' in event ? event.limit : ctx.options.maxLineBytes} bytes; the rest of that line was discarded`);
      return;
    case 'bad-encoding':
      session.sendError('BAD_ENCODING', 'that line was not valid UTF-8 and was dropped');
      return;
    case 'malformed':
      session.sendError('BAD_FRAME', event.reason);
      return;
    case 'line':
      return runLine(ctx, session, event.text);
  }
}

function runLine(ctx: ServerContext, session: Session, line: string): void | Promise<void> {
  session.linesSeen++;
  // A browser can be made to POST to a local port: its request must not be read as frames.
  if ((session.linesSeen === 1 && HTTP_REQUEST_LINE.test(line)) || HTTP_HOST_HEADER.test(line)) {
    ctx.log.warn('http-request-refused', { session: session.id, address: session.address });
    session.drop('http-request');
    return;
  }
  const parsed = parseClientFrame(line);
  if (!parsed.ok) {
    session.sendError(parsed.code, parsed.message);
    return;
  }
  const frame = parsed.frame;
  let result: void | Promise<void>;
  try {
    if (isOpenFrame(frame)) {
      result = (OPEN_HANDLERS[frame.type] as OpenHandler<OpenFrameType>)(ctx, session, frame);
    } else {
      const state = session.state;
      if (state.kind !== 'active' || state.room === undefined) {
        session.sendError('NOT_LOGGED_IN', 'log in first: LOGIN|name');
        return;
      }
      result = (USER_HANDLERS[frame.type] as UserHandler<UserFrameType>)(ctx, session, frame, state as InRoomState);
    }
  } catch (err) {
    refuse(ctx, session, err);
    return;
  }
  if (result instanceof Promise) return result.catch((err: unknown) => refuse(ctx, session, err));
}

function drainInbox(ctx: ServerContext, session: Session, runner: EventRunner): void {
  while (!session.busy && session.open && session.inbox.length > 0) runAndWait(ctx, session, session.inbox.shift()!, runner);
  if (session.busy || !session.open) return;
  if (session.endWhenIdle) session.end('peer-closed');
  else if (session.connection.paused) session.connection.resume();
}

/** The one place where a refused frame or command becomes an error in its protocol (`ERROR|CODE|text`, an IRC NOTICE). */
export function refuse(ctx: ServerContext, session: Session, err: unknown): void {
  if (!(err instanceof ChatError)) {
    ctx.log.error('handler-failed', { session: session.id, error: err instanceof Error ? err.stack ?? err.message : String(err) });
    session.sendError('UNAVAILABLE', 'the server could not process that frame');
    return;
  }
  if (err.code === 'RATE_LIMITED' && session.noteRateRefusal(ctx.clock(), FLOOD_KICK_MS)) {
    ctx.log.warn('flood', { session: session.id, name: session.name, address: session.address });
    session.endWith('flood', 'RATE_LIMITED', 'too many messages for too long; disconnecting');
    return;
  }
  session.sendError(err.code, err.message);
}
