// WebSocket frames (RFC 6455, section 5.2) as bytes: the header of a
// frame, and a run of the line protocol's lines as one text frame each.
// Pure: no sockets. The server frames its output itself rather than through
// `ws`'s send(): a room's batch is then framed once for all its browser
// members, as a TCP batch is joined once, instead of a send() (a header, a
// write and its bookkeeping) per line per member.

export const OP_TEXT = 0x1;
const FIN = 0x80;
const MASK = 0x80;
const LF = 0x0a;

/** A frame header's size for a payload of `length` bytes: 2, 4 or 10 bytes, and 4 more for a mask key. */
export function frameHeaderSize(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Writes a final frame's header at `out[at]`; returns where the payload
 * goes. With `maskKey` the frame is masked (a client's): the key is
 * written, and masking the payload is the caller's.
 */
export function writeFrameHeader(out: Buffer, at: number, opcode: number, length: number, maskKey?: number): number {
  const mask = maskKey === undefined ? 0 : MASK;
  out[at++] = FIN | opcode;
  if (length < 126) {
    out[at++] = mask | length;
  } else if (length < 0x10000) {
    out[at++] = mask | 126;
    out.writeUInt16BE(length, at);
    at += 2;
  } else {
    out[at++] = mask | 127;
    // Lengths past 4 GiB are not lines.
    out.writeUInt32BE(0, at);
    out.writeUInt32BE(length, at + 4);
    at += 8;
  }
  if (maskKey !== undefined) {
    out.writeUInt32BE(maskKey >>> 0, at);
    at += 4;
  }
  return at;
}

/**
 * Lines (each ending in LF; a last one without it counts too) as one
 * unmasked text frame per line, without its LF, back to back in one buffer.
 */
export function linesAsTextFrames(lines: Buffer): Buffer {
  let total = 0;
  let start = 0;
  while (start < lines.length) {
    let lf = lines.indexOf(LF, start);
    if (lf === -1) lf = lines.length;
    total += frameHeaderSize(lf - start, false) + (lf - start);
    start = lf + 1;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  start = 0;
  while (start < lines.length) {
    let lf = lines.indexOf(LF, start);
    if (lf === -1) lf = lines.length;
    at = writeFrameHeader(out, at, OP_TEXT, lf - start);
    at += lines.copy(out, at, start, lf);
    start = lf + 1;
  }
  return out;
}
