import type { ErrorCode } from './frames.js';

/** The one error a handler throws to refuse a frame. It is turned into `ERROR|code|message` in exactly one place. */
export class ChatError extends Error {
  override readonly name = 'ChatError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
