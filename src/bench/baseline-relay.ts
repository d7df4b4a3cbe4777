#!/usr/bin/env node
// The baseline: the fastest bare relay on node:net we could write in a few
// dozen lines. It splits lines on LF in bytes, copies each TEXT line to every
// other socket of the room as one shared Buffer, and coalesces each socket's
// output into one write per event-loop turn. Just enough of the handshake for
// chat-bench's generator: LOGIN gets `SUCCESS|` and the joiner's own join
// line, JOIN moves rooms, PRIVATE goes to one name. No history, no checks,
// no limits, no storage: what any chat server has to beat is only this.
// Usage: baseline-relay [--port n] [--host address] [--stdin-lifeline];
// prints {"event":"listening","port":n} on stderr. With --stdin-lifeline it
// exits when its stdin closes (its parent, chat-bench, died).

import net from 'node:net';
import { encodePrivate, encodeSuccess, encodeSystem, encodeText, joinedNotice } from '../protocol/index.js';

interface Peer {
  socket: net.Socket;
  rest: Buffer | undefined;
  out: Buffer[];
  outBytes: number;
  name: string;
  room: Set<Peer> | undefined;
}

const rooms = new Map<string, Set<Peer>>();
const names = new Map<string, Peer>();
const dirty: Peer[] = [];
let scheduled = false;
/** A relayed frame up to its message (the sender is always `x`): the encoded line of an empty message, without its LF. */
const head = (line: string): Buffer => Buffer.from(line.slice(0, -1));
const TEXT_HEAD = head(encodeText('x', ''));
const PRIVATE_HEAD = head(encodePrivate('x', ''));
const SUCCESS_LINE = Buffer.from(encodeSuccess(''));

function queue(peer: Peer, data: Buffer): void {
  if (peer.outBytes === 0) {
    dirty.push(peer);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  }
  peer.out.push(data);
  peer.outBytes += data.length;
}

function flush(): void {
  scheduled = false;
  for (const peer of dirty) {
    if (!peer.socket.destroyed) peer.socket.write(peer.out.length === 1 ? peer.out[0]! : Buffer.concat(peer.out, peer.outBytes));
    peer.out = [];
    peer.outBytes = 0;
  }
  dirty.length = 0;
}

/** `head` + bytes [start, end) of `chunk` + LF, as one new Buffer. */
function frame(head: Buffer, chunk: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(head.length + end - start + 1);
  head.copy(out, 0);
  chunk.copy(out, head.length, start, end);
  out[out.length - 1] = 0x0a;
  return out;
}

function join(peer: Peer, room: string): void {
  peer.room?.delete(peer);
  let members = rooms.get(room);
  if (members === undefined) rooms.set(room, (members = new Set()));
  members.add(peer);
  peer.room = members;
  queue(peer, Buffer.from(encodeSystem(joinedNotice(peer.name, room))));
}

function line(peer: Peer, chunk: Buffer, start: number, end: number): void {
  if (chunk[start] === 0x54 && chunk[start + 4] === 0x7c && peer.room !== undefined) {
    const out = frame(TEXT_HEAD, chunk, start + 5, end); // TEXT|message
    for (const other of peer.room) if (other !== peer) queue(other, out);
    return;
  }
  const text = chunk.toString('latin1', start, end);
  if (text.startsWith('LOGIN|')) {
    peer.name = text.slice(6).split('|')[0]!;
    names.set(peer.name, peer);
    queue(peer, SUCCESS_LINE);
    join(peer, 'lobby');
  } else if (text.startsWith('JOIN|')) {
    join(peer, text.slice(5));
  } else if (text.startsWith('PRIVATE|')) {
    const bar = text.indexOf('|', 8);
    const to = bar === -1 ? undefined : names.get(text.slice(8, bar));
    if (to !== undefined) queue(to, frame(PRIVATE_HEAD, chunk, start + bar + 1, end));
  }
}

const server = net.createServer({ noDelay: true }, (socket) => {
  const peer: Peer = { socket, rest: undefined, out: [], outBytes: 0, name: '', room: undefined };
  socket.on('data', (data: Buffer) => {
    let chunk = data;
    if (peer.rest !== undefined) {
      chunk = Buffer.concat([peer.rest, data]);
      peer.rest = undefined;
    }
    let start = 0;
    for (let lf = chunk.indexOf(0x0a); lf !== -1; lf = chunk.indexOf(0x0a, start)) {
      if (lf > start) line(peer, chunk, start, lf);
      start = lf + 1;
    }
    if (start < chunk.length) peer.rest = chunk.subarray(start);
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    peer.room?.delete(peer);
    if (names.get(peer.name) === peer) names.delete(peer.name);
  });
});

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

server.listen(Number(flag('--port', '0')), flag('--host', '127.0.0.1'), () => {
  const address = server.address() as net.AddressInfo;
  process.stderr.write(`${JSON.stringify({ event: 'listening', host: address.address, port: address.port })}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(0));
if (process.argv.includes('--stdin-lifeline')) {
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
}
