import { chmodSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';
import { Checkpointer } from './checkpointer.js';
import { prepareDataDir } from './data-dir.js';
import { nameSkeleton } from '../../protocol/index.js';
import type { Account, PrivateMessage, RoomMessage, Store } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS room_messages (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  room_key TEXT NOT NULL,
  room TEXT NOT NULL,
  sender TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS room_messages_by_room ON room_messages (room_key, id);
CREATE TABLE IF NOT EXISTS private_messages (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  sender TEXT NOT NULL,
  sender_key TEXT NOT NULL,
  recipient TEXT NOT NULL,
  recipient_key TEXT NOT NULL,
  body TEXT NOT NULL,
  delivered INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS private_undelivered ON private_messages (recipient_key, id) WHERE delivered = 0;
CREATE TABLE IF NOT EXISTS accounts (
  name_key TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  skeleton TEXT
);
`;

/** Databases from before look-alike names were checked get the column, filled in. */
function addSkeletons(db: Database.Database): void {
  const columns = db.prepare('PRAGMA table_info(accounts)').all() as Array<{ name: string }>;
  if (!columns.some((c) => c.name === 'skeleton')) db.exec('ALTER TABLE accounts ADD COLUMN skeleton TEXT');
  const missing = db.prepare('SELECT name_key, name FROM accounts WHERE skeleton IS NULL').all() as Array<{ name_key: string; name: string }>;
  const fill = db.prepare('UPDATE accounts SET skeleton = ? WHERE name_key = ?');
  db.transaction(() => {
    for (const row of missing) fill.run(nameSkeleton(row.name), row.name_key);
  })();
  db.exec('CREATE INDEX IF NOT EXISTS accounts_by_skeleton ON accounts (skeleton)');
}

export const DATABASE_FILE = 'chat.db';

export interface SqliteStoreOptions {
  /** Checkpoint the WAL on a thread of its own instead of inside commits (the server does). */
  checkpointThread?: boolean;
  onCheckpointError?: (message: string) => void;
}

/** A database that cannot be used as it is; the message names the file and the way out. */
export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
}

/**
 * Opens the database private to this user (SQLite gives the -wal and -shm
 * files the database file's mode), and refuses a damaged one at once rather
 * than failing every request later.
 */
function openChecked(file: string): Database.Database {
  const recover = `stop the server and recover it: sqlite3 ${file} ".recover" | sqlite3 recovered.db, then put recovered.db in its place`;
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit survives a crash of this process (SIGKILL);
    // only a power loss can take the last transactions.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    const problems = (db.pragma('quick_check') as Array<{ quick_check: string }>).map((r) => r.quick_check);
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new DatabaseError(`the database ${file} is damaged (${problems[0]}); ${recover}`);
    }
    db.exec(SCHEMA);
    addSkeletons(db);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof DatabaseError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
      throw new DatabaseError(`the database ${file} is damaged (${(err as Error).message}); ${recover}`);
    }
    if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_CANTOPEN') || code === 'EACCES' || code === 'EPERM') {
      throw new DatabaseError(`cannot open the database ${file} for writing (${(err as Error).message})`);
    }
    throw err;
  }
}

type RoomRow = { time: number; room_key: string; room: string; sender: string; body: string };
type PrivateRow = { id: number; time: number; sender: string; sender_key: string; recipient: string; recipient_key: string; body: string };
type AccountRow = { name_key: string; name: string; secret: string; created_at: number };

/** SQLite in `dataDir/chat.db`, WAL mode; appends batched into one transaction per flush. */
export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private pendingRooms: RoomMessage[] = [];
  private pendingPrivates: PrivateMessage[] = [];
  private readonly insertRooms: BatchInsert<RoomMessage>;
  private readonly insertPrivates: BatchInsert<PrivateMessage>;
  private readonly selectRecent: Database.Statement;
  private readonly selectUndelivered: Database.Statement;
  private readonly setDelivered: Database.Statement;
  private readonly selectSomeUndelivered: Database.Statement;
  private readonly selectMailbox: Database.Statement;
  private readonly selectAccount: Database.Statement;
  private readonly insertAccount: Database.Statement;
  private readonly selectLookalike: Database.Statement;
  private readonly writeBatch: () => void;
  private readonly checkpointer: Checkpointer | undefined;

  constructor(dataDir: string, options: SqliteStoreOptions = {}) {
    this.file = path.join(prepareDataDir(dataDir), DATABASE_FILE);
    this.db = openChecked(this.file);
    if (options.checkpointThread) {
      this.db.pragma('wal_autocheckpoint = 0');
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      this.checkpointer = new Checkpointer(this.file, driver, options.onCheckpointError ?? (() => {}));
    }
    this.insertRooms = new BatchInsert(this.db, 'room_messages', ['time', 'room_key', 'room', 'sender', 'body'], (m, args, at) => {
      args[at] = m.time;
      args[at + 1] = m.roomKey;
      args[at + 2] = m.room;
      args[at + 3] = m.from;
      args[at + 4] = m.message;
    });
    this.insertPrivates = new BatchInsert(
      this.db,
      'private_messages',
      ['time', 'sender', 'sender_key', 'recipient', 'recipient_key', 'body', 'delivered'],
      (m, args, at) => {
        args[at] = m.time;
        args[at + 1] = m.from;
        args[at + 2] = m.fromKey;
        args[at + 3] = m.to;
        args[at + 4] = m.toKey;
        args[at + 5] = m.message;
        args[at + 6] = m.delivered ? 1 : 0;
      },
    );
    this.selectRecent = this.db.prepare(
      'SELECT time, room_key, room, sender, body FROM (SELECT * FROM room_messages WHERE room_key = ? ORDER BY id DESC LIMIT ?) ORDER BY id ASC',
    );
    this.selectUndelivered = this.db.prepare(
      'SELECT id, time, sender, sender_key, recipient, recipient_key, body FROM private_messages WHERE recipient_key = ? AND delivered = 0 ORDER BY id',
    );
    this.setDelivered = this.db.prepare('UPDATE private_messages SET delivered = 1 WHERE id = ?');
    this.selectSomeUndelivered = this.db.prepare(
      'SELECT id, time, sender, sender_key, recipient, recipient_key, body FROM private_messages WHERE recipient_key = ? AND delivered = 0 ORDER BY id LIMIT ?',
    );
    this.selectMailbox = this.db.prepare(
      'SELECT COUNT(*) AS count, COALESCE(SUM(LENGTH(CAST(body AS BLOB))), 0) AS bytes FROM private_messages WHERE recipient_key = ? AND delivered = 0',
    );
    this.selectAccount = this.db.prepare('SELECT name_key, name, secret, created_at FROM accounts WHERE name_key = ?');
    this.insertAccount = this.db.prepare('INSERT OR IGNORE INTO accounts (name_key, name, secret, created_at, skeleton) VALUES (?, ?, ?, ?, ?)');
    this.selectLookalike = this.db.prepare('SELECT name FROM accounts WHERE skeleton = ? AND name_key <> ? LIMIT 1');
    this.writeBatch = this.db.transaction(() => {
      this.insertRooms.run(this.pendingRooms);
      this.insertPrivates.run(this.pendingPrivates);
    });
  }

  appendRoom(message: RoomMessage): void {
    this.pendingRooms.push(message);
  }

  appendPrivate(message: PrivateMessage): void {
    this.pendingPrivates.push(message);
  }

  flush(): void {
    if (this.pendingRooms.length === 0 && this.pendingPrivates.length === 0) return;
    try {
      this.writeBatch();
    } finally {
      // A failed batch is not retried later: its senders are told it was not sent.
      this.pendingRooms = [];
      this.pendingPrivates = [];
    }
  }

  async recentRoom(roomKey: string, limit: number): Promise<RoomMessage[]> {
    this.flush();
    const rows = this.selectRecent.all(roomKey, limit) as RoomRow[];
    return rows.map((r) => ({ time: r.time, roomKey: r.room_key, room: r.room, from: r.sender, message: r.body }));
  }

  async mailbox(toKey: string): Promise<{ count: number; bytes: number }> {
    this.flush();
    return this.selectMailbox.get(toKey) as { count: number; bytes: number };
  }

  async peekUndelivered(toKey: string, limit: number): Promise<Array<PrivateMessage & { ref: string }>> {
    this.flush();
    return (this.selectSomeUndelivered.all(toKey, limit) as PrivateRow[]).map((r) => ({
      time: r.time,
      from: r.sender,
      fromKey: r.sender_key,
      to: r.recipient,
      toKey: r.recipient_key,
      message: r.body,
      delivered: false,
      ref: String(r.id),
    }));
  }

  async markDelivered(_toKey: string, refs: readonly string[]): Promise<void> {
    this.db.transaction(() => {
      for (const ref of refs) this.setDelivered.run(Number(ref));
    })();
  }

  async takeUndelivered(toKey: string): Promise<PrivateMessage[]> {
    this.flush();
    const take = this.db.transaction((key: string) => {
      const rows = this.selectUndelivered.all(key) as PrivateRow[];
      for (const row of rows) this.setDelivered.run(row.id);
      return rows;
    });
    return take(toKey).map((r) => ({
      time: r.time,
      from: r.sender,
      fromKey: r.sender_key,
      to: r.recipient,
      toKey: r.recipient_key,
      message: r.body,
      delivered: true,
    }));
  }

  async getAccount(key: string): Promise<Account | undefined> {
    const row = this.selectAccount.get(key) as AccountRow | undefined;
    return row && { key: row.name_key, name: row.name, secret: row.secret, createdAt: row.created_at };
  }

  async createAccount(account: Account): Promise<boolean> {
    return this.insertAccount.run(account.key, account.name, account.secret, account.createdAt, nameSkeleton(account.name)).changes === 1;
  }

  async lookalikeAccount(skeleton: string, key: string): Promise<string | undefined> {
    return (this.selectLookalike.get(skeleton, key) as { name: string } | undefined)?.name;
  }

  close(): void | Promise<void> {
    if (!this.db.open) return;
    this.flush();
    if (this.checkpointer === undefined) {
      this.db.close();
      return;
    }
    // The last connection to close checkpoints what is left and removes the WAL.
    return this.checkpointer.stop().then(() => {
      this.db.close();
    });
  }
}

/**
 * Inserts many rows with multi-row `INSERT … VALUES (…), (…)` statements of
 * 32 and then single rows: one call into SQLite per 32 rows costs about half
 * as much per row as a call per row.
 */
class BatchInsert<T> {
  static readonly CHUNK = 32;
  private readonly many: Database.Statement;
  private readonly one: Database.Statement;
  private readonly manyArgs: unknown[];
  private readonly oneArgs: unknown[];

  constructor(
    db: Database.Database,
    table: string,
    private readonly columns: readonly string[],
    private readonly bind: (row: T, args: unknown[], at: number) => void,
  ) {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const into = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
    this.many = db.prepare(into + Array(BatchInsert.CHUNK).fill(tuple).join(', '));
    this.one = db.prepare(into + tuple);
    this.manyArgs = new Array(BatchInsert.CHUNK * columns.length);
    this.oneArgs = new Array(columns.length);
  }

  run(rows: readonly T[]): void {
    const width = this.columns.length;
    let i = 0;
    for (; i + BatchInsert.CHUNK <= rows.length; i += BatchInsert.CHUNK) {
      for (let j = 0; j < BatchInsert.CHUNK; j++) this.bind(rows[i + j]!, this.manyArgs, j * width);
      this.many.run(this.manyArgs);
    }
    for (; i < rows.length; i++) {
      this.bind(rows[i]!, this.oneArgs, 0);
      this.one.run(this.oneArgs);
    }
  }
}
