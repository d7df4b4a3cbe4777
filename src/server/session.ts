import { LineDecoder, TelnetFilter, encodeSystem, type ErrorCode, type LineEvent, type TelnetSink } from '../protocol/index.js';
import { IrcDecoder, type IrcInputEvent } from '../protocol/irc/index.js';
import { LegacyFraming } from './legacy-framing.js';
import { Outbox, type OutboxLimits, type OutboxOwner, type TurnQueue } from './output-turn.js';
import type { Room } from './presence.js';
import { TokenBucket, type Clock } from './rate-limit.js';
import type { Timers } from '../cli/timers.js';
import type { Connection, ConnectionEvents } from './transports/connection.js';
import type { Sanction } from './storage/store.js';
import type { Dialect } from './events.js';

/** A logged-in user's identity. */
export interface User {
  readonly name: string;
  readonly key: string;
}

/** A logged-in session. */
export interface ActiveState extends User {
  readonly kind: 'active';
  /** The line protocol's one current room; undefined for IRC, whose sessions sit in any number of channels. */
  readonly room: Room<Session> | undefined;
}

/** A line-protocol session in its room, as handlers of logged-in frames get it. */
export type InRoomState = ActiveState & { readonly room: Room<Session> };

/** A connection's life: only setState() changes it; identity lives in the states that have one. */
export type SessionState =
  | { readonly kind: 'greeting' }
  | { readonly kind: 'authenticating' }
  /** The name is claimed; the lobby is not entered yet. */
  | ({ readonly kind: 'joining' } & User)
  | ActiveState
  /** Ending: `user` is who it was and `rooms` where, for the leave notices and logs. */
  | { readonly kind: 'closing'; readonly user: User | undefined; readonly rooms: readonly Room<Session>[] }
  | { readonly kind: 'closed'; readonly user: User | undefined; readonly rooms: readonly Room<Session>[] };

export type SessionKind = SessionState['kind'];

/** Why a connection ended, as logs print it. */
export type CloseReason =
  | 'logout'
  | 'peer-closed'
  | 'socket-error'
  | 'slow-consumer'
  | 'flood'
  | 'login-timeout'
  | 'http-request'
  | 'replaced'
  | 'write-timeout'
  | 'kicked'
  | 'banned'
  | 'shutdown';

/** All frames together may come this many times faster than messages. */
export const FRAME_RATE_FACTOR = 20;

/** One turn's output may reach this many times the output cap before the session is dropped. */
export const TURN_OUTPUT_FACTOR = 16;

/** The answer to telnet's IAC AYT. */
const STILL_HERE = Buffer.from(encodeSystem('yes, still here'));

/**
 * What a connection's input becomes: decoded lines (and line errors), and
 * telnet replies, which go out in order with the answers to the frames
 * received before them (RFC 860), so they queue like frames.
 */
export type InputEvent =
  | LineEvent
  | { readonly kind: 'telnet-reply'; readonly bytes: Buffer }
  /** Refused by the transport as a whole (see Connection's malformed). */
  | { readonly kind: 'malformed'; readonly reason: string }
  | IrcInputEvent;

export interface SessionLimits {
  maxLineBytes: number;
  rateLimit: number;
  rateBurst: number;
  outputCapBytes: number;
}

/** What a session is made of, besides its connection: one object shared by every session. */
export interface SessionDeps {
  readonly limits: SessionLimits;
  readonly outboxLimits: OutboxLimits;
  readonly turn: TurnQueue;
  readonly clock: Clock;
  readonly timers: Timers;
  /** Where input events go (dispatch). */
  readonly dispatch: (session: Session, event: InputEvent) => void;
  /** Told of every state change (the session lifecycle). */
  readonly onStateChange: (session: Session, from: SessionState, to: SessionState) => void;
  /** ERROR replies sent, by code (the server's stats). */
  readonly errors: Record<string, number>;
  /** The protocol: its input framing, and how the core's words are said in it (replaced by IRC registration). */
  readonly protocol: 'line' | 'irc';
  /** One dialect for every session, or one made for each. */
  readonly dialect: Dialect | ((session: Session) => Dialect);
}

/** One connection: its state and identity, limits, input, and output queue. */
export class Session implements OutboxOwner, ConnectionEvents {
  readonly decoder: LineDecoder | IrcDecoder;
  readonly outbox: Outbox;
  /** Until the peer's first LF: the earlier client's framing (then dropped, as it no longer applies). */
  private legacy: LegacyFraming | undefined;
  readonly address: string;
  /** TEXT and PRIVATE. */
  readonly messageBucket: TokenBucket;
  /** Every frame, including refused ones. */
  readonly frameBucket: TokenBucket;

  lastActive: number;
  linesSeen = 0;
  closeReason: CloseReason | undefined;
  /** What the room is told when this session leaves, instead of the reason's usual note (a kick says who and why). */
  leaveNote: string | undefined;
  /** Logged in to a registered name with its password. */
  registered = false;
  /** The mute in force when the session logged in or since (moderation.ts). */
  mute: Sanction | undefined;
  /** An operator account this connection proved with IRC's OPER, when it is not the one it logged in as. */
  operator: User | undefined;
  /** How the core's words are said to this session. */
  dialect: Dialect;
  /** IRC: the channels the session is in (the line protocol's one room is in its state). */
  channels: Set<Room<Session>> | undefined;

  /** Input events waiting while an asynchronous handler of this session runs. */
  readonly inbox: InputEvent[] = [];
  /** The peer closed its side while a handler was running: end once the inbox is done. */
  endWhenIdle = false;

  private current: SessionState = { kind: 'greeting' };
  /** Start and latest refusal of the current run of rate-limit refusals. */
  private floodStart = 0;
  private floodLast = -Infinity;
  /** An asynchronous handler of this session is running (dispatch sets it). */
  busy = false;
  /** Created at the first 0xFF byte: clients that never speak telnet pay nothing. */
  private telnet: { filter: TelnetFilter; sink: TelnetSink } | undefined;
  /** Until then: whether the bytes so far end a line, where the filter starts. */
  private atLineStart = true;
  constructor(
    readonly id: number,
    readonly connection: Connection,
    readonly connectedAt: number,
    private readonly deps: SessionDeps,
  ) {
    const limits = deps.limits;
    this.address = connection.remoteAddress;
    this.dialect = typeof deps.dialect === 'function' ? deps.dialect(this) : deps.dialect;
    this.outbox = new Outbox(deps.turn, connection, deps.outboxLimits, deps.clock, this);
    if (deps.protocol === 'irc') this.decoder = new IrcDecoder();
    else {
      const decoder = new LineDecoder(limits.maxLineBytes);
      this.decoder = decoder;
      this.legacy = new LegacyFraming(decoder, this.outbox, deps.timers, this.deliver);
    }
    this.messageBucket = new TokenBucket(limits.rateLimit, limits.rateBurst, deps.clock);
    this.frameBucket = new TokenBucket(limits.rateLimit * FRAME_RATE_FACTOR, limits.rateBurst * FRAME_RATE_FACTOR, deps.clock);
    this.lastActive = connectedAt;
  }

  get protocol(): 'line' | 'irc' {
    return this.deps.protocol;
  }

  get state(): SessionState {
    return this.current;
  }

  /** The logged-in identity, from the moment the name is claimed until the session is closed. */
  get user(): User | undefined {
    const state = this.current;
    if (state.kind === 'joining' || state.kind === 'active') return state;
    if (state.kind === 'closing' || state.kind === 'closed') return state.user;
    return undefined;
  }

  /** Which shared encoding of room lines this session takes (presence groups members by it). */
  get audience(): object {
    return this.dialect.audience;
  }

  /** Every room the session is in. */
  rooms(): Room<Session>[] {
    const state = this.current;
    if (state.kind === 'closing' || state.kind === 'closed') return [...state.rooms];
    const rooms = this.channels === undefined ? [] : [...this.channels];
    if (state.kind === 'active' && state.room !== undefined) rooms.unshift(state.room);
    return rooms;
  }

  /** For logs. */
  get name(): string | undefined {
    return this.user?.name;
  }

  get loggedIn(): boolean {
    return this.current.kind === 'active';
  }

  get open(): boolean {
    return this.current.kind !== 'closing' && this.current.kind !== 'closed';
  }

  setState(next: SessionState): void {
    const previous = this.current;
    if (previous.kind === 'closed' || previous === next) return;
    this.current = next;
    if (previous.kind !== next.kind) this.deps.onStateChange(this, previous, next);
  }

  /** Records the room an active session is in now, or none yet (a room change is not a state change). */
  moveTo(room: Room<Session> | undefined): void {
    const state = this.current;
    if (state.kind === 'active' || state.kind === 'joining') this.setState({ kind: 'active', name: state.name, key: state.key, room });
  }

  /**
   * Records a rate-limit refusal; true once refusals have kept coming, less
   * than a second apart, for `kickAfterMs`: a flood rather than a paste.
   */
  noteRateRefusal(now: number, kickAfterMs: number): boolean {
    if (now - this.floodLast > 1000) this.floodStart = now;
    this.floodLast = now;
    return now - this.floodStart >= kickAfterMs;
  }

  /**
   * Bytes from the connection: telnet commands are answered and removed,
   * the data goes to the decoder and on to dispatch; legacy framing's quiet
   * spell starts again when any data byte arrived (telnet commands alone
   * are not input).
   */
  receive(chunk: Uint8Array): void {
    const decoder = this.decoder;
    if (decoder instanceof IrcDecoder) {
      decoder.push(chunk, this.deliver);
      return;
    }
    if (this.telnet === undefined) {
      if (chunk.indexOf(0xff) === -1) {
        decoder.push(chunk, this.deliver);
        if (chunk.length === 0) return;
        this.atLineStart = chunk[chunk.length - 1] === 0x0a;
        this.dataArrived();
        return;
      }
      this.telnet = { filter: new TelnetFilter(this.atLineStart), sink: this.telnetSink(decoder) };
    }
    if (this.telnet.filter.push(chunk, this.telnet.sink) > 0) this.dataArrived();
  }

  private dataArrived(): void {
    const legacy = this.legacy;
    if (legacy === undefined) return;
    if (legacy.active) legacy.received();
    else {
      legacy.stop();
      this.legacy = undefined;
    }
  }

  /** The login reply on its own write, with a pause, for the earlier client (undefined for everyone else). */
  separateLoginReply(): Promise<void> | undefined {
    return this.legacy?.separateLoginReply();
  }

  /** The peer closed its side (half-close); frames already received are still answered before the session ends. */
  peerEnded(): void {
    this.legacy?.ended();
    if (this.busy) this.endWhenIdle = true;
    else this.end('peer-closed');
  }

  private readonly deliver = (event: InputEvent): void => this.deps.dispatch(this, event);

  malformed(reason: string): void {
    this.deliver({ kind: 'malformed', reason });
  }

  private telnetSink(decoder: LineDecoder): TelnetSink {
    return {
      data: (bytes) => decoder.push(bytes, this.deliver),
      reply: (bytes) => this.deliver({ kind: 'telnet-reply', bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length) }),
      // Answered like a frame, so a flood of them costs what a flood of PINGs does.
      areYouThere: () => {
        if (this.frameBucket.take()) this.deliver({ kind: 'telnet-reply', bytes: STILL_HERE });
      },
    };
  }

  /** Queues a line for this turn's output. The same Buffer may be handed to many sessions. */
  send(data: string | Buffer): void {
    if (!this.open) return;
    this.outbox.line(typeof data === 'string' ? Buffer.from(data) : data);
  }

  sendError(code: ErrorCode, text: string): void {
    this.deps.errors[code] = (this.deps.errors[code] ?? 0) + 1;
    this.send(this.dialect.error(code, text));
  }

  /** A line of the server's own words, in this session's protocol. */
  sendNotice(text: string): void {
    this.send(this.dialect.notice(text));
  }

  /** Ends the session with a last line in its protocol: an error's (with `code`) or a notice's. */
  endWith(reason: CloseReason, code: ErrorCode | undefined, text: string): void {
    if (code !== undefined) this.deps.errors[code] = (this.deps.errors[code] ?? 0) + 1;
    this.end(reason, this.dialect.farewell(code, text));
  }

  /**
   * Ends the session after writing `lastLine` (if any) and everything queued
   * before it, at the turn's write, so it too follows the store's commit.
   */
  end(reason: CloseReason, lastLine?: string): void {
    if (!this.open) return;
    if (lastLine !== undefined) this.send(lastLine);
    if (!this.open) return;
    this.closeReason = reason;
    this.outbox.end();
    this.setState({ ...this.leaving(), kind: 'closing' });
  }

  /** The peer leaves more unread than the output cap allows. */
  outputOverflowed(): void {
    this.drop('slow-consumer');
  }

  /** Drops the connection at once, discarding queued output. */
  drop(reason: CloseReason): void {
    if (this.current.kind === 'closed') return;
    this.closeReason ??= reason;
    this.outbox.discard();
    this.connection.destroy();
    if (this.open) this.setState({ ...this.leaving(), kind: 'closing' });
  }

  /** The connection failed; 'closed' follows. */
  failed(): void {
    this.closeReason ??= 'socket-error';
  }

  /** The connection is gone. */
  closed(): void {
    this.setState({ ...this.leaving(), kind: 'closed' });
    this.outbox.closed();
    this.legacy?.stop();
  }

  /** Who is leaving and from which rooms. */
  private leaving(): { user: User | undefined; rooms: readonly Room<Session>[] } {
    const state = this.current;
    if (state.kind === 'closing' || state.kind === 'closed') return { user: state.user, rooms: state.rooms };
    return { user: this.user, rooms: state.kind === 'active' ? this.rooms() : [] };
  }
}
