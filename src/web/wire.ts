// Frames as WebSocket messages: one frame per message, without its line
// ending, both ways. The encode functions of src/protocol/encode.ts end
// each frame with LF; that LF is taken off here, and nothing else.

/**
 * The most the page sends in one message. The server answers a message
 * past its --max-line-bytes (4096 by default) with ERROR|LINE_TOO_LONG and
 * goes on; past four times that, and at least 64 KiB, it closes the
 * connection (code 1009). The page never sends that much.
 */
export const MAX_FRAME_BYTES = 64 * 1024;

export type Outgoing = { ok: true; message: string } | { ok: false; reason: string };

/** UTF-8 length of `text` in bytes (a lone surrogate counts as the 3 bytes of U+FFFD). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/**
 * One encoded frame (`TYPE|payload\n`) → the message to send. Refused when
 * a line break is left inside it (the rest would be read as another frame)
 * or when it is so long that the server would close the connection.
 */
export function toMessage(encoded: string): Outgoing {
  const message = encoded.endsWith('\n') ? encoded.slice(0, -1) : encoded;
  if (/[\r\n]/.test(message)) return { ok: false, reason: 'a message cannot hold a line break; nothing was sent' };
  const bytes = utf8Length(message);
  if (bytes > MAX_FRAME_BYTES) {
    return { ok: false, reason: `too long to send (${bytes} bytes; at most ${MAX_FRAME_BYTES}); nothing was sent` };
  }
  return { ok: true, message };
}

/** A received message → its frame lines. One is expected; lines ending in LF or CRLF are tolerated. */
export function linesOf(data: string): string[] {
  return data.split(/\r?\n/).filter((line) => line !== '');
}
