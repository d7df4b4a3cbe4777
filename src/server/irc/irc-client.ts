import { encodeIrcLine, type Numeric } from '../../protocol/irc/index.js';
import type { ErrorCode } from '../../protocol/index.js';
import type { Dialect, LineSink, UserEvent } from '../events.js';
import type { Room } from '../presence.js';
import type { Account, RoomMessage } from '../storage/store.js';
import { IrcAudience, ircMessage, ircText, messageLines, tagSection, userSource, type IrcServerInfo, type TagLevel } from './irc-audience.js';

// One IRC connection's side of the conversation: what it registered with,
// the capabilities it asked for, and how the core's words (notices,
// refusals, private messages) are said to it.

/** ISUPPORT USERLEN: how much of USER's name is kept. */
export const USERLEN = 10;

/** The capabilities offered, with their CAP LS 302 values. */
export const CAPABILITIES: ReadonlyMap<string, string> = new Map([
  ['batch', ''],
  ['cap-notify', ''],
  ['echo-message', ''],
  ['message-tags', ''],
  // No channel prefixes here: NAMES and WHO have at most none to show, so this asks nothing of us.
  ['multi-prefix', ''],
  ['sasl', 'PLAIN'],
  ['server-time', ''],
  ['userhost-in-names', ''],
]);

/** What every IRC session of a server shares: its identity and the encodings of room lines, one per tag level. */
export class IrcServer {
  readonly audiences: Readonly<Record<TagLevel, IrcAudience>>;

  constructor(readonly info: IrcServerInfo) {
    this.audiences = {
      plain: new IrcAudience('irc', 'plain', info),
      time: new IrcAudience('irc+time', 'time', info),
      full: new IrcAudience('irc+tags', 'full', info),
    };
  }
}

export interface SaslExchange {
  /** Base64 received so far (AUTHENTICATE sends it in 400-byte pieces). */
  data: string;
}

export class IrcClient implements Dialect {
  /** '*' until a NICK is taken. */
  nick = '*';
  username: string | undefined;
  realname = '';
  readonly caps = new Set<string>();
  /** CAP LS or REQ before registration holds it until CAP END. */
  negotiating = false;
  capVersion = 0;
  /** 001 sent: registered. */
  welcomed = false;
  /** A registration is being checked (the login is asynchronous). */
  registering = false;
  /** PASS before registration: `account:password` or a password for the NICK. */
  pass: string | undefined;
  sasl: SaslExchange | undefined;
  /** The account SASL proved. */
  account: Account | undefined;
  away: string | undefined;
  oper = false;

  constructor(
    readonly server: IrcServer,
    private readonly sink: LineSink,
  ) {}

  get info(): IrcServerInfo {
    return this.server.info;
  }

  get audience(): IrcAudience {
    return this.server.audiences[this.tagLevel];
  }

  get tagLevel(): TagLevel {
    return this.caps.has('message-tags') ? 'full' : this.caps.has('server-time') ? 'time' : 'plain';
  }

  /** The client takes tags on its lines. */
  get tagged(): boolean {
    return this.tagLevel !== 'plain';
  }

  has(cap: string): boolean {
    return this.caps.has(cap);
  }

  /**
   * The user field WHO and WHOIS show: USER's name as given (letters, digits,
   * `.`, `_` and `-`, cut to USERLEN), `~` in front since no ident server
   * vouches for it. Message sources keep `nick!nick@server`: a room's lines
   * are encoded once for all its members, from the names alone.
   */
  get ident(): string {
    const given = (this.username ?? '').replace(/[^A-Za-z0-9._-]/g, '').slice(0, USERLEN);
    return `~${given === '' ? this.nick : given}`;
  }

  get source(): string {
    return userSource(this.nick, this.server.info);
  }

  /** A numeric reply to this client: `:server NNN nick params…`. */
  reply(numeric: Numeric, ...params: string[]): void {
    this.sink.send(this.line(numeric, ...params));
  }

  /** A line from the server, the client's nick first (the shape of numerics). */
  line(command: string, ...params: string[]): string {
    return encodeIrcLine({ source: this.server.info.name, command, params: [this.nick, ...params] });
  }

  /** A line from the server in the client's own words: `:server COMMAND params…`. */
  raw(command: string, ...params: string[]): string {
    return encodeIrcLine({ source: this.server.info.name, command, params });
  }

  notice(text: string): string {
    return messageLines('', this.server.info.name, 'NOTICE', this.nick, ircText(text));
  }

  error(code: ErrorCode, text: string): string {
    return messageLines('', this.server.info.name, 'NOTICE', this.nick, ircText(`${text} (${code})`));
  }

  farewell(_code: ErrorCode | undefined, text: string): string {
    return `ERROR :${ircText(text)}\r\n`;
  }

  user(event: UserEvent): string {
    switch (event.kind) {
      case 'notice':
        return this.notice(event.text);
      case 'private':
        return messageLines(tagSection(this.tagLevel, event.time, event.id, event.tags), userSource(event.from, this.server.info), 'PRIVMSG', this.nick, ircMessage(event));
      case 'tagmsg':
        if (this.tagLevel !== 'full') return '';
        return `${tagSection('full', event.time, event.id, event.tags)}:${userSource(event.from, this.server.info)} TAGMSG ${this.nick}\r\n`;
    }
  }

  /** IRC's JOIN comes first; the topic, names and history follow it (the join command sends them). */
  entering(_to: LineSink, _room: Room, _history: readonly RoomMessage[], announce: () => void): void {
    announce();
  }
}
