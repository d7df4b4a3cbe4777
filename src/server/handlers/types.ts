import type { ClientFrame } from '../../protocol/index.js';
import type { ServerContext } from '../context.js';
import type { Session } from '../session.js';

export type FrameType = ClientFrame['type'];
export type FrameOf<T extends FrameType> = Extract<ClientFrame, { type: T }>;

/** A handler may finish at once or return a promise; a session's frames run one at a time. */
export type Handler<T extends FrameType> = (ctx: ServerContext, session: Session, frame: FrameOf<T>) => void | Promise<void>;

/** One handler per frame type: a missing one is a compile error. */
export type HandlerTable = { [T in FrameType]: Handler<T> };
