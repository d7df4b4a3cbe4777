import readline from 'node:readline';
import type { ChalkInstance } from 'chalk';
import { checkPasswordChange, mayHoldPassword } from './commands.js';
import { exitCodeFor } from './failures.js';
import { askHidden } from './hidden-prompt.js';
import { EXIT, type ExitCode } from './options.js';
import { createWithResizeRedraw, rowsBelowPrompt, setRowsBelowPrompt, syncSize } from './redraw.js';
import { displayWidth, renderNotice, renderPrompt } from './render.js';
import type { ChatSession, LineKind, SessionOutput } from './session.js';

// The interactive chat loop on node:readline. Incoming lines are printed
// above the input line: clear the prompt and what is typed, print, then let
// readline draw the prompt and the partial input again, cursor included.

/** Prints for the session: straight to the terminal until the loop starts, then above the prompt. */
export class Screen implements SessionOutput {
  private rl: readline.Interface | undefined;
  private promptFor: (() => string) | undefined;
  /** A question shown instead of the status line while a hidden answer is typed. */
  private question: string | undefined;

  constructor(private readonly out: NodeJS.WriteStream) {}

  attach(rl: readline.Interface, promptFor: () => string): void {
    this.rl = rl;
    this.promptFor = promptFor;
    rl.setPrompt(promptFor());
  }

  detach(): void {
    this.rl = undefined;
  }

  print(line: string, _kind: LineKind): void {
    const rl = this.rl;
    if (rl === undefined || !this.out.isTTY) {
      this.out.write(`${line}\n`);
      return;
    }
    syncSize(this.out);
    // Rows between the start of the prompt and the cursor (long input wraps).
    const rows = rowsBelowPrompt(rl, this.out);
    readline.moveCursor(this.out, 0, -rows);
    readline.cursorTo(this.out, 0);
    readline.clearScreenDown(this.out);
    this.out.write(`${line}\n`);
    // readline redraws by first going up the rows it believes the cursor is
    // below the prompt's start: we are at the start of a fresh row now.
    if (!setRowsBelowPrompt(rl, 0)) this.out.write('\n'.repeat(rows));
    rl.prompt(true);
  }

  /** Shows `question` as the prompt (hidden input, see hidden-prompt.ts), or the status line again (undefined). */
  ask(question: string | undefined): void {
    this.question = question;
    const rl = this.rl;
    if (rl === undefined || this.promptFor === undefined) return;
    rl.setPrompt(question ?? this.promptFor());
    if (!this.out.isTTY) return;
    syncSize(this.out);
    rl.prompt(true);
  }

  statusChanged(): void {
    const rl = this.rl;
    if (rl === undefined || this.promptFor === undefined) return;
    const next = this.question ?? this.promptFor();
    if (next === rl.getPrompt()) return;
    rl.setPrompt(next);
    if (!this.out.isTTY) return;
    syncSize(this.out);
    rl.prompt(true);
  }

  /** Removes the line just entered (prompt and text), which readline left on screen. */
  eraseEntered(prompt: string, line: string): void {
    if (!this.out.isTTY) return;
    const columns = this.out.columns || 80;
    const rows = Math.floor((displayWidth(prompt) + displayWidth(line)) / columns) + 1;
    readline.moveCursor(this.out, 0, -rows);
    readline.cursorTo(this.out, 0);
    readline.clearScreenDown(this.out);
  }
}

/**
 * The terminal going away (window closed, ssh dropped) ends the input, and
 * node:readline then emits the half-typed line as if Enter had been pressed:
 * nobody meant to send it. Then resetting and writing to the gone terminal
 * fail (EIO), which would crash the client before it logs out. Call before
 * creating the interface, so this 'end' listener runs before readline's.
 */
function watchHangup(input: NodeJS.ReadStream, output: NodeJS.WriteStream): { readonly happened: boolean } {
  const state = { happened: false };
  input.once('end', () => {
    state.happened = true;
    output.on('error', () => undefined);
  });
  const setRawMode = typeof input.setRawMode === 'function' ? input.setRawMode.bind(input) : undefined;
  if (setRawMode !== undefined) {
    input.setRawMode = (mode: boolean) => {
      try {
        return setRawMode(mode);
      } catch (error) {
        if (state.happened) return input;
        throw error;
      }
    };
  }
  return state;
}

export interface ReplOptions {
  session: ChatSession;
  screen: Screen;
  chalk: ChalkInstance;
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  /** How long /quit waits for lines still being sent. */
  drainMs?: number;
}

const PASSWORD_QUESTIONS = ['old password: ', 'new password: ', 'new password again: '] as const;

/** Runs the chat loop until the user quits or the connection ends for good. */
export function runRepl(options: ReplOptions): Promise<ExitCode> {
  const { session, screen, chalk, input, output } = options;
  const drainMs = options.drainMs ?? 3000;
  const hangup = watchHangup(input, output);
  const rl = createWithResizeRedraw(output, () =>
    readline.createInterface({
      input,
      output,
      completer: session.completer,
      terminal: output.isTTY === true,
      historySize: 500,
      tabSize: 4,
    }),
  );
  // Before readline handles a key: the terminal may have been resized a moment ago.
  input.prependListener('keypress', () => syncSize(output));
  const promptFor = (): string => renderPrompt(session.status, chalk);
  screen.attach(rl, promptFor);
  // After readline has handled each key: the cursor is where getCursorPos() says.
  input.on('keypress', () => setRowsBelowPrompt(rl, rl.getCursorPos().rows));
  // readline has just added the line to its history; a password typed after /password must not stay there.
  rl.on('history', (history: string[]) => {
    if (history[0] !== undefined && mayHoldPassword(history[0])) history.shift();
  });
  const ctx = () => ({ chalk, now: () => new Date(), self: session.name, room: session.status.room });
  const say = (kind: 'info' | 'warn' | 'error', text: string) => screen.print(renderNotice(kind, text, ctx()), 'notice');

  say('info', '/help lists commands, Tab completes, Ctrl-D quits');
  rl.prompt();

  return new Promise<ExitCode>((resolve) => {
    let finishing = false;

    const finish = async (code: ExitCode | undefined): Promise<void> => {
      if (finishing) return;
      finishing = true;
      const exitCode = code ?? EXIT.OK;
      if (code === undefined) {
        if (session.status.connection === 'online' && session.unsent > 0) {
          say('info', `sending ${session.unsent} waiting line(s) before leaving…`);
          await Promise.race([session.flush(), new Promise((r) => setTimeout(r, drainMs).unref())]);
        }
        const dropped = await session.quit();
        if (dropped > 0) say('warn', `${dropped} line(s) typed while offline were not sent`);
      }
      screen.detach();
      rl.close();
      output.write('\n');
      resolve(exitCode);
    };

    /** /password: three hidden questions, then PASSWORD|old|new if they agree. */
    const changePassword = async (): Promise<void> => {
      // Without terminal mode (stdout not a terminal) the terminal echoes what is typed, and readline reads it as a line.
      const blocked = rl.terminal ? session.passwordChangeBlocked() : '/password needs stdout on a terminal to hide what is typed';
      if (blocked !== undefined) {
        say('warn', blocked);
        rl.prompt();
        return;
      }
      // Takes the keys at once, so what is typed next is hidden even if it came in the same paste.
      const answers = await askHidden({ rl, input, show: (question) => screen.ask(question) }, PASSWORD_QUESTIONS);
      if (finishing) return;
      if (answers === undefined) {
        say('info', '/password cancelled; nothing was sent');
        return;
      }
      const [old, password, again] = answers as [string, string, string];
      const problem = checkPasswordChange(old, password, again);
      if (problem !== undefined) say('warn', problem);
      else session.changePassword(old, password);
    };

    rl.on('line', (line) => {
      if (finishing || hangup.happened) return;
      screen.eraseEntered(rl.getPrompt(), line);
      const result = session.input(line);
      if (result === 'quit') {
        void finish(undefined);
        return;
      }
      if (result === 'password') {
        void changePassword();
        return;
      }
      rl.prompt();
    });
    // Ctrl-C, and Ctrl-D on an empty line (readline closes on end of input).
    rl.on('SIGINT', () => void finish(undefined));
    rl.on('close', () => void finish(undefined));
    const onSignal = () => void finish(undefined);
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);

    void session.closed().then((reason) => {
      if (finishing || reason.kind === 'quit') return;
      void finish(exitCodeFor(reason));
    });
  });
}
