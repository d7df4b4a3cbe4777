// The bench's message payload: `<pad>b:<sender>:<seq>:<sent-ns>`.
//
// The sender id is global to a scenario, the sequence number counts from 1
// per sender, and the send time is the system-wide monotonic clock
// (process.hrtime, CLOCK_MONOTONIC on Linux) in nanoseconds, shared by every
// thread and process of the machine, so a receiver can take its own reading
// and subtract. Receivers parse the payload from the end of the line, on
// bytes, so the frame type and sender name in front do not matter:
// `TEXT|s3|b:3:17:1234` and `PRIVATE|x|b:3:17:1234` parse alike.

export const PAYLOAD_MARK = 'b:';

export interface Payload {
  sender: number;
  seq: number;
  sentNs: number;
}

/** The monotonic clock in nanoseconds, as a double (exact to a few ns). */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** One message text (no frame type, no LF). `sentNs` is already a decimal string or a number. */
export function encodePayload(sender: number, seq: number, sentNs: number | string, pad = ''): string {
  return `${pad}${PAYLOAD_MARK}${sender}:${seq}:${sentNs}`;
}

/** `n` characters of filler that make a message about `messageBytes` long; empty for 0. */
export function padFor(messageBytes: number, sender: number, seq: number, sentNs: number): string {
  const bare = encodePayload(sender, seq, sentNs).length;
  return messageBytes > bare ? '.'.repeat(messageBytes - bare) : '';
}

const COLON = 0x3a;
const ZERO = 0x30;
const NINE = 0x39;
const B = 0x62;

/**
 * Parses the payload at the end of `buf[start, end)` (a line without its LF)
 * into `out`. Returns false when the line does not end in a bench payload.
 * Allocation-free: this runs once per received line.
 */
export function parsePayloadBytes(buf: Uint8Array, start: number, end: number, out: Payload): boolean {
  let i = end - 1;
  if (i >= start && buf[i] === 0x0d) i--;
  // sent-ns
  let ns = 0;
  let scale = 1;
  let digits = 0;
  while (i >= start) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) break;
    ns += (c - ZERO) * scale;
    scale *= 10;
    digits++;
    i--;
  }
  if (digits === 0 || i < start || buf[i] !== COLON) return false;
  i--;
  let seq = 0;
  scale = 1;
  digits = 0;
  while (i >= start) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) break;
    seq += (c - ZERO) * scale;
    scale *= 10;
    digits++;
    i--;
  }
  if (digits === 0 || digits > 10 || i < start || buf[i] !== COLON) return false;
  i--;
  let sender = 0;
  scale = 1;
  digits = 0;
  while (i >= start) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) break;
    sender += (c - ZERO) * scale;
    scale *= 10;
    digits++;
    i--;
  }
  if (digits === 0 || digits > 9 || i - 1 < start || buf[i] !== COLON || buf[i - 1] !== B) return false;
  out.sender = sender;
  out.seq = seq;
  out.sentNs = ns;
  return true;
}

/** The string form of parsePayloadBytes, for tests and slow paths. */
export function parsePayload(line: string): Payload | undefined {
  const bytes = Buffer.from(line);
  const out: Payload = { sender: 0, seq: 0, sentNs: 0 };
  return parsePayloadBytes(bytes, 0, bytes.length, out) ? out : undefined;
}
