import readline from 'node:readline';
import type { CloseReason } from './connection.js';
import { exitCodeFor } from './failures.js';
import { EXIT, type ExitCode } from './options.js';
import type { ChatSession, LineKind, SessionOutput } from './session.js';

// Scripting mode, when stdin is not a terminal: every stdin line is typed
// into the session (slash commands included), what the server says goes to
// stdout as plain lines, the client's own notices and errors to stderr.
// After the end of input every line is confirmed, then a PING round trip
// shows the server has processed all of them, then LOGOUT.

export class PlainOutput implements SessionOutput {
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly err: NodeJS.WritableStream,
  ) {}

  print(line: string, kind: LineKind): void {
    (kind === 'chat' ? this.out : this.err).write(`${line}\n`);
  }
}

export interface ScriptOptions {
  session: ChatSession;
  input: NodeJS.ReadableStream;
  err: NodeJS.WritableStream;
}

/** Why a script cannot change the password: it would have to hold both in clear text. */
export const NO_PASSWORD_IN_SCRIPTS =
  '/password needs a terminal (it asks for the passwords with hidden input); passwords do not belong in scripts, so nothing was sent';

/** Feeds stdin to the session; resolves with the exit code once all is sent (or sending became impossible). */
export async function runScript(options: ScriptOptions): Promise<ExitCode> {
  const { session, input, err } = options;
  let closedReason: CloseReason | undefined;
  const closed = session.closed().then((reason) => {
    closedReason = reason;
    return reason;
  });
  const interrupted = new Promise<'interrupted'>((resolve) => {
    process.once('SIGINT', () => resolve('interrupted'));
    process.once('SIGTERM', () => resolve('interrupted'));
  });

  const rl = readline.createInterface({ input, terminal: false, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();
  let wasInterrupted = false;
  try {
    for (;;) {
      const next = await Promise.race([lines.next(), closed, interrupted]);
      if (next === 'interrupted') {
        wasInterrupted = true;
        break;
      }
      if (closedReason !== undefined || !('done' in next)) break;
      if (next.done) break;
      const result = session.input(next.value);
      if (result === 'quit') break;
      if (result === 'password') session.remark('warn', NO_PASSWORD_IN_SCRIPTS);
      // One line at a time: the next is read once this one is confirmed,
      // so a long file never overflows the queue and order is kept.
      const step = await Promise.race([session.whenSent(), closed, interrupted]);
      if (step === 'interrupted') {
        wasInterrupted = true;
        break;
      }
    }
  } finally {
    rl.close();
  }

  if (closedReason === undefined && !wasInterrupted) {
    await Promise.race([session.flush(), closed]);
  }
  if (closedReason !== undefined) {
    const unsent = session.unsent;
    if (unsent > 0) err.write(`chat-client: ${unsent} line(s) were not sent\n`);
    return exitCodeFor(closedReason);
  }
  const dropped = await session.quit();
  if (dropped > 0) err.write(`chat-client: ${dropped} line(s) were not sent\n`);
  return wasInterrupted ? EXIT.INTERRUPTED : EXIT.OK;
}
