import { chmodSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';
import { Checkpointer } from './checkpointer.js';
import { BatchInsert } from './batch-insert.js';
import { prepareDataDir } from './data-dir.js';
import { migrateRoomIndex, ROOM_SCHEMA, RoomLog } from './room-log.js';
import { nameSkeleton } from '../../protocol/index.js';
import type { Account, ModlogEntry, PrivateMessage, RoomMessage, RoomTopic, Sanction, SanctionKind, Sanctions, Store } from './store.js';

const SCHEMA = `
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
CREATE TABLE IF NOT EXISTS sanctions (
  kind TEXT NOT NULL,
  name_key TEXT NOT NULL,
  name TEXT NOT NULL,
  until INTEGER NOT NULL,
  by_name TEXT NOT NULL,
  reason TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (kind, name_key)
);
CREATE TABLE IF NOT EXISTS ban_addresses (
  address TEXT NOT NULL,
  name_key TEXT NOT NULL,
  PRIMARY KEY (address, name_key)
);
CREATE INDEX IF NOT EXISTS ban_addresses_by_name ON ban_addresses (name_key);
CREATE TABLE IF NOT EXISTS modlog (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  operator TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  minutes INTEGER,
  reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS room_topics (
  room_key TEXT PRIMARY KEY,
  room TEXT NOT NULL,
  topic TEXT NOT NULL,
  set_by TEXT NOT NULL,
  set_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS health (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  checked_at INTEGER NOT NULL
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

/** Databases from before operators were granted in the store get the column. */
function addOperatorColumn(db: Database.Database): void {
  const columns = db.prepare('PRAGMA table_info(accounts)').all() as Array<{ name: string }>;
  if (!columns.some((c) => c.name === 'operator')) db.exec('ALTER TABLE accounts ADD COLUMN operator INTEGER NOT NULL DEFAULT 0');
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
    db.exec(ROOM_SCHEMA);
    db.exec(SCHEMA);
    migrateRoomIndex(db);
    addSkeletons(db);
    addOperatorColumn(db);
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

type PrivateRow = { id: number; time: number; sender: string; sender_key: string; recipient: string; recipient_key: string; body: string };
type AccountRow = { name_key: string; name: string; secret: string; created_at: number; operator: number };
type SanctionRow = { kind: SanctionKind; name_key: string; name: string; until: number; by_name: string; reason: string; at: number };
type TopicRow = { room_key: string; room: string; topic: string; set_by: string; set_at: number };
type ModlogRow = { time: number; operator: string; action: ModlogEntry['action']; target: string; minutes: number | null; reason: string };

const toAccount = (row: AccountRow): Account => ({
  key: row.name_key,
  name: row.name,
  secret: row.secret,
  createdAt: row.created_at,
  operator: row.operator === 1,
});

/** SQLite in `dataDir/chat.db`, WAL mode; appends batched into one transaction per flush; room history in a `RoomLog`. */
export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private pendingRooms: RoomMessage[] = [];
  private pendingPrivates: PrivateMessage[] = [];
  private readonly rooms: RoomLog;
  private readonly insertPrivates: BatchInsert<PrivateMessage>;
  private readonly selectUndelivered: Database.Statement;
  private readonly setDelivered: Database.Statement;
  private readonly selectSomeUndelivered: Database.Statement;
  private readonly selectMailbox: Database.Statement;
  private readonly selectAccount: Database.Statement;
  private readonly insertAccount: Database.Statement;
  private readonly selectLookalike: Database.Statement;
  private readonly moderation: ModerationStatements;
  private readonly selectTopic: Database.Statement;
  private readonly putTopic: Database.Statement;
  private readonly deleteTopic: Database.Statement;
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
    this.rooms = new RoomLog(this.db);
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
    this.selectAccount = this.db.prepare('SELECT name_key, name, secret, created_at, operator FROM accounts WHERE name_key = ?');
    this.moderation = new ModerationStatements(this.db);
    this.insertAccount = this.db.prepare('INSERT OR IGNORE INTO accounts (name_key, name, secret, created_at, skeleton) VALUES (?, ?, ?, ?, ?)');
    this.selectLookalike = this.db.prepare('SELECT name FROM accounts WHERE skeleton = ? AND name_key <> ? LIMIT 1');
    this.selectTopic = this.db.prepare('SELECT room_key, room, topic, set_by, set_at FROM room_topics WHERE room_key = ?');
    this.putTopic = this.db.prepare('INSERT OR REPLACE INTO room_topics (room_key, room, topic, set_by, set_at) VALUES (?, ?, ?, ?, ?)');
    this.deleteTopic = this.db.prepare('DELETE FROM room_topics WHERE room_key = ?');
    const write = this.db.transaction(() => {
      this.rooms.append(this.pendingRooms);
      this.insertPrivates.run(this.pendingPrivates);
    });
    // IMMEDIATE: the room heads read at the start stay this transaction's until it commits.
    this.writeBatch = () => write.immediate();
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
    return this.rooms.recent(roomKey, limit);
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
    return row && toAccount(row);
  }

  async createAccount(account: Account): Promise<boolean> {
    const created = this.insertAccount.run(account.key, account.name, account.secret, account.createdAt, nameSkeleton(account.name)).changes === 1;
    if (created && account.operator) await this.setOperator(account.key, true);
    return created;
  }

  async lookalikeAccount(skeleton: string, key: string): Promise<string | undefined> {
    return (this.selectLookalike.get(skeleton, key) as { name: string } | undefined)?.name;
  }

  async listAccounts(): Promise<Account[]> {
    return (this.moderation.listAccounts.all() as AccountRow[]).map(toAccount);
  }

  async setSecret(key: string, secret: string): Promise<boolean> {
    return this.moderation.setSecret.run(secret, key).changes === 1;
  }

  async setOperator(key: string, operator: boolean): Promise<boolean> {
    return this.moderation.setOperator.run(operator ? 1 : 0, key).changes === 1;
  }

  async deleteAccount(key: string): Promise<boolean> {
    const m = this.moderation;
    // Mail still waiting for the account goes with it: whoever registers the name next is someone else.
    return this.db.transaction(() => {
      m.deleteMailbox.run(key);
      return m.deleteAccount.run(key).changes === 1;
    })();
  }

  async putSanction(sanction: Sanction, entry: ModlogEntry): Promise<void> {
    const m = this.moderation;
    this.db.transaction(() => {
      m.putSanction.run(sanction.kind, sanction.key, sanction.name, sanction.until, sanction.by, sanction.reason, sanction.at);
      for (const address of sanction.addresses) m.addAddress.run(address, sanction.key);
      this.logEntry(entry);
    })();
  }

  async addBanAddresses(key: string, addresses: readonly string[]): Promise<void> {
    const m = this.moderation;
    this.db.transaction(() => {
      if (m.selectSanction.get('ban', key) === undefined) return;
      for (const address of addresses) m.addAddress.run(address, key);
    })();
  }

  async liftSanction(kind: SanctionKind, key: string, entry: ModlogEntry): Promise<boolean> {
    const m = this.moderation;
    return this.db.transaction(() => {
      const row = m.selectSanction.get(kind, key) as SanctionRow | undefined;
      m.deleteSanction.run(kind, key);
      if (kind === 'ban') m.deleteAddresses.run(key);
      const lifted = row !== undefined && inForce(row, entry.time);
      if (lifted) this.logEntry(entry);
      return lifted;
    })();
  }

  async sanctionsFor(key: string, address: string | undefined, now: number): Promise<Sanctions> {
    const m = this.moderation;
    const found: Sanctions = {};
    const ban = m.selectSanction.get('ban', key) as SanctionRow | undefined;
    if (ban !== undefined && inForce(ban, now)) found.ban = this.sanction(ban);
    const mute = m.selectSanction.get('mute', key) as SanctionRow | undefined;
    if (mute !== undefined && inForce(mute, now)) found.mute = this.sanction(mute);
    if (address !== undefined) {
      const byAddress = m.selectAddressBan.get(address, now) as SanctionRow | undefined;
      if (byAddress !== undefined) found.addressBan = this.sanction(byAddress);
    }
    return found;
  }

  async appendModlog(entry: ModlogEntry): Promise<void> {
    this.logEntry(entry);
  }

  private logEntry(entry: ModlogEntry): void {
    this.moderation.appendModlog.run(entry.time, entry.operator, entry.action, entry.target, entry.minutes ?? null, entry.reason);
  }

  async roomTopic(roomKey: string): Promise<RoomTopic | undefined> {
    const row = this.selectTopic.get(roomKey) as TopicRow | undefined;
    return row && { roomKey: row.room_key, room: row.room, topic: row.topic, by: row.set_by, at: row.set_at };
  }

  // Async, so a failed write (a full disk) rejects rather than throws into the caller.
  async setRoomTopic(topic: RoomTopic): Promise<void> {
    if (topic.topic === '') this.deleteTopic.run(topic.roomKey);
    else this.putTopic.run(topic.roomKey, topic.room, topic.topic, topic.by, topic.at);
  }

  async checkWritable(now: number): Promise<void> {
    this.moderation.checkHealth.run(now);
  }

  async recentModlog(limit: number): Promise<ModlogEntry[]> {
    return (this.moderation.recentModlog.all(limit) as ModlogRow[]).map((r) => ({
      time: r.time,
      operator: r.operator,
      action: r.action,
      target: r.target,
      ...(r.minutes === null ? {} : { minutes: r.minutes }),
      reason: r.reason,
    }));
  }

  private sanction(row: SanctionRow): Sanction {
    const addresses = row.kind === 'ban' ? (this.moderation.selectAddresses.all(row.name_key) as Array<{ address: string }>).map((r) => r.address) : [];
    return { kind: row.kind, key: row.name_key, name: row.name, until: row.until, by: row.by_name, reason: row.reason, at: row.at, addresses };
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

const inForce = (row: { until: number }, now: number): boolean => row.until === 0 || row.until > now;

/** The statements of accounts management and moderation. */
class ModerationStatements {
  readonly listAccounts: Database.Statement;
  readonly checkHealth: Database.Statement;
  readonly setSecret: Database.Statement;
  readonly setOperator: Database.Statement;
  readonly deleteAccount: Database.Statement;
  readonly deleteMailbox: Database.Statement;
  readonly putSanction: Database.Statement;
  readonly selectSanction: Database.Statement;
  readonly deleteSanction: Database.Statement;
  readonly addAddress: Database.Statement;
  readonly deleteAddresses: Database.Statement;
  readonly selectAddresses: Database.Statement;
  readonly selectAddressBan: Database.Statement;
  readonly appendModlog: Database.Statement;
  readonly recentModlog: Database.Statement;

  constructor(db: Database.Database) {
    this.checkHealth = db.prepare('INSERT OR REPLACE INTO health (id, checked_at) VALUES (1, ?)');
    this.listAccounts = db.prepare('SELECT name_key, name, secret, created_at, operator FROM accounts ORDER BY name_key');
    this.setSecret = db.prepare('UPDATE accounts SET secret = ? WHERE name_key = ?');
    this.setOperator = db.prepare('UPDATE accounts SET operator = ? WHERE name_key = ?');
    this.deleteAccount = db.prepare('DELETE FROM accounts WHERE name_key = ?');
    this.deleteMailbox = db.prepare('DELETE FROM private_messages WHERE recipient_key = ? AND delivered = 0');
    this.putSanction = db.prepare('INSERT OR REPLACE INTO sanctions (kind, name_key, name, until, by_name, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.selectSanction = db.prepare('SELECT kind, name_key, name, until, by_name, reason, at FROM sanctions WHERE kind = ? AND name_key = ?');
    this.deleteSanction = db.prepare('DELETE FROM sanctions WHERE kind = ? AND name_key = ?');
    this.addAddress = db.prepare('INSERT OR IGNORE INTO ban_addresses (address, name_key) VALUES (?, ?)');
    this.deleteAddresses = db.prepare('DELETE FROM ban_addresses WHERE name_key = ?');
    this.selectAddresses = db.prepare('SELECT address FROM ban_addresses WHERE name_key = ? ORDER BY address');
    this.selectAddressBan = db.prepare(
      `SELECT s.kind, s.name_key, s.name, s.until, s.by_name, s.reason, s.at FROM ban_addresses a
       JOIN sanctions s ON s.kind = 'ban' AND s.name_key = a.name_key
       WHERE a.address = ? AND (s.until = 0 OR s.until > ?) ORDER BY s.until = 0 DESC, s.until DESC LIMIT 1`,
    );
    this.appendModlog = db.prepare('INSERT INTO modlog (time, operator, action, target, minutes, reason) VALUES (?, ?, ?, ?, ?, ?)');
    this.recentModlog = db.prepare(
      'SELECT time, operator, action, target, minutes, reason FROM (SELECT * FROM modlog ORDER BY id DESC LIMIT ?) ORDER BY id ASC',
    );
  }
}
