// Shared set-up of the cluster test files: one leased database of the shared
// Redis per file, everything started by a test stopped after it, and the
// small matchers those tests use for notices.

import { afterAll, afterEach, beforeAll } from 'vitest';
import { closeAllClients } from './line-client.js';
import { PUBSUB_WAIT_MS, sharedRedis, type SharedRedis } from './redis.js';
import { closeAllServers, killAllChildren, removeTempDirs } from './server.js';

/** How long a line may take to cross from one node to another. */
export const CROSS_MS = 3_000;

/** Registers the file's hooks; the returned object is usable inside tests. */
export function useSharedRedis(): { readonly url: string } {
  let redis: SharedRedis | undefined;
  beforeAll(async () => {
    redis = await sharedRedis({ pubsub: true });
  }, PUBSUB_WAIT_MS + 10_000);
  afterEach(async () => {
    await closeAllClients();
    await closeAllServers();
    await killAllChildren();
    await redis?.flush();
  });
  afterAll(async () => {
    await redis?.release();
    removeTempDirs();
  });
  return {
    get url() {
      if (redis === undefined) throw new Error('the shared Redis is not set up yet');
      return redis.url;
    },
  };
}

/** Matches the SYSTEM line with exactly this text. */
export const notice = (text: string) => (line: string) => line === `SYSTEM|${text}`;
/** Matches a SYSTEM line starting with this text (a leave notice may add its reason). */
export const startsNotice = (text: string) => (line: string) => line.startsWith(`SYSTEM|${text}`);
