import { statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { connectRedis, redactUrl } from '../redis-connections.js';
import { DataDirError } from '../storage/data-dir.js';
import { RedisStore } from '../storage/redis-store.js';
import { DATABASE_FILE, DatabaseError, SqliteStore } from '../storage/sqlite-store.js';
import type { Store } from '../storage/store.js';

// The store of a server, opened by the admin CLI beside the running server:
// the SQLite database of a data directory (WAL mode and a busy timeout let a
// second process write), or the Redis of a cluster. Unlike the server, this
// never creates anything: an admin command pointed at the wrong folder must
// fail rather than leave an empty database there.

export type AdminTarget = { kind: 'sqlite'; dataDir: string } | { kind: 'redis'; url: string; caFile?: string | undefined };

export interface AdminStore {
  store: Store;
  /** What was opened, for messages: the database file or the redacted URL. */
  where: string;
  close(): Promise<void>;
}

/** The store could not be opened; the message is the one line to show. */
export class AdminStoreError extends Error {
  override readonly name = 'AdminStoreError';
}

/** Redis connection warnings are not shown: a failure to connect is reported once, as the error. */
const quiet: Logger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

export async function openAdminStore(target: AdminTarget): Promise<AdminStore> {
  return target.kind === 'sqlite' ? openSqlite(target.dataDir) : openRedis(target.url, target.caFile);
}

function openSqlite(dataDir: string): AdminStore {
  const file = path.join(dataDir, DATABASE_FILE);
  // Checked before SqliteStore, which would create the folder and the database.
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    // missing, or a part of the path is not a folder: both mean no database here
  }
  if (!isFile) throw new AdminStoreError(`no database at ${file} (is --data-dir right?)`);
  let store: SqliteStore;
  try {
    // No checkpoint thread: that is the server's; this process commits a few rows and leaves.
    store = new SqliteStore(dataDir);
  } catch (err) {
    if (err instanceof DatabaseError || err instanceof DataDirError) throw new AdminStoreError(err.message);
    throw new AdminStoreError(`cannot open the database ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    store,
    where: file,
    async close() {
      await store.close();
    },
  };
}

async function openRedis(url: string, caFile: string | undefined): Promise<AdminStore> {
  let redis;
  try {
    redis = await connectRedis(url, quiet, { caFile });
  } catch (err) {
    throw new AdminStoreError(err instanceof Error ? err.message : String(err));
  }
  const store = new RedisStore(redis.client);
  return {
    store,
    where: redactUrl(url),
    async close() {
      await store.close();
      await redis.close();
    },
  };
}
