import type Database from 'better-sqlite3';
import { BatchInsert } from './batch-insert.js';
import type { RoomMessage } from './store.js';

// Room history in SQLite, kept so that a commit touches few pages however
// many rooms it writes to. An index on (room, id) puts each room's newest
// entry on a page of its own, so a commit into 100 rooms rewrote about 100
// index pages into the WAL (about 10 µs a row, against 2 without it). Here
// each row names the room's previous row instead (`prev_id`), and
// `room_heads` holds each room's newest id: a commit writes the table's last
// pages and the few pages of the heads, and the recent rows of a room are a
// walk back along its chain.

export const ROOM_SCHEMA = `
CREATE TABLE IF NOT EXISTS room_messages (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  room_key TEXT NOT NULL,
  room TEXT NOT NULL,
  sender TEXT NOT NULL,
  body TEXT NOT NULL,
  prev_id INTEGER
);
CREATE TABLE IF NOT EXISTS room_heads (
  room_key TEXT PRIMARY KEY,
  last_id INTEGER NOT NULL
) WITHOUT ROWID;
`;

/**
 * Databases from before the chain have the index instead: each row gets its
 * room's previous id (found with that index), the heads are filled in, and
 * the index goes. One transaction: a database is either before or after.
 */
export function migrateRoomIndex(db: Database.Database): void {
  const columns = db.prepare('PRAGMA table_info(room_messages)').all() as Array<{ name: string }>;
  if (columns.some((c) => c.name === 'prev_id')) return;
  db.transaction(() => {
    db.exec('ALTER TABLE room_messages ADD COLUMN prev_id INTEGER');
    db.exec('CREATE INDEX IF NOT EXISTS room_messages_by_room ON room_messages (room_key, id)');
    db.exec(
      'UPDATE room_messages SET prev_id = (SELECT MAX(p.id) FROM room_messages AS p WHERE p.room_key = room_messages.room_key AND p.id < room_messages.id)',
    );
    db.exec('INSERT OR REPLACE INTO room_heads (room_key, last_id) SELECT room_key, MAX(id) FROM room_messages GROUP BY room_key');
    db.exec('DROP INDEX room_messages_by_room');
  })();
}

/**
 * Back along a room's chain from its head, `@limit` rows at most, then
 * oldest first. CROSS JOIN keeps SQLite's join order: each step is one
 * lookup by id, never a scan of the table.
 */
export const RECENT_SQL = `
  WITH RECURSIVE chain (id, prev, n, time, room_key, room, sender, body) AS (
    SELECT m.id, m.prev_id, 1, m.time, m.room_key, m.room, m.sender, m.body
    FROM room_heads AS h CROSS JOIN room_messages AS m ON m.id = h.last_id
    WHERE h.room_key = @room AND @limit > 0
    UNION ALL
    SELECT m.id, m.prev_id, chain.n + 1, m.time, m.room_key, m.room, m.sender, m.body
    FROM chain CROSS JOIN room_messages AS m ON m.id = chain.prev
    WHERE chain.n < @limit
  )
  SELECT time, room_key, room, sender, body FROM chain ORDER BY id ASC`;

type RoomRow = { time: number; room_key: string; room: string; sender: string; body: string };

/** Appends and reads room messages; the caller owns the transaction around `append`. */
export class RoomLog {
  private readonly insert: BatchInsert<RoomMessage>;
  private readonly selectMaxId: Database.Statement;
  private readonly selectHead: Database.Statement;
  private readonly upsertHead: Database.Statement;
  private readonly selectRecent: Database.Statement;
  /** The ids and previous ids of the rows being appended, by their index in the batch. */
  private ids: number[] = [];
  private prevs: Array<number | null> = [];

  constructor(db: Database.Database) {
    this.insert = new BatchInsert(db, 'room_messages', ['id', 'prev_id', 'time', 'room_key', 'room', 'sender', 'body'], (m, args, at, index) => {
      args[at] = this.ids[index];
      args[at + 1] = this.prevs[index];
      args[at + 2] = m.time;
      args[at + 3] = m.roomKey;
      args[at + 4] = m.room;
      args[at + 5] = m.from;
      args[at + 6] = m.message;
    });
    this.selectMaxId = db.prepare('SELECT MAX(id) AS id FROM room_messages');
    this.selectHead = db.prepare('SELECT last_id FROM room_heads WHERE room_key = ?');
    this.upsertHead = db.prepare(
      'INSERT INTO room_heads (room_key, last_id) VALUES (?, ?) ON CONFLICT (room_key) DO UPDATE SET last_id = excluded.last_id',
    );
    this.selectRecent = db.prepare(RECENT_SQL);
  }

  /**
   * Inside the caller's transaction. The heads are read afresh each time
   * (one lookup per room in the batch), so another writer's rows are chained
   * too rather than skipped.
   */
  append(rows: readonly RoomMessage[]): void {
    if (rows.length === 0) return;
    let next = ((this.selectMaxId.get() as { id: number | null }).id ?? 0) + 1;
    const heads = new Map<string, number>();
    this.ids = new Array<number>(rows.length);
    this.prevs = new Array<number | null>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const key = rows[i]!.roomKey;
      const prev = heads.get(key) ?? (this.selectHead.get(key) as { last_id: number } | undefined)?.last_id ?? null;
      this.ids[i] = next;
      this.prevs[i] = prev;
      heads.set(key, next);
      next += 1;
    }
    this.insert.run(rows);
    for (const [key, last] of heads) this.upsertHead.run(key, last);
  }

  recent(roomKey: string, limit: number): RoomMessage[] {
    const rows = this.selectRecent.all({ room: roomKey, limit }) as RoomRow[];
    return rows.map((r) => ({ time: r.time, roomKey: r.room_key, room: r.room, from: r.sender, message: r.body }));
  }
}
