// Telnet commands on real sockets: a client that mixes IAC sequences into its
// frames gets the same answers as one that does not, its timing marks are
// answered after the replies to the frames before them, and the server
// refuses options once and never starts a negotiation.

import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TELNET } from '../../src/protocol/telnet.js';
import { closeAllServers, removeTempDirs, startTestServer, type TestServer } from '../helpers/server.js';

const { IAC, DO, DONT, WILL, WONT, SB, SE, NOP, IP, AYT, TIMING_MARK: TM } = TELNET;
const ECHO = 1;
const NAWS = 31;
const VERB: Record<number, string> = { [DO]: 'DO', [DONT]: 'DONT', [WILL]: 'WILL', [WONT]: 'WONT' };

/** Bytes: strings as UTF-8, numbers as they are. */
const raw = (...parts: Array<string | number[]>): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

/**
 * A socket that records every byte received and reads it back as tokens:
 * each line (without its LF), and each telnet negotiation as `<WILL 6>`.
 */
class RawClient {
  received = Buffer.alloc(0);
  closed = false;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => (this.received = Buffer.concat([this.received, chunk])));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      socket.setNoDelay(true);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        const client = new RawClient(socket);
        clients.add(client);
        resolve(client);
      });
    });
  }

  send(...parts: Array<string | number[]>): void {
    this.socket.write(raw(...parts));
  }

  tokens(): string[] {
    const tokens: string[] = [];
    const b = this.received;
    let line: number[] = [];
    for (let i = 0; i < b.length; i++) {
      if (b[i] === IAC && i + 2 < b.length && VERB[b[i + 1]!] !== undefined) {
        tokens.push(`<${VERB[b[i + 1]!]} ${b[i + 2]}>`);
        i += 2;
      } else if (b[i] === 0x0a) {
        tokens.push(Buffer.from(line).toString('utf8'));
        line = [];
      } else {
        line.push(b[i]!);
      }
    }
    return tokens;
  }

  /** Waits until the tokens include `last`; returns all tokens up to and including it. */
  async until(last: string, timeoutMs = 5_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tokens = this.tokens();
      const at = tokens.indexOf(last);
      if (at !== -1) return tokens.slice(0, at + 1);
      if (Date.now() > deadline || this.closed) {
        throw new Error(`no ${JSON.stringify(last)} within ${timeoutMs} ms${this.closed ? ' (closed)' : ''}; got ${JSON.stringify(tokens)}`);
      }
      await sleep(10);
    }
  }

  async waitClosed(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`still open after ${timeoutMs} ms; got ${JSON.stringify(this.tokens())}`);
      await sleep(10);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

const clients = new Set<RawClient>();
let srv: TestServer;

beforeEach(async () => {
  srv = await startTestServer({ rateLimit: 0 });
});

afterEach(async () => {
  for (const c of clients) c.close();
  clients.clear();
  await closeAllServers();
});

afterAll(() => removeTempDirs());

const WILL_TM = `<WILL ${TM}>`;
const DO_TM = [IAC, DO, TM];

describe('telnet commands mixed into frames', () => {
  it('removes two-byte commands anywhere and subnegotiation between frames, split across writes too', async () => {
    const c = await RawClient.connect(srv.port);
    // NOPs and an IP inside frames, a window-size subnegotiation between frames, each cut across writes.
    c.send('LOG', [IAC]);
    await sleep(20);
    c.send([NOP], 'IN|tina\r\n', [IAC, SB, NAWS, 0]);
    await sleep(20);
    c.send([80, 0, 24, IAC], [SE], 'PI', [IAC, IP], 'NG|', [IAC, NOP], 'one\r\n');
    const tokens = await c.until('PONG|one');
    expect(tokens).toEqual(['SUCCESS|Welcome, tina! You are in lobby. (guest)', 'SYSTEM|tina joined lobby', 'PONG|one']);
  });

  it("answers telnet's Ctrl-C (IAC IP IAC DO TIMING-MARK) after the replies to the frames before it", async () => {
    const c = await RawClient.connect(srv.port);
    // One write: LOGIN is asynchronous, so the mark and TEXT arrive while it runs.
    c.send('LOGIN|tom\r\n', [IAC, IP, ...DO_TM], 'TEXT|hello\r\n');
    const tokens = await c.until('TEXT|tom|hello');
    expect(tokens).toEqual(['SUCCESS|Welcome, tom! You are in lobby. (guest)', 'SYSTEM|tom joined lobby', WILL_TM, 'TEXT|tom|hello']);
    expect(c.tokens().join('\n')).not.toContain('BAD_ENCODING');
  });

  it('keeps several marks and frames in order behind a slow (password) login', async () => {
    const c = await RawClient.connect(srv.port);
    c.send('LOGIN|tara|secret-pw\r\n', DO_TM, 'PING|a\r\n', DO_TM, DO_TM, 'PING|b\r\n', [IAC, DO, ECHO], 'PING|c\r\n');
    const tokens = await c.until('PONG|c');
    expect(tokens).toEqual([
      expect.stringMatching(/^SUCCESS\|Welcome, tara!/),
      'SYSTEM|tara joined lobby',
      WILL_TM,
      'PONG|a',
      WILL_TM,
      WILL_TM,
      'PONG|b',
      `<WONT ${ECHO}>`,
      'PONG|c',
    ]);
  });

  it('answers a mark at once when nothing is pending, and between frames of one write', async () => {
    const c = await RawClient.connect(srv.port);
    c.send('LOGIN|tess\r\n');
    await c.until('SYSTEM|tess joined lobby');
    c.send(DO_TM);
    expect(await c.until(WILL_TM)).toHaveLength(3);
    c.send('PING|1\r\n', DO_TM, 'PING|2\r\n');
    expect((await c.until('PONG|2')).slice(3)).toEqual(['PONG|1', WILL_TM, 'PONG|2']);
  });

  it('still answers frames that follow a held mark when the client half-closes', async () => {
    const c = await RawClient.connect(srv.port);
    c.send('LOGIN|tilda|secret-pw\r\n', DO_TM, 'PING|last\r\n');
    c.socket.end();
    await c.waitClosed();
    expect(c.tokens()).toEqual([expect.stringMatching(/^SUCCESS\|/), 'SYSTEM|tilda joined lobby', WILL_TM, 'PONG|last']);
  });

  it('refuses each option once, never answers WONT/DONT, and sends nothing unasked', async () => {
    const c = await RawClient.connect(srv.port);
    c.send([IAC, WONT, ECHO, IAC, DONT, ECHO, IAC, NOP]);
    await sleep(200);
    expect(c.received.length).toBe(0);
    c.send([IAC, DO, ECHO, IAC, WILL, NAWS]);
    await c.until(`<DONT ${NAWS}>`);
    c.send([IAC, DO, ECHO, IAC, WILL, NAWS, IAC, DO, ECHO], 'PING|x\r\n');
    expect(await c.until('PONG|x')).toEqual([`<WONT ${ECHO}>`, `<DONT ${NAWS}>`, 'PONG|x']);
  });

  it('inside a line, negotiation bytes are bad text (BAD_ENCODING, no answer); between lines they are negotiation', async () => {
    const c = await RawClient.connect(srv.port);
    // 0xFF 0xFE inside a frame is the contract's bad text, not IAC DONT: also when it is the first 0xFF, in a later write.
    c.send('PING|bad ');
    await sleep(20);
    c.send([IAC, DONT], ' bytes\r\nPING|x', [IAC, DO, ECHO], '\r\n', [IAC, DO, ECHO], 'PING|after\r\n');
    const bad = expect.stringMatching(/^ERROR\|BAD_ENCODING\|/);
    expect(await c.until('PONG|after')).toEqual([bad, bad, `<WONT ${ECHO}>`, 'PONG|after']);
  });

  it('0xFF 0xFE 0xFD alone on a line is bad text, not negotiation: BAD_ENCODING, never silence', async () => {
    const c = await RawClient.connect(srv.port);
    c.send([IAC, DONT, 0xfd], '\n', [IAC, 0xfe], '\n', 'PING|after\n');
    const bad = expect.stringMatching(/^ERROR\|BAD_ENCODING\|/);
    expect(await c.until('PONG|after')).toEqual([bad, bad, 'PONG|after']);
  });

  it('answers AYT with a SYSTEM line', async () => {
    const c = await RawClient.connect(srv.port);
    c.send('PING|1\r\n', [IAC, AYT]);
    expect(await c.until('SYSTEM|yes, still here')).toEqual(['PONG|1', 'SYSTEM|yes, still here']);
  });

  it('IAC IAC is a literal 0xFF: that line is BAD_ENCODING, the next one (with a NOP in it) is answered', async () => {
    const c = await RawClient.connect(srv.port);
    c.send('PING|', [IAC, IAC], '\r\nPI', [IAC, NOP], 'NG|ok\r\n');
    expect(await c.until('PONG|ok')).toEqual([expect.stringMatching(/^ERROR\|BAD_ENCODING\|/), 'PONG|ok']);
  });

  it('legacy framing: telnet commands alone are not input, so they do not hold back the frame', async () => {
    const c = await RawClient.connect(srv.port);
    c.send('1|lena');
    // A NOP every 100 ms (a keep-alive): the 250 ms of quiet still ends the frame.
    let sending = true;
    const nops = (async () => {
      for (let i = 0; i < 20 && sending; i++) {
        await sleep(100);
        c.send([IAC, NOP]);
      }
    })();
    try {
      const tokens = await c.until('SYSTEM|lena joined lobby', 1_500);
      expect(tokens).toEqual([expect.stringMatching(/^SUCCESS\|Welcome, lena!/), 'SYSTEM|lena joined lobby']);
    } finally {
      sending = false;
      await nops;
    }
  });
});
