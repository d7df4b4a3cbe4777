import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ws from 'ws';

// Exported by ws, though its type declarations leave it out.
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } };
import { OP_TEXT, frameHeaderSize, linesAsTextFrames, writeFrameHeader } from '../../src/server/transports/ws-frames.js';

// The `ws` package's own framer is the reference: our frames must be its
// frames, byte for byte.
function reference(line: Buffer, mask?: Buffer): Buffer {
  const options = { fin: true, opcode: OP_TEXT, mask: mask !== undefined, readOnly: false, rsv1: false, ...(mask ? { maskBuffer: mask, generateMask: () => {} } : {}) };
  return Buffer.concat(Sender.frame(Buffer.from(line), options));
}

const line = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ minLength: 120, maxLength: 130 }),
  fc.constantFrom('', 'x'.repeat(125), 'x'.repeat(126), 'x'.repeat(65_535), 'x'.repeat(65_536), 'é'.repeat(40_000)),
).map((s) => Buffer.from(s.replace(/\n/g, ' ')));

describe('WebSocket frames of lines', () => {
  it('frames every line of a chunk as ws frames it, without the line end', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), fc.boolean(), (lines, lastEnded) => {
        const chunk = Buffer.concat(lines.map((l, i) => (i < lines.length - 1 || lastEnded ? Buffer.concat([l, Buffer.from('\n')]) : l)));
        // A last line without its LF is still a line, unless it is empty (nothing after the last LF).
        const expected = lines.filter((l, i) => i < lines.length - 1 || lastEnded || l.length > 0);
        expect(linesAsTextFrames(chunk).equals(Buffer.concat(expected.map((l) => reference(l))))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('writes masked headers as ws does, with the key after the length', () => {
    for (const n of [0, 5, 125, 126, 65_535, 65_536]) {
      const payload = Buffer.alloc(n, 0x61);
      const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
      const size = frameHeaderSize(n, true);
      const out = Buffer.alloc(size + n);
      const at = writeFrameHeader(out, 0, OP_TEXT, n, key.readUInt32BE(0));
      expect(at).toBe(size);
      // Masking the payload is the caller's.
      for (let i = 0; i < n; i++) out[at + i] = payload[i]! ^ key[i % 4]!;
      expect(out.equals(reference(payload, Buffer.from(key)))).toBe(true);
    }
  });

  it('frames an empty chunk as nothing', () => {
    expect(linesAsTextFrames(Buffer.alloc(0)).length).toBe(0);
  });
});
