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
  close(): void | Promise<void>;
}
