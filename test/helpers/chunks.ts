// Cutting a byte stream every way a socket might: whole, byte by byte, split
// in two at every offset, and at random (seeded, so a failure names a seed
// that reproduces it). Chunks are subarrays of one buffer, so they have a
// non-zero byteOffset.

import { LineDecoder, type LineEvent } from '../../src/protocol/line-decoder.js';

const utf8 = new TextEncoder();

/** Concatenates strings (as UTF-8) and raw byte lists. */
export function bytes(...parts: Array<string | number[]>): Uint8Array {
  const arrays = parts.map((p) => (typeof p === 'string' ? utf8.encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

export function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomChunks(input: Uint8Array, seed: number, maxChunk = 8): Uint8Array[] {
  const rand = mulberry32(seed);
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < input.length; ) {
    const n = 1 + Math.floor(rand() * maxChunk);
    chunks.push(input.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

export function chunkings(input: Uint8Array): Array<[string, Uint8Array[]]> {
  const ways: Array<[string, Uint8Array[]]> = [
    ['whole', [input]],
    ['byte by byte', Array.from(input, (_, i) => input.subarray(i, i + 1))],
  ];
  for (let i = 1; i < input.length; i++) ways.push([`split at ${i}`, [input.subarray(0, i), input.subarray(i)]]);
  for (let seed = 1; seed <= 30; seed++) ways.push([`random seed ${seed}`, randomChunks(input, seed)]);
  return ways;
}

/** Feeds the chunks to one LineDecoder: its events, and the most it held of a pending line. */
export function decodeChunks(chunks: Uint8Array[], limit?: number): { events: LineEvent[]; maxPending: number } {
  return decodeWith(new LineDecoder(limit), chunks);
}

/** Feeds the chunks to a decoder of any protocol: its events, and the most it held of a pending line. */
export function decodeWith<E>(
  decoder: { push(chunk: Uint8Array, sink: (event: E) => void): void; readonly pendingBytes: number },
  chunks: Uint8Array[],
): { events: E[]; maxPending: number } {
  const events: E[] = [];
  let maxPending = 0;
  for (const chunk of chunks) {
    decoder.push(chunk, (e) => events.push(e));
    maxPending = Math.max(maxPending, decoder.pendingBytes);
  }
  return { events, maxPending };
}
