import { splitUtf8, stripFormatting } from '../../protocol/irc/index.js';
import { stripUnsafe } from '../../protocol/index.js';
import type { AudienceCodec, RoomEvent } from '../events.js';
import type { Room } from '../presence.js';

// How the chat looks to IRC clients: a room is a channel (`#room`), every
// user a `name!name@server` source, and a room's events become JOIN, PART,
// QUIT, TOPIC, PRIVMSG and TAGMSG lines. Each event is encoded once per tag
// level (none, server-time alone, every tag with message-tags), and the
// clients of a level share it.

/** The server's IRC identity, shared by every IRC session. */
export interface IrcServerInfo {
  /** The server name: the source of its own replies. */
  readonly name: string;
  readonly network: string;
  readonly version: string;
  readonly createdAt: number;
  readonly clock: () => number;
}

/** A line's bytes without CRLF. */
const LINE_BYTES = 510;

export const channelOf = (room: { readonly name: string }): string => `#${room.name}`;

/** The source of a user's lines: names are IRC-safe (letters, digits, '_', '-', '.'). */
export const userSource = (name: string, server: IrcServerInfo): string => `${name}!${name}@${server.name}`;

/** The tag section for a time (server-time), with its trailing space. */
export const timeTag = (time: number): string => `@time=${new Date(time).toISOString()} `;

/** Text another user wrote, as IRC relays it: what could break a line or a terminal removed. */
export function ircText(text: string): string {
  return stripUnsafe(text);
}

/**
 * A message as PRIVMSG (or NOTICE) lines: a long one is split at character
 * boundaries so that no line passes 512 bytes.
 */
export function messageLines(tags: string, source: string, command: string, target: string, message: string): string {
  const head = `:${source} ${command} ${target} :`;
  const budget = LINE_BYTES - Buffer.byteLength(head);
  if (Buffer.byteLength(message) <= budget) return `${tags}${head}${message}\r\n`;
  let out = '';
  for (const piece of splitUtf8(message, Math.max(4, budget))) out += `${tags}${head}${piece}\r\n`;
  return out;
}

/** A message's text as IRC says it: an ACTION (stored as `* text`) goes back in its CTCP wrapping. */
export function ircMessage(event: { readonly message: string; readonly action?: boolean | undefined }): string {
  return event.action === true && event.message.startsWith('* ') ? `\u0001ACTION ${event.message.slice(2)}\u0001` : event.message;
}

/** What IRC clients type is cleaned like everyone's text, and their colour and style codes go first. */
export function fromIrc(text: string): string {
  return stripUnsafe(stripFormatting(text));
}

/** What a client takes on its lines: nothing, the time (server-time), or every tag (message-tags). */
export type TagLevel = 'plain' | 'time' | 'full';

/** The tag section of a line for a client of `level`, with its trailing space ('' for none). */
export function tagSection(level: TagLevel, time: number, id?: string, clientTags?: string): string {
  if (level === 'plain') return '';
  const stamp = `time=${new Date(time).toISOString()}`;
  if (level === 'time' || id === undefined) return `@${stamp} `;
  return `@${stamp};msgid=${id}${clientTags === undefined || clientTags === '' ? '' : `;${clientTags}`} `;
}

export class IrcAudience implements AudienceCodec {
  constructor(
    readonly name: string,
    private readonly level: TagLevel,
    private readonly server: IrcServerInfo,
  ) {}

  room(event: RoomEvent, room: Room): Buffer | undefined {
    const channel = channelOf(room);
    const server = this.server;
    switch (event.kind) {
      case 'text': {
        const tags = tagSection(this.level, event.time, event.id, event.tags);
        return Buffer.from(messageLines(tags, userSource(event.from, server), event.notice === true ? 'NOTICE' : 'PRIVMSG', channel, ircMessage(event)));
      }
      case 'tagmsg':
        if (this.level !== 'full') return undefined;
        return Buffer.from(`${tagSection('full', event.time, event.id, event.tags)}:${userSource(event.from, server)} TAGMSG ${channel}\r\n`);
    }
    const tags = tagSection(this.level, server.clock());
    switch (event.kind) {
      case 'joined':
        return Buffer.from(`${tags}:${userSource(event.name, server)} JOIN ${channel}\r\n`);
      case 'left': {
        const source = userSource(event.name, server);
        if (event.quit === true) return Buffer.from(`${tags}:${source} QUIT :${ircText(event.why ?? 'Client Quit')}\r\n`);
        return Buffer.from(`${tags}:${source} PART ${channel}${event.why === undefined ? '' : ` :${ircText(event.why)}`}\r\n`);
      }
      case 'topic':
        return Buffer.from(`${tags}:${userSource(event.by, server)} TOPIC ${channel} :${ircText(event.topic)}\r\n`);
      case 'notice':
        return Buffer.from(messageLines(tags, server.name, 'NOTICE', channel, ircText(event.text)));
    }
  }
}
