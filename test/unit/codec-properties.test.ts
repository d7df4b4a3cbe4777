// Property-based fuzzing of the pure codec (fast-check): whatever bytes
// arrive and however they are cut, the decoder neither throws nor holds
// more than its limit, and gives back exactly the lines sent; whatever line
// it gets, the parser answers with a frame or a known error, and never with
// a control character.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChunks } from '../helpers/chunks.js';
import { ERROR_CODES } from '../../src/protocol/frames.js';
import { CLIENT_FRAME_TYPES, parseClientFrame } from '../../src/protocol/parse.js';
import { encodeJoin, encodeLogin, encodeSay, encodeWhisper } from '../../src/protocol/encode.js';

const utf8 = new TextEncoder();

/** Cuts `input` at the given points (sorted, deduplicated, inside the input). */
function cut(input: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (input.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const p of at) {
    chunks.push(input.subarray(start, p));
    start = p;
  }
  chunks.push(input.subarray(start));
  return chunks;
}

const decodeAll = decodeChunks;

const lineText = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/[\n\r]/g, ''));

describe('LineDecoder properties', () => {
  it('lines sent with LF or CRLF, cut anywhere, come back exactly (empty ones skipped)', () => {
    fc.assert(
      fc.property(fc.array(lineText, { maxLength: 20 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 12 }), (lines, crlf, points) => {
        const input = utf8.encode(lines.map((l) => `${l}${crlf ? '\r\n' : '\n'}`).join(''));
        const { events } = decodeAll(cut(input, points), 4096);
        expect(events).toEqual(lines.filter((l) => l !== '').map((text) => ({ kind: 'line', text })));
      }),
      { numRuns: 300 },
    );
  });

  it('any bytes, cut anywhere: no throw, never more than the limit held, the same events however cut', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 64 }), fc.array(fc.nat(), { maxLength: 12 }), (input, limit, points) => {
        const whole = decodeAll([input], limit);
        const pieces = decodeAll(cut(input, points), limit);
        expect(pieces.events).toEqual(whole.events);
        expect(pieces.maxPending).toBeLessThanOrEqual(limit + 1);
        for (const e of pieces.events) if (e.kind === 'line') expect(utf8.encode(e.text).length).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 300 },
    );
  });
});

const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('parseClientFrame properties', () => {
  it('any line: a frame of a known type or a known error code, never a throw, never a control character in the error', () => {
    const types = new Set<string>(CLIENT_FRAME_TYPES);
    const codes = new Set<string>(Object.values(ERROR_CODES));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom('LOGIN|', 'TEXT|', 'PRIVATE|', 'JOIN|', 'HISTORY|', '1|', '3|').chain((p) => fc.string({ maxLength: 40 }).map((s) => p + s))), (line) => {
        const result = parseClientFrame(line);
        if (result.ok) expect(types.has(result.frame.type)).toBe(true);
        else {
          expect(codes.has(result.code)).toBe(true);
          expect(UNSAFE.test(result.message), JSON.stringify(result.message)).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('what the client encodes, the server parses back', () => {
    const field = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[|\n]/.test(s));
    const text = fc.string({ minLength: 1, maxLength: 60 }).filter((s) => !s.includes('\n'));
    fc.assert(
      fc.property(field, field, text, (name, password, message) => {
        const line = (encoded: string): string => encoded.slice(0, -1);
        expect(parseClientFrame(line(encodeLogin(name)))).toEqual({ ok: true, frame: { type: 'LOGIN', name } });
        expect(parseClientFrame(line(encodeLogin(name, password)))).toEqual({ ok: true, frame: { type: 'LOGIN', name, password } });
        expect(parseClientFrame(line(encodeSay(message)))).toEqual({ ok: true, frame: { type: 'TEXT', message, seed: false } });
        expect(parseClientFrame(line(encodeWhisper(name, message)))).toEqual({ ok: true, frame: { type: 'PRIVATE', to: name, message } });
        expect(parseClientFrame(line(encodeJoin(name)))).toEqual({ ok: true, frame: { type: 'JOIN', room: name } });
      }),
      { numRuns: 500 },
    );
  });
});
