import { describe, expect, it } from 'vitest';
import { encodePayload, nowNs, padFor, parsePayload, parsePayloadBytes, type Payload } from '../../src/bench/payload.js';

describe('bench payload', () => {
  it('round-trips sender, sequence and send time', () => {
    const text = encodePayload(7, 12345, 987654321012);
    expect(text).toBe('b:7:12345:987654321012');
    expect(parsePayload(text)).toEqual({ sender: 7, seq: 12345, sentNs: 987654321012 });
  });

  it('parses from the end of a relayed line, whatever frame and name come first', () => {
    expect(parsePayload('TEXT|alice|b:3:17:1234')).toEqual({ sender: 3, seq: 17, sentNs: 1234 });
    expect(parsePayload('PRIVATE|x|b:0:1:99')).toEqual({ sender: 0, seq: 1, sentNs: 99 });
    expect(parsePayload('TEXT|x|....padding|b:b:2:3:4')).toEqual({ sender: 2, seq: 3, sentNs: 4 });
    expect(parsePayload('TEXT|x|b:3:17:1234\r')).toEqual({ sender: 3, seq: 17, sentNs: 1234 });
  });

  it('parses within a larger buffer without reading outside [start, end)', () => {
    const buf = Buffer.from('XXTEXT|s|b:1:2:3\nTEXT|s|b:4:5:6\n');
    const out: Payload = { sender: -1, seq: -1, sentNs: -1 };
    expect(parsePayloadBytes(buf, 2, 16, out)).toBe(true);
    expect(out).toEqual({ sender: 1, seq: 2, sentNs: 3 });
    expect(parsePayloadBytes(buf, 17, 31, out)).toBe(true);
    expect(out).toEqual({ sender: 4, seq: 5, sentNs: 6 });
    // The payload must lie inside the range: cut before "b:" it is refused.
    expect(parsePayloadBytes(buf, 11, 16, out)).toBe(false);
  });

  it('refuses lines that do not end in a payload', () => {
    for (const line of ['', 'TEXT|x|hello', 'SYSTEM|bob joined lobby', 'TEXT|x|b:1:2:', 'TEXT|x|b:1::3', 'TEXT|x|c:1:2:3', 'TEXT|x|b::2:3', ':1:2:3', 'b:1:2:3x']) {
      expect(parsePayload(line), line).toBeUndefined();
    }
  });

  it('keeps a monotonic nanosecond clock exact enough for latency', () => {
    const t = nowNs();
    const parsed = parsePayload(`TEXT|x|${encodePayload(1, 1, String(t))}`)!;
    expect(Math.abs(parsed.sentNs - t)).toBeLessThan(8);
    expect(nowNs()).toBeGreaterThanOrEqual(t);
  });

  it('pads a message to the asked size and still parses', () => {
    const pad = padFor(64, 1, 2, 3);
    const text = encodePayload(1, 2, 3, pad);
    expect(text.length).toBe(64);
    expect(parsePayload(`TEXT|x|${text}`)).toEqual({ sender: 1, seq: 2, sentNs: 3 });
    expect(padFor(0, 1, 2, 3)).toBe('');
  });
});
