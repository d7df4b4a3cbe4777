import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';
import { Checkpointer } from './checkpointer.js';
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
  created_at INTEGER NOT NULL
);
`;

export const DATABASE_FILE = 'chat.db';

export interface SqliteStoreOptions {
  /** Checkpoint the WAL on a thread of its own instead of inside commits (the server does). */
  checkpointThread?: boolean;
  onCheckpointError?: (message: string) => void;
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
  private readonly insertRoom: Database.Statement;
  private readonly insertPrivate: Database.Statement;
  private readonly selectRecent: Database.Statement;
  private readonly selectUndelivered: Database.Statement;
  private readonly markDelivered: Database.Statement;
  private readonly selectAccount: Database.Statement;
  private readonly insertAccount: Database.Statement;
  private readonly writeBatch: () => void;
  private readonly checkpointer: Checkpointer | undefined;

  constructor(dataDir: string, options: SqliteStoreOptions = {}) {
    mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, DATABASE_FILE);
    this.db = new Database(this.file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit survives a crash of this process (SIGKILL);
    // only a power loss can take the last transactions.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    if (options.checkpointThread) {
      this.db.pragma('wal_autocheckpoint = 0');
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      this.checkpointer = new Checkpointer(this.file, driver, options.onCheckpointError ?? (() => {}));
    }
    this.insertRoom = this.db.prepare('INSERT INTO room_messages (time, room_key, room, sender, body) VALUES (?, ?, ?, ?, ?)');
    this.insertPrivate = this.db.prepare(
      'INSERT INTO private_messages (time, sender, sender_key, recipient, recipient_key, body, delivered) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.selectRecent = this.db.prepare(
      'SELECT time, room_key, room, sender, body FROM (SELECT * FROM room_messages WHERE room_key = ? ORDER BY id DESC LIMIT ?) ORDER BY id ASC',
    );
    this.selectUndelivered = this.db.prepare(
      'SELECT id, time, sender, sender_key, recipient, recipient_key, body FROM private_messages WHERE recipient_key = ? AND delivered = 0 ORDER BY id',
    );
    this.markDelivered = this.db.prepare('UPDATE private_messages SET delivered = 1 WHERE id = ?');
    this.selectAccount = this.db.prepare('SELECT name_key, name, secret, created_at FROM accounts WHERE name_key = ?');
    this.insertAccount = this.db.prepare('INSERT OR IGNORE INTO accounts (name_key, name, secret, created_at) VALUES (?, ?, ?, ?)');
    this.writeBatch = this.db.transaction(() => {
      for (const m of this.pendingRooms) this.insertRoom.run(m.time, m.roomKey, m.room, m.from, m.message);
      for (const m of this.pendingPrivates) {
        this.insertPrivate.run(m.time, m.from, m.fromKey, m.to, m.toKey, m.message, m.delivered ? 1 : 0);
      }
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
    this.writeBatch();
    this.pendingRooms = [];
    this.pendingPrivates = [];
  }

  async recentRoom(roomKey: string, limit: number): Promise<RoomMessage[]> {
    this.flush();
    const rows = this.selectRecent.all(roomKey, limit) as RoomRow[];
    return rows.map((r) => ({ time: r.time, roomKey: r.room_key, room: r.room, from: r.sender, message: r.body }));
  }

  async takeUndelivered(toKey: string): Promise<PrivateMessage[]> {
    this.flush();
    const take = this.db.transaction((key: string) => {
      const rows = this.selectUndelivered.all(key) as PrivateRow[];
      for (const row of rows) this.markDelivered.run(row.id);
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
    return this.insertAccount.run(account.key, account.name, account.secret, account.createdAt).changes === 1;
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
