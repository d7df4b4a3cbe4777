import net from 'node:net';

// The earlier design's client, as the server must keep serving it: it
// writes each frame in one write without a line ending (`1|name`,
// `3|name:message`, `2|name`), reads each reply with one recv(1024), and
// runs recv → print → input → send in a loop. This is the same behaviour in
// TypeScript, so the tests need nothing outside this repository.

const RECV_SIZE = 1024;
export const DISCONNECTED = '与服务器断开连接';

export class LegacyClient {
  private buffered = Buffer.alloc(0);
  private closed = false;
  private waiter: (() => void) | undefined;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  /** What the client printed, one entry per print(). */
  readonly printed: string[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<LegacyClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new LegacyClient(socket));
      });
    });
  }

  /** One write, no line ending: `sendall(frame.encode())`. */
  send(frame: string): void {
    this.socket.write(frame);
  }

  /**
   * `recv(1024).decode()`: waits for data, returns at most 1024 bytes of
   * what has arrived; '' once the server has closed. Throws where Python's
   * strict decode would (a character split by the 1024-byte cut).
   */
  async recv(timeoutMs = 5_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered.length === 0 && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`recv: nothing within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const taken = this.buffered.subarray(0, RECV_SIZE);
    this.buffered = this.buffered.subarray(taken.length);
    return this.decoder.decode(taken);
  }

  /**
   * The whole program: log in as `inputs[0]`, then for each later input
   * receive, print, send it (`/quit` sends `2|name` and stops). Returns
   * when the inputs are used up or the program would end.
   */
  async run(inputs: readonly string[], recvTimeoutMs = 5_000): Promise<void> {
    const [username, ...lines] = inputs;
    this.send(`1|${username}`);
    const data = await this.recv(recvTimeoutMs);
    if (!data.startsWith('SUCCESS')) {
      this.printed.push(data.split('|')[1] ?? '');
      return;
    }
    this.printed.push(data.split('|')[1] ?? '');
    for (const message of lines) {
      try {
        this.printed.push(await this.recv(recvTimeoutMs));
      } catch {
        this.printed.push(DISCONNECTED);
        return;
      }
      if (message === '/quit') {
        this.send(`2|${username}`);
        return;
      }
      this.send(`3|${username}:${message}`);
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
