// The bench's WebSocket member: its frames, its reader of the server's
// frames (against the ws package's server too), the rooms and the target
// of the ws-fanout scenario.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { DEFAULT_SCENARIOS, defaultBenchOptions } from '../../src/bench/options.js';
import { judgeGoal } from '../../src/bench/table.js';
import { GOALS, judgeWsTarget, targetsGrid } from '../../src/bench/targets.js';
import { formatGrid } from '../../src/bench/table.js';
import { memberFanoutPlan } from '../../src/bench/members.js';
import { planWsScenarios } from '../../src/bench/ws.js';
import {
  FrameReader,
  OP_BINARY,
  OP_CLOSE,
  OP_CONTINUATION,
  OP_PING,
  OP_TEXT,
  acceptFor,
  controlFrame,
  headEnd,
  newKey,
  textFrames,
  upgradeRefusal,
  upgradeRequest,
} from '../../src/bench/ws-wire.js';

/** An unmasked frame, as a server writes it. */
function serverFrame(opcode: number, payload: Buffer | string, fin = true): Buffer {
  const body = Buffer.from(payload);
  const n = body.length;
  const head = n < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, n]) : n < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126) {
    head[0] = (fin ? 0x80 : 0) | opcode;
    if (n < 0x10000) {
      head[1] = 126;
      head.writeUInt16BE(n, 2);
    } else {
      head[1] = 127;
      head.writeUInt32BE(n, 6);
    }
  }
  return Buffer.concat([head, body]);
}

/** What a reader hands on: texts and control frames, in order. */
function collect(): { reader: FrameReader; got: string[] } {
  const got: string[] = [];
  const reader = new FrameReader({
    text: (buf, start, end) => got.push(buf.toString('utf8', start, end)),
    control: (opcode, payload) => got.push(`op${opcode}:${payload.toString('hex')}`),
  });
  return { reader, got };
}

/** Unmasks a client frame the way a server does; returns opcode and text. */
function unmask(frame: Buffer, at = 0): { opcode: number; text: string; next: number } {
  const short = frame[at + 1]! & 0x7f;
  expect(frame[at + 1]! & 0x80).toBe(0x80);
  let pos = at + 2;
  let n = short;
  if (short === 126) {
    n = frame.readUInt16BE(pos);
    pos += 2;
  } else if (short === 127) {
    n = frame.readUInt32BE(pos + 4);
    pos += 8;
  }
  const mask = frame.subarray(pos, pos + 4);
  pos += 4;
  const body = Buffer.from(frame.subarray(pos, pos + n));
  for (let i = 0; i < n; i++) body[i]! ^= mask[i % 4]!;
  return { opcode: frame[at]! & 0x0f, text: body.toString('utf8'), next: pos + n };
}

describe('bench WebSocket frames', () => {
  it('writes masked text frames of every length form, one buffer for all', () => {
    const texts = ['TEXT|b:1:2:3', 'x'.repeat(200), 'é'.repeat(40_000)];
    const out = textFrames(texts);
    let at = 0;
    for (const t of texts) {
      const f = unmask(out, at);
      expect(f).toMatchObject({ opcode: OP_TEXT, text: t });
      expect(out[at]! & 0x80).toBe(0x80); // FIN: a whole message
      at = f.next;
    }
    expect(at).toBe(out.length);
  });

  it('answers a PING with its payload and closes with a code', () => {
    expect(unmask(controlFrame(OP_PING, Buffer.from('hi')))).toMatchObject({ opcode: OP_PING, text: 'hi' });
    const close = unmask(controlFrame(OP_CLOSE, Buffer.from([0x03, 0xe8])));
    expect(close.opcode).toBe(OP_CLOSE);
  });

  it('reads text and control frames, whole or split at any byte', () => {
    const stream = Buffer.concat([
      serverFrame(OP_TEXT, 'SUCCESS|hi'),
      serverFrame(OP_PING, 'p'),
      serverFrame(OP_TEXT, 'TEXT|s0|' + '.'.repeat(300) + 'b:0:1:5'),
      serverFrame(OP_TEXT, ''),
      serverFrame(OP_TEXT, 'z'.repeat(70_000)),
      serverFrame(OP_TEXT, 'TEXT|s0|b:0:2:6'),
    ]);
    const whole = collect();
    expect(whole.reader.feed(stream)).toBe(true);
    expect(whole.got).toHaveLength(6);
    expect(whole.got[1]).toBe('op9:70');
    // Byte by byte up to the long frame, then in larger steps (a frame put together byte by byte is quadratic).
    const longAt = stream.indexOf(serverFrame(OP_TEXT, 'z'.repeat(70_000)));
    for (const cut of [1, 2, 3, 5, 11, 12, 13, 320, 340, 1000, 70_000]) {
      const split = collect();
      for (let at = 0; at < stream.length; ) {
        const step = cut < 100 && at >= longAt ? 4096 + cut : cut;
        // The worker's read buffer is reused: what the reader keeps must be its own copy.
        const chunk = Buffer.from(stream.subarray(at, at + step));
        expect(split.reader.feed(chunk)).toBe(true);
        chunk.fill(0);
        at += step;
      }
      expect(split.got, `cut ${cut}`).toEqual(whole.got);
    }
  });

  it('puts a fragmented message together and ignores a binary one', () => {
    const { reader, got } = collect();
    reader.feed(Buffer.concat([serverFrame(OP_TEXT, 'TEXT|a|', false), serverFrame(OP_PING, ''), serverFrame(OP_CONTINUATION, 'b:1:1:1'), serverFrame(OP_BINARY, 'x')]));
    expect(got).toEqual(['op9:', 'TEXT|a|b:1:1:1']);
  });

  it('gives up on what a server must not send', () => {
    const masked = collect();
    expect(masked.reader.feed(Buffer.from([0x81, 0x81, 0, 0, 0, 0, 0x41]))).toBe(false);
    expect(masked.reader.error).toBe('ws:masked-frame');
    expect(masked.reader.feed(serverFrame(OP_TEXT, 'x'))).toBe(false);
    const stray = collect();
    expect(stray.reader.feed(serverFrame(OP_CONTINUATION, 'x'))).toBe(false);
    expect(stray.reader.error).toBe('ws:protocol');
    const huge = collect();
    expect(huge.reader.feed(Buffer.from([0x81, 127, 0, 0, 0, 1, 0, 0, 0, 0]))).toBe(false);
    expect(huge.reader.error).toBe('ws:message-too-long');
  });

  it('asks to upgrade and checks the answer', () => {
    const key = newKey();
    expect(upgradeRequest('127.0.0.1', 8080, key)).toBe(
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    // RFC 6455's example.
    expect(acceptFor('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    const ok = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`;
    expect(headEnd(Buffer.from(`${ok}\x81\x00`))).toBe(ok.length);
    expect(headEnd(Buffer.from(ok.slice(0, -2)))).toBe(-1);
    expect(upgradeRefusal(ok, key)).toBeUndefined();
    expect(upgradeRefusal(ok, newKey())).toBe('ws:bad-accept');
    expect(upgradeRefusal('HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\n', key)).toBe('http:403');
    expect(upgradeRefusal('SSH-2.0\r\n\r\n', key)).toBe('ws:bad-answer');
  });
});

describe('bench WebSocket member against the ws server', () => {
  let wss: WebSocketServer | undefined;
  afterEach(() => new Promise<void>((resolve) => (wss === undefined ? resolve() : wss.close(() => resolve()))));

  it('upgrades, sends whole messages and reads the answers', async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws', perMessageDeflate: false });
    await new Promise<void>((resolve) => wss!.once('listening', () => resolve()));
    const port = (wss.address() as net.AddressInfo).port;
    const heard: string[] = [];
    wss.on('connection', (ws: WebSocket) => {
      ws.on('message', (data, isBinary) => {
        heard.push(`${isBinary ? 'bin' : 'text'}:${String(data)}`);
        // Two answers per message, and a ping: the reader must get all three.
        ws.send(`echo ${String(data)}`);
        ws.send('x'.repeat(1000));
        ws.ping('pp');
      });
    });
    const socket = net.connect({ host: '127.0.0.1', port });
    const key = newKey();
    const got: string[] = [];
    const pongs: string[] = [];
    const reader = new FrameReader({
      text: (buf, start, end) => got.push(buf.toString('utf8', start, end)),
      control: (opcode, payload) => {
        if (opcode === OP_PING) socket.write(controlFrame(0xa, payload));
        pongs.push(payload.toString());
      },
    });
    let head: Buffer | null = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (head !== null) {
        head = Buffer.concat([head, chunk]);
        const end = headEnd(head);
        if (end === -1) return;
        expect(upgradeRefusal(head.toString('latin1', 0, end), key)).toBeUndefined();
        const restOf = head.subarray(end);
        head = null;
        socket.write(textFrames(['LOGIN|a', 'TEXT|b:0:1:1']));
        if (restOf.length > 0) reader.feed(restOf);
        return;
      }
      expect(reader.feed(chunk)).toBe(true);
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(upgradeRequest('127.0.0.1', port, key));
    const deadline = Date.now() + 5000;
    while (got.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    socket.destroy();
    expect(heard).toEqual(['text:LOGIN|a', 'text:TEXT|b:0:1:1']);
    expect(got).toEqual(['echo LOGIN|a', 'x'.repeat(1000), 'echo TEXT|b:0:1:1', 'x'.repeat(1000)]);
    expect(pongs).toEqual(['pp', 'pp']);
  });
});

describe('ws-fanout rooms and scenarios', () => {
  it('puts every member in one room, through the web port for WebSocket members', () => {
    const via = { protocol: 'ws' as const, port: 8080 };
    const plan = memberFanoutPlan('t', 4, 2, 64, 2, 2, 'all', via);
    expect(plan.conns.every((c) => c.room === 'troom' && c.protocol === 'ws' && c.port === 8080)).toBe(true);
    const mixed = memberFanoutPlan('t', 100, 10, 640, 2, 20, 'mixed', via);
    expect(mixed.conns.filter((c) => c.recvGroup === 0 && c.protocol === 'ws')).toHaveLength(50);
    expect(mixed.conns.filter((c) => c.sendGroup === 0 && c.protocol === 'ws')).toHaveLength(5);
    expect(memberFanoutPlan('t', 4, 2, 64, 2, 2, 'line', via).conns.every((c) => c.protocol === undefined && c.port === undefined)).toBe(true);
  });

  it('run only when named, one per size, the target row at 100 members', () => {
    expect(DEFAULT_SCENARIOS).not.toContain('ws-fanout');
    expect(planWsScenarios(defaultBenchOptions(), 19_800)).toEqual([]);
    const options = { ...defaultBenchOptions(), scenario: ['ws-fanout' as const, 'ws-idle' as const], messageBytes: 2000 };
    const list = planWsScenarios(options, 19_800);
    expect(list.map((s) => s.id)).toEqual(['ws-fanout-100', 'ws-fanout-1000', 'ws-idle-10000']);
    // No cap on the message: one WebSocket message carries one frame whatever its length.
    expect(list[0]!.params).toMatchObject({ receivers: 100, messageBytes: 2000 });
    const goalRow = (i: number) => list[i]!.rows.find((r) => r.key === 'wsVsLine')!;
    expect(goalRow(0).goal).toEqual({ kind: 'min', value: GOALS.wsVsLine, unit: 'float' });
    expect(goalRow(1).goal).toBeUndefined();
  });

  it('judges a minimum goal', () => {
    expect(judgeGoal({ kind: 'min', value: 0.5, unit: 'float' }, 0.61, undefined)).toBe('≥ 0.50 ✓');
    expect(judgeGoal({ kind: 'min', value: 0.5, unit: 'float' }, 0.49, undefined)).toBe('≥ 0.50 ✗');
    expect(judgeGoal({ kind: 'min', value: 0.5, unit: 'float' }, null, undefined)).toBe('≥ 0.50');
  });

  it('judges the WebSocket target against the line members of the same run', () => {
    expect(judgeWsTarget([])).toBeUndefined();
    const figures = (ws: number, line: number) => [{ id: 'ws-fanout-100', title: 'ws-fanout N=100', ours: { deliveries: ws, lineDeliveries: line }, baseline: { deliveries: 9e6 }, errors: {} }];
    expect(judgeWsTarget(figures(3e6, 5e6))).toMatchObject({ measured: '0.60× (3.00 M vs 5.00 M)', goal: '≥ 0.50×', met: true });
    expect(judgeWsTarget(figures(2e6, 5e6))).toMatchObject({ met: false });
    const failed = judgeWsTarget([{ id: 'ws-fanout-100', title: 'ws-fanout N=100', ours: undefined, baseline: undefined, errors: { ours: 'WebSocket members: 3 of 110 logins failed' } }]);
    expect(failed).toMatchObject({ measured: 'failed: WebSocket members: 3 of 110 logins failed', met: false });
    const text = formatGrid(targetsGrid([judgeWsTarget(figures(3e6, 5e6))!], 'WebSocket target')).split('\n');
    expect(text[0]).toBe('WebSocket target');
    expect(text[3]).toMatch(/^ws-fanout N=100: WebSocket ÷ line members, delivered lines\/s, both ours\s+0\.60× \(3\.00 M vs 5\.00 M\)\s+≥ 0\.50×\s+✓$/);
  });
});
