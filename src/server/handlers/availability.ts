import { ChatError } from '../../protocol/index.js';
import type { ServerContext } from '../context.js';

/** Frames that need the cluster's shared state are refused, not dropped, while it is unreachable. */
export function requireDirectory(ctx: ServerContext): void {
  if (!ctx.directory.available) {
    throw new ChatError('UNAVAILABLE', 'the cluster store is unreachable; try again shortly');
  }
}
