import type { DepartedAddresses } from './departed-addresses.js';
import type { Directory } from './directory/directory.js';
import type { RoomHistory } from './history.js';
import type { Logger } from './log.js';
import type { LoginGuard } from './login-guard.js';
import type { ServerOptions } from './options.js';
import type { OutputTurn } from './output-turn.js';
import type { Pledge, Pledges } from './pledges.js';
import type { Presence } from './presence.js';
import type { Clock } from './rate-limit.js';
import type { Relay } from './relay.js';
import type { Session } from './session.js';
import type { Store } from './storage/store.js';
import type { Timers } from '../cli/timers.js';
import type { Motd } from './motd.js';

export interface ServerStats {
  readonly startedAt: number;
  peakConnections: number;
  messagesRelayed: number;
  /**
   * Messages taken by kind (the metrics): TEXT into rooms, and PRIVATE
   * (delivered or kept for later). Counters only go up: the ones the store
   * then failed to write are in messagesNotStored.
   */
  roomMessages: number;
  privateMessages: number;
  /** Messages refused because the store could not write them. */
  messagesNotStored: number;
  /** ERROR replies sent, by code. Plain increments: the metrics read them when scraped. */
  readonly errors: Record<string, number>;
  /** Sessions closed, by reason. */
  readonly disconnects: Record<string, number>;
  /** Told how long each store commit took, in seconds (the metrics' histogram), when metrics are on. */
  commitObserver: ((seconds: number) => void) | undefined;
  /** Why the last commit with messages failed; undefined once one succeeds (the health check). */
  storeFailure: string | undefined;
}

/** Counts one more under `key` (an error code, a close reason). */
export function countIn(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** What the session layer and frame handlers use: the layers below them (built by wiring.ts). */
export interface ServerContext {
  readonly options: ServerOptions;
  readonly log: Logger;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly nodeId: string;
  /** This node's sessions, logged in or not. */
  readonly sessions: Set<Session>;
  /** This node's names and rooms. */
  readonly presence: Presence<Session>;
  /** Names and rooms across the cluster (this node alone in single-node mode). */
  readonly directory: Directory;
  readonly relay: Relay;
  readonly history: RoomHistory;
  readonly store: Store;
  readonly stats: ServerStats;
  /** The message of the day, sent to each login (read again on SIGHUP). */
  readonly motd: Motd;
  /** This turn's lines that wait on the store's commit. */
  readonly pledges: Pledges;
  /** Commits, then writes, each turn's output. */
  readonly turn: OutputTurn<Pledge>;
  /** Wrong passwords per address, per address and name, and the brake per name. */
  readonly loginGuard: LoginGuard;
  /** Addresses of users who left this node recently, for a ban of someone just gone. */
  readonly departed: DepartedAddresses;
  /** Whether this node is one of a cluster (Redis). */
  readonly clustered: boolean;
}
