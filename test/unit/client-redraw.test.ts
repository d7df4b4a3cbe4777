import readline from 'node:readline';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createWithResizeRedraw, syncSize } from '../../src/client/redraw.js';

// What the client writes to the terminal when the terminal is resized while
// the input wraps. The terminal (tmux, VTE …) has already rewrapped the input
// to the new width when the resize is heard of, so the redraw has to go up
// the rows the input takes at the new width: more and it erases printed lines,
// fewer and it leaves a stale copy of the prompt. tmux checks the whole screen
// in test/e2e/client-tmux.test.ts; this checks the cursor movements.

class FakeTerminal extends Writable {
  isTTY = true;
  columns: number;
  rows = 20;
  written = '';
  constructor(columns: number) {
    super();
    this.columns = columns;
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.written += chunk.toString();
    done();
  }
  /** What the terminal says its size is (TIOCGWINSZ); it changes before the process hears of it. */
  windowSize: [number, number] | undefined;
  getWindowSize(): [number, number] {
    return this.windowSize ?? [this.columns, this.rows];
  }
  resize(columns: number): string {
    this.columns = columns;
    const before = this.written.length;
    this.emit('resize');
    return this.written.slice(before);
  }
}

const PROMPT = 'alice@lobby> '; // 13 columns
const TEXT = 'this is a rather long line that wraps over several rows of the narrow terminal'; // 78

const open: readline.Interface[] = [];
afterEach(() => {
  for (const rl of open.splice(0)) rl.close();
});

function start(columns: number, useFix: boolean) {
  const input = new PassThrough();
  const output = new FakeTerminal(columns);
  const tty = output as unknown as NodeJS.WriteStream;
  const create = () => readline.createInterface({ input, output: tty, terminal: true, prompt: PROMPT });
  const rl = useFix ? createWithResizeRedraw(tty, create) : create();
  open.push(rl);
  rl.prompt();
  rl.write(TEXT);
  return { rl, output };
}

/** The rows the redraw went up before clearing (`ESC [ n A`), 0 when it did not move. */
function rowsUp(written: string): number {
  const match = /^\u001b\[(\d+)A/.exec(written);
  return match === null ? 0 : Number(match[1]);
}

describe('createWithResizeRedraw', () => {
  it('replaces readline’s own resize listener with one redraw per resize', () => {
    const { output } = start(30, true);
    expect(output.listeners('resize')).toHaveLength(1);
    const written = output.resize(60);
    expect(written.split('\u001b[0J')).toHaveLength(2); // one clear-down: one redraw
    expect(written).toContain(PROMPT + TEXT);
  });

  it('goes up the rows the input takes at the new width (wider: fewer rows)', () => {
    // 91 columns of prompt and input: the cursor is 3 rows below the prompt's start at 30 columns, 1 at 60.
    const { output } = start(30, true);
    expect(rowsUp(output.resize(60))).toBe(1);
    expect(rowsUp(output.resize(100))).toBe(0);
  });

  it('goes up the rows the input takes at the new width (narrower: more rows)', () => {
    const { output } = start(100, true);
    expect(rowsUp(output.resize(30))).toBe(3);
    expect(rowsUp(output.resize(20))).toBe(4);
  });

  it('keeps the cursor where it was in the input', () => {
    const { rl, output } = start(30, true);
    rl.write(null, { name: 'home' });
    // Cursor right after the prompt: row 0 at any width.
    expect(rowsUp(output.resize(20))).toBe(0);
    expect(rl.getCursorPos()).toEqual({ rows: 0, cols: PROMPT.length });
  });

  it('at a row boundary, first writes a space so the terminal cursor is on the row readline counts', () => {
    // 91 columns of prompt and input at 91 columns: readline counts the cursor at the start of row 1.
    const { output } = start(30, true);
    const written = output.resize(91);
    expect(written.startsWith(' ')).toBe(true);
    expect(rowsUp(written.slice(1))).toBe(1);
  });

  it('differs from plain readline, which goes up the rows of the old width', () => {
    // The behaviour the fix replaces: wider, readline goes up 3 rows where the input now takes 2.
    const { output } = start(30, false);
    expect(rowsUp(output.resize(60))).toBe(3);
  });

  it('syncSize catches up with a resize not yet signalled, once', () => {
    const output = new FakeTerminal(30);
    const tty = output as unknown as NodeJS.WriteStream;
    let resizes = 0;
    output.on('resize', () => resizes++);
    syncSize(tty);
    expect(resizes).toBe(0);
    output.windowSize = [60, 20];
    syncSize(tty);
    expect([output.columns, output.rows, resizes]).toEqual([60, 20, 1]);
    syncSize(tty);
    expect(resizes).toBe(1);
  });

  it('a key handled before the SIGWINCH is drawn for the new width when syncSize runs first', async () => {
    const { rl, output } = start(30, true);
    const input = (rl as unknown as { input: NodeJS.ReadStream }).input;
    const tty = output as unknown as NodeJS.WriteStream;
    input.prependListener('keypress', () => syncSize(tty));
    // The terminal is 60 wide already (and has rewrapped the input); the process was not told yet.
    output.windowSize = [60, 20];
    const before = output.written.length;
    input.write('!'); // a key from the terminal
    await new Promise((resolve) => setImmediate(resolve));
    const written = output.written.slice(before);
    // The catch-up redraw went up the 1 row the input takes at 60 columns, not the 3 it took at 30.
    expect(rowsUp(written)).toBe(1);
    expect(output.columns).toBe(60);
  });
});
