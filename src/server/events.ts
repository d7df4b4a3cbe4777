import { encodeError, encodeHistory, encodePrivate, encodeSystem, encodeText, joinedNotice, leftNotice, topicNotice, type ErrorCode } from '../protocol/index.js';
import type { Room } from './presence.js';
import type { RoomMessage } from './storage/store.js';

// What the server tells people, before it is encoded for a protocol. A
// room's event is encoded once per kind of audience in the room (the line
// protocol, IRC with or without tags) and that Buffer shared by every
// member of the kind; other nodes get the event itself on the bus, as one
// JSON text per line, so they can encode it for their own audiences.

export type RoomEvent =
  /** `notice`: sent as IRC's NOTICE (the line protocol shows it as any message). */
  | {
      readonly kind: 'text';
      readonly from: string;
      readonly message: string;
      readonly time: number;
      readonly notice?: boolean | undefined;
      /** IRCv3 msgid (shown to message-tags clients). */
      readonly id?: string;
      /** An IRC sender's client-only tags, encoded (`+key=value;…`): for message-tags clients alone. */
      readonly tags?: string | undefined;
      /** IRC's CTCP ACTION (`/me`): the message reads `* text`; IRC clients get it back as an ACTION. */
      readonly action?: boolean | undefined;
    }
  /** IRC's TAGMSG: tags without text (typing, reactions); never stored, only message-tags clients see it. */
  | { readonly kind: 'tagmsg'; readonly from: string; readonly id: string; readonly tags: string; readonly time: number }
  | { readonly kind: 'joined'; readonly name: string; readonly room: string }
  /** `quit`: the session ended (IRC says QUIT, not PART). */
  | { readonly kind: 'left'; readonly name: string; readonly room: string; readonly why?: string; readonly quit?: boolean }
  | { readonly kind: 'topic'; readonly by: string; readonly room: string; readonly topic: string }
  /** Any other notice of the server to a room. */
  | { readonly kind: 'notice'; readonly text: string };

export type UserEvent =
  | {
      readonly kind: 'private';
      readonly from: string;
      readonly message: string;
      readonly time: number;
      readonly id?: string;
      readonly tags?: string | undefined;
      readonly action?: boolean | undefined;
    }
  | { readonly kind: 'tagmsg'; readonly from: string; readonly id: string; readonly tags: string; readonly time: number }
  | { readonly kind: 'notice'; readonly text: string };

/** Where a dialect's lines for one session go. */
export interface LineSink {
  send(line: string | Buffer): void;
}

/** One encoding of room lines, shared by every member that takes it. */
export interface AudienceCodec {
  /** For logs and tests. */
  readonly name: string;
  /** The lines for the event, or undefined when this audience is not told of it. */
  room(event: RoomEvent, room: Room): Buffer | undefined;
}

/**
 * How a session's protocol says what the core tells it. The line protocol
 * has one, shared by every session; an IRC session has its own (it knows
 * the session's nick and what the client asked for).
 */
export interface Dialect {
  readonly audience: AudienceCodec;
  /** A line of the server's own words. */
  notice(text: string): string;
  /** A refusal, as the protocol says it. */
  error(code: ErrorCode, text: string): string;
  /** The last line before the server closes the connection. */
  farewell(code: ErrorCode | undefined, text: string): string;
  /** The lines for a user event; '' when this protocol is not told of it. */
  user(event: UserEvent): string;
  /** What a session gets on entering a room, around the join notice that goes to everyone (itself included). */
  entering(to: LineSink, room: Room, history: readonly RoomMessage[], announce: () => void): void;
}

export function encodeEvents(events: ReadonlyArray<RoomEvent | UserEvent>): string {
  let out = '';
  for (const event of events) out += `${JSON.stringify(event)}\n`;
  return out;
}

/** Events from the bus; lines that are not events are skipped (a node of another version). */
export function decodeEvents<T extends RoomEvent | UserEvent>(text: string): T[] {
  const events: T[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const event = JSON.parse(line) as T;
      if (typeof event === 'object' && event !== null && typeof event.kind === 'string') events.push(event);
    } catch {
      // Not one of ours.
    }
  }
  return events;
}

/** The line protocol's words for each event; undefined for what it has no words for. */
export function lineOfRoomEvent(event: RoomEvent): string | undefined {
  switch (event.kind) {
    case 'tagmsg':
      return undefined;
    case 'text':
      return encodeText(event.from, event.message);
    case 'joined':
      return encodeSystem(joinedNotice(event.name, event.room));
    case 'left':
      return encodeSystem(leftNotice(event.name, event.room, event.why));
    case 'topic':
      return encodeSystem(topicNotice(event.by, event.room, event.topic));
    case 'notice':
      return encodeSystem(event.text);
  }
}

export const LINE_AUDIENCE: AudienceCodec = {
  name: 'line',
  room: (event) => {
    const line = lineOfRoomEvent(event);
    return line === undefined ? undefined : Buffer.from(line);
  },
};

/** The line protocol: one current room, history before the join notice. */
class LineDialect implements Dialect {
  readonly audience = LINE_AUDIENCE;

  notice(text: string): string {
    return encodeSystem(text);
  }

  error(code: ErrorCode, text: string): string {
    return encodeError(code, text);
  }

  farewell(code: ErrorCode | undefined, text: string): string {
    return code === undefined ? encodeSystem(text) : encodeError(code, text);
  }

  user(event: UserEvent): string {
    switch (event.kind) {
      case 'private':
        return encodePrivate(event.from, event.message);
      case 'tagmsg':
        return '';
      case 'notice':
        return encodeSystem(event.text);
    }
  }

  entering(to: LineSink, _room: Room, history: readonly RoomMessage[], announce: () => void): void {
    for (const m of history) to.send(encodeHistory(m.time, m.from, m.message));
    // After the history: the room's lines reach the newcomer from its join notice on.
    announce();
  }
}

/** Shared by every line-protocol session. */
export const LINE_DIALECT: Dialect = new LineDialect();
