// The message and account store. SQLite is the embedded default; a Redis
// implementation serves cluster mode. Appends are buffered by the store and
// made durable by flush(), which the server calls once per event-loop turn
// before any output of that turn is written: nothing reaches a client
// before it is stored.

export interface RoomMessage {
  time: number;
  roomKey: string;
  room: string;
  from: string;
  message: string;
}

export interface PrivateMessage {
  time: number;
  from: string;
  fromKey: string;
  to: string;
  toKey: string;
  message: string;
  delivered: boolean;
}

export interface Account {
  key: string;
  name: string;
  /** `scrypt$N$r$p$salt-base64$hash-base64` */
  secret: string;
  createdAt: number;
  /** Granted with `chat-server accounts operator NAME on` (besides the names given with --operator). */
  operator: boolean;
}

export type SanctionKind = 'ban' | 'mute';

/** A ban or a mute of a name; a ban also holds the addresses (addressKey) its user came from. */
export interface Sanction {
  kind: SanctionKind;
  key: string;
  name: string;
  /** When it ends, ms since the epoch; 0 until lifted. */
  until: number;
  by: string;
  reason: string;
  at: number;
  addresses: string[];
}

/** What stands against a login or a session: ban of the name, ban of the address, mute of the name (in force now). */
export interface Sanctions {
  ban?: Sanction;
  addressBan?: Sanction;
  mute?: Sanction;
}

export type ModerationAction = 'kick' | 'ban' | 'unban' | 'mute' | 'unmute';

/** One operator's action, as MODLOG shows it. */
export interface ModlogEntry {
  time: number;
  operator: string;
  action: ModerationAction;
  target: string;
  /** The sanction's minutes (0 until lifted); undefined for kick and the lifts. */
  minutes?: number;
  reason: string;
}

/** A room's topic (TOPIC), kept across restarts. */
export interface RoomTopic {
  roomKey: string;
  /** The room's spelling when the topic was set. */
  room: string;
  topic: string;
  /** Who set it (their name). */
  by: string;
  /** When, ms since the epoch. */
  at: number;
}

export interface Store {
  appendRoom(message: RoomMessage): void;
  appendPrivate(message: PrivateMessage): void;
  /**
   * Writes every buffered append in one transaction. A promise means the
   * write is under way: output waits for it.
   */
  flush(): void | Promise<void>;
  /** The last `limit` messages of a room, oldest first. */
  recentRoom(roomKey: string, limit: number): Promise<RoomMessage[]>;
  /** Undelivered private messages to `toKey`, oldest first, now marked delivered. */
  takeUndelivered(toKey: string): Promise<PrivateMessage[]>;
  /** How much waits for `toKey`: messages and bytes of their text. */
  mailbox(toKey: string): Promise<{ count: number; bytes: number }>;
  /** The oldest `limit` undelivered messages to `toKey`, each with a ref for markDelivered; still undelivered. */
  peekUndelivered(toKey: string, limit: number): Promise<Array<PrivateMessage & { ref: string }>>;
  /** Marks messages from peekUndelivered delivered (the oldest first, as they were peeked). */
  markDelivered(toKey: string, refs: readonly string[]): Promise<void>;
  getAccount(key: string): Promise<Account | undefined>;
  /** Creates the account; false when the name is already registered. */
  createAccount(account: Account): Promise<boolean>;
  /** The registered name that looks like `skeleton` (nameSkeleton) under another key, if any. */
  lookalikeAccount(skeleton: string, key: string): Promise<string | undefined>;
  /** Every account, sorted by key. */
  listAccounts(): Promise<Account[]>;
  /** False when there is no such account. */
  setSecret(key: string, secret: string): Promise<boolean>;
  setOperator(key: string, operator: boolean): Promise<boolean>;
  /** Deletes the account (its name becomes free); false when there was none. */
  deleteAccount(key: string): Promise<boolean>;

  /**
   * Puts a ban or mute in place of any earlier one of that kind on the name
   * (a ban keeps the earlier one's addresses), and appends `entry` to the
   * moderation log in the same write: both or neither.
   */
  putSanction(sanction: Sanction, entry: ModlogEntry): Promise<void>;
  /** Adds addresses to the ban of `key`, if there is one. */
  addBanAddresses(key: string, addresses: readonly string[]): Promise<void>;
  /**
   * Lifts the ban (with its addresses) or mute of `key`; false when none was
   * in force at `entry.time`. Appends `entry` to the moderation log, in the
   * same write, when one was.
   */
  liftSanction(kind: SanctionKind, key: string, entry: ModlogEntry): Promise<boolean>;
  /** The sanctions in force at `now` against the name `key` and the address `address` (an addressKey). */
  sanctionsFor(key: string, address: string | undefined, now: number): Promise<Sanctions>;
  appendModlog(entry: ModlogEntry): Promise<void>;
  /** The last `limit` entries, oldest first. */
  recentModlog(limit: number): Promise<ModlogEntry[]>;
  /** The room's topic; undefined when none is set. */
  roomTopic(roomKey: string): Promise<RoomTopic | undefined>;
  /** Sets the topic (an empty `topic` clears it: roomTopic then gives undefined). Written at once, not with the turn's batch. */
  setRoomTopic(topic: RoomTopic): Promise<void>;
  /** Writes a little (the time, in a place of its own): throws, saying why, when the store cannot take writes (the health check). */
  checkWritable(now: number): Promise<void>;
  close(): void | Promise<void>;
}
