// One IRC message, parsed from or encoded to one line (RFC 1459, RFC 2812,
// https://modern.ircdocs.horse and IRCv3 message-tags). Pure: no sockets,
// no clock. The parser answers every string with a message or a reason and
// never throws; the encoder throws only for a caller's mistake, and can never
// produce more than one line whatever the content.

export interface IrcMessage {
  readonly tags: ReadonlyMap<string, string>;
  readonly source: string | undefined;
  /** Upper-cased letters, or a 3-digit numeric as sent. */
  readonly command: string;
  readonly params: readonly string[];
}

/** The non-tag part of a line including its CRLF: 510 bytes of content. */
export const IRC_LINE_BYTES = 512;
/** The tag section a server may send, '@' and the space after it included (IRCv3 message-tags). */
export const IRC_TAG_BYTES = 8191;
/**
 * The tag section a client may send: 4094 bytes of tag data with the '@'
 * and the space; a longer one is refused (ERR_INPUTTOOLONG), as the
 * message-tags specification requires, so the server's own tags still fit.
 */
export const IRC_CLIENT_TAG_BYTES = 4096;
/** RFC 1459: a message has at most 15 parameters. */
export const IRC_MAX_PARAMS = 15;

const CONTENT_BYTES = IRC_LINE_BYTES - 2;

export type IrcParseFailure = 'empty' | 'tags-too-long' | 'too-long' | 'no-command' | 'bad-command';
export type IrcParse = { ok: true; message: IrcMessage } | { ok: false; reason: IrcParseFailure };

const COMMAND = /^(?:[A-Za-z]+|[0-9]{3})$/;
const SPACE = 0x20;

function skipSpaces(line: string, at: number): number {
  while (at < line.length && line.charCodeAt(at) === SPACE) at++;
  return at;
}

/** Index of the next space at or after `at`, or the line's length. */
function wordEnd(line: string, at: number): number {
  const space = line.indexOf(' ', at);
  return space === -1 ? line.length : space;
}

/**
 * Parses one line without its CRLF.
 *
 * Leading spaces are skipped and runs of spaces separate words. After 14
 * middle parameters the rest of the line is the 15th, as RFC 2812's grammar
 * and common servers have it, so `params` never holds more than 15. A lone
 * ':' as the source counts as no source.
 */
export function parseIrcLine(line: string): IrcParse {
  let at = skipSpaces(line, 0);
  if (at === line.length) return { ok: false, reason: 'empty' };

  let tags: ReadonlyMap<string, string> = EMPTY_TAGS;
  let tagBytes = 0;
  if (line.charCodeAt(at) === 0x40 /* @ */) {
    const end = wordEnd(line, at);
    // The space after the tags counts towards their limit.
    tagBytes = Buffer.byteLength(line.slice(at, end)) + 1;
    if (tagBytes > IRC_CLIENT_TAG_BYTES) return { ok: false, reason: 'tags-too-long' };
    tags = parseTags(line.slice(at + 1, end));
    at = end + 1;
  }
  // Everything but the tag section, leading spaces included.
  if (Buffer.byteLength(line) - tagBytes > CONTENT_BYTES) return { ok: false, reason: 'too-long' };

  at = skipSpaces(line, at);
  let source: string | undefined;
  if (at < line.length && line.charCodeAt(at) === 0x3a /* : */) {
    const end = wordEnd(line, at);
    if (end > at + 1) source = line.slice(at + 1, end);
    at = skipSpaces(line, end);
  }
  if (at >= line.length) return { ok: false, reason: 'no-command' };

  const commandEnd = wordEnd(line, at);
  const command = line.slice(at, commandEnd);
  if (!COMMAND.test(command)) return { ok: false, reason: 'bad-command' };

  const params: string[] = [];
  at = skipSpaces(line, commandEnd);
  while (at < line.length) {
    if (line.charCodeAt(at) === 0x3a) {
      params.push(line.slice(at + 1));
      break;
    }
    if (params.length === IRC_MAX_PARAMS - 1) {
      params.push(line.slice(at));
      break;
    }
    const end = wordEnd(line, at);
    params.push(line.slice(at, end));
    at = skipSpaces(line, end);
  }
  return { ok: true, message: { tags, source, command: command.toUpperCase(), params } };
}

const EMPTY_TAGS: ReadonlyMap<string, string> = new Map();

/** `a=b;c;d=` without the '@'. Empty keys are skipped; a later key wins. */
function parseTags(raw: string): ReadonlyMap<string, string> {
  const tags = new Map<string, string>();
  for (const item of raw.split(';')) {
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq);
    if (key === '') continue;
    tags.set(key, eq === -1 ? '' : unescapeTagValue(item.slice(eq + 1)));
  }
  return tags;
}

const ESCAPES: Readonly<Record<string, string>> = { ';': '\\:', ' ': '\\s', '\\': '\\\\', '\r': '\\r', '\n': '\\n' };
const UNESCAPES: Readonly<Record<string, string>> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

/**
 * IRCv3 tag value escaping. NUL has no escape and may not appear on the
 * wire, so it becomes an escaped space, as NUL in a parameter becomes a space.
 */
export function escapeTagValue(v: string): string {
  return v.replace(/[; \\\r\n\0]/g, (ch) => ESCAPES[ch] ?? '\\s');
}

/**
 * Reverses escapeTagValue. A backslash before any other character is
 * dropped and a trailing lone backslash is dropped, as the spec says.
 */
export function unescapeTagValue(v: string): string {
  if (!v.includes('\\')) return v;
  return v.replace(/\\(.?)/gs, (_, ch: string) => UNESCAPES[ch] ?? ch);
}

/**
 * The client-only tags of a message (`+key`), encoded for relaying:
 * `+a=b;+c`, or '' when there are none. Their values pass through `clean`
 * (the caller's control-character guard) before they are escaped.
 */
export function clientOnlyTags(tags: ReadonlyMap<string, string>, clean: (value: string) => string): string {
  let out = '';
  for (const [key, value] of tags) {
    if (!key.startsWith('+') || !TAG_KEY.test(key)) continue;
    const safe = clean(value);
    out += `${out === '' ? '' : ';'}${key}${safe === '' ? '' : `=${escapeTagValue(safe)}`}`;
  }
  return out;
}

/** `[+][vendor/]name`, IRCv3's key grammar. */
const TAG_KEY = /^\+?(?:[A-Za-z0-9.-]+\/)?[A-Za-z0-9-]+$/;
const LINE_BREAKERS = /[\r\n\0]/g;

export interface IrcEncodeOptions {
  /** Put ':' before the last parameter even when it does not need one (message text). */
  readonly trailing?: boolean;
}

export interface IrcOutgoing {
  readonly tags?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  readonly source?: string;
  readonly command: string;
  readonly params?: readonly string[];
}

/**
 * Encodes one message as a line ending in CRLF. CR, LF and NUL in
 * parameters become spaces, so content can never end the line early. A bad
 * command, source or tag key, a middle parameter that would not survive
 * parsing, or more than 15 parameters is a programming error: TypeError.
 * The 512-byte limit is the caller's to keep (see splitUtf8).
 */
export function encodeIrcLine(message: IrcOutgoing, options: IrcEncodeOptions = {}): string {
  let out = '';
  const tags = message.tags === undefined ? [] : message.tags instanceof Map ? [...message.tags] : Object.entries(message.tags);
  if (tags.length > 0) {
    const items = tags.map(([key, value]) => {
      if (!TAG_KEY.test(key)) throw new TypeError(`bad IRC tag key ${JSON.stringify(key)}`);
      return value === '' ? key : `${key}=${escapeTagValue(value)}`;
    });
    out += `@${items.join(';')} `;
  }
  if (message.source !== undefined) {
    if (message.source === '' || /[ \r\n\0]/.test(message.source)) throw new TypeError(`bad IRC source ${JSON.stringify(message.source)}`);
    out += `:${message.source} `;
  }
  if (!COMMAND.test(message.command)) throw new TypeError(`bad IRC command ${JSON.stringify(message.command)}`);
  out += message.command.toUpperCase();

  const params = message.params ?? [];
  if (params.length > IRC_MAX_PARAMS) throw new TypeError(`an IRC message has at most ${IRC_MAX_PARAMS} parameters, got ${params.length}`);
  params.forEach((raw, i) => {
    const param = raw.replace(LINE_BREAKERS, ' ');
    const needsColon = param === '' || param.includes(' ') || param.startsWith(':');
    if (i < params.length - 1) {
      if (needsColon) throw new TypeError(`IRC middle parameter ${i + 1} may not be empty, hold a space or start with ':': ${JSON.stringify(raw)}`);
      out += ` ${param}`;
    } else {
      out += needsColon || options.trailing === true ? ` :${param}` : ` ${param}`;
    }
  });
  return `${out}\r\n`;
}
