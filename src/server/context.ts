import type { Directory } from './directory/directory.js';
import type { Logger } from './log.js';
import type { ServerOptions } from './options.js';
import type { Presence } from './presence.js';
import type { LoginGuard } from './login-guard.js';
import type { Pledges } from './pledges.js';
import type { Clock } from './rate-limit.js';
import type { Relay } from './relay.js';
import type { RoomHistory } from './history.js';
import type { Session } from './session.js';
import type { Store } from './storage/store.js';

export interface ServerStats {
  readonly startedAt: number;
  peakConnections: number;
  messagesRelayed: number;
  /** Messages refused because the store could not write them. */
  messagesNotStored: number;
}

/** What a frame handler may use: the layers below the session. */
export interface ServerContext {
  readonly options: ServerOptions;
  readonly log: Logger;
  readonly clock: Clock;
  readonly sessions: ReadonlySet<Session>;
  /** This node's sessions, names and rooms. */
  readonly presence: Presence;
  /** Names and rooms across the cluster (this node alone in single-node mode). */
  readonly directory: Directory;
  readonly relay: Relay;
  readonly history: RoomHistory;
  readonly store: Store;
  readonly stats: ServerStats;
  /** This turn's lines that wait on the store's commit. */
  readonly pledges: Pledges;
  /** Wrong passwords per address, per address and name, and the brake per name. */
  readonly loginGuard: LoginGuard;
}
