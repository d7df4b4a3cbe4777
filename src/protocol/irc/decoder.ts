import { LineDecoder, type LineEvent } from '../line-decoder.js';
import { IRC_LINE_BYTES, IRC_TAG_BYTES, parseIrcLine, type IrcMessage, type IrcParseFailure } from './message.js';

// Bytes from an IRC client in, messages out. LineDecoder does the framing,
// the memory bound and the strict UTF-8 check; this layer applies IRC's own
// limits, which only the parser can see (tags and the rest count apart).

export type IrcBadMessageReason = Exclude<IrcParseFailure, 'empty' | 'too-long' | 'tags-too-long'>;

export type IrcInputEvent =
  | { kind: 'message'; message: IrcMessage }
  | { kind: 'too-long' }
  | { kind: 'bad-encoding' }
  | { kind: 'bad-message'; reason: IrcBadMessageReason };

/** A bound on any line that can be valid (all the tags and a whole 512-byte message); the parser checks the exact limits. */
export const IRC_MAX_INPUT_BYTES = IRC_TAG_BYTES + IRC_LINE_BYTES;

export class IrcDecoder {
  private readonly lines = new LineDecoder(IRC_MAX_INPUT_BYTES);

  /** Bytes of the current, unterminated line held in memory. */
  get pendingBytes(): number {
    return this.lines.pendingBytes;
  }

  /** The sink of the chunk being fed; one bound handler per decoder rather than a closure per chunk. */
  private sink: (event: IrcInputEvent) => void = () => undefined;
  private readonly relay = (event: LineEvent): void => handle(event, this.sink);

  /** Feeds one chunk; calls `sink` for every event, in order. */
  push(chunk: Uint8Array, sink: (event: IrcInputEvent) => void): void {
    this.sink = sink;
    this.lines.push(chunk, this.relay);
  }
}

function handle(event: LineEvent, sink: (event: IrcInputEvent) => void): void {
  if (event.kind === 'too-long') return sink({ kind: 'too-long' });
  if (event.kind === 'bad-encoding') return sink({ kind: 'bad-encoding' });
  // RFC 1459 §8: a CR or LF anywhere ends a message, so a lone CR
  // (left inside the line by LineDecoder) is a line break too.
  for (const text of event.text.split('\r')) {
    const parsed = parseIrcLine(text);
    if (parsed.ok) sink({ kind: 'message', message: parsed.message });
    // Blank lines (or only spaces) are ignored, as servers do.
    else if (parsed.reason === 'empty') continue;
    else if (parsed.reason === 'too-long' || parsed.reason === 'tags-too-long') sink({ kind: 'too-long' });
    else sink({ kind: 'bad-message', reason: parsed.reason });
  }
}
