import type readline from 'node:readline';

// Keeping node:readline's redraw right when the input wraps over several
// rows. Before every redraw readline goes up by an internal count, `prevRows`
// (the rows between the prompt's start and the cursor), clears down and
// writes the prompt and the input again. Where that count is wrong the
// redraw goes up too far, erasing lines printed above the prompt, or not far
// enough, leaving stale copies of the prompt on screen.

type Internals = { prevRows?: unknown };

/**
 * Sets readline's `prevRows` when the field exists (false otherwise). Node 20
 * does not always keep it up to date: a pasted chunk that wraps leaves it at 0.
 */
export function setRowsBelowPrompt(rl: readline.Interface, rows: number): boolean {
  const internals = rl as unknown as Internals;
  if (typeof internals.prevRows !== 'number') return false;
  internals.prevRows = rows;
  return true;
}

/**
 * The rows between the prompt's start and the cursor, with the terminal's
 * cursor made to agree. When the cursor is at a row boundary readline counts
 * it at the start of the next row, but a character just written to the end
 * of a row leaves the terminal's cursor at the end of that row, waiting to
 * wrap (a key typed in the moment between a resize and its signal is written
 * so). A space moves the cursor, from either place, onto the row readline
 * counts; the redraw that follows writes over it.
 */
export function rowsBelowPrompt(rl: readline.Interface, output: NodeJS.WriteStream): number {
  const { rows, cols } = rl.getCursorPos();
  if (cols === 0 && rows > 0) output.write(' ');
  return rows;
}

/**
 * Catches up with a resize the process has not heard of yet. The terminal
 * resizes and rewraps first and sends SIGWINCH after, so a key or a line
 * handled in between would be drawn for the old width (and readline's redraw
 * would again go up the wrong number of rows). Asks the terminal for its
 * size (an ioctl, no round trip) and, when it changed, does what
 * tty.WriteStream does on SIGWINCH: sets columns and rows and emits
 * 'resize'. The SIGWINCH then finds nothing new and emits nothing. (tmux
 * holds a resize back for up to 250 ms when several come close together;
 * until it passes it on, the size asked is still the old one.)
 */
export function syncSize(output: NodeJS.WriteStream): void {
  if (!output.isTTY || typeof output.getWindowSize !== 'function') return;
  let size: [number, number];
  try {
    size = output.getWindowSize();
  } catch {
    return;
  }
  const [columns, rows] = size;
  if (!(columns > 0) || (columns === output.columns && rows === output.rows)) return;
  output.columns = columns;
  output.rows = rows;
  output.emit('resize');
}

/** The output's 'resize' listeners that `create` added. */
function addedListeners(output: NodeJS.WriteStream, before: readonly unknown[]): Array<(...args: unknown[]) => void> {
  return output.listeners('resize').filter((l) => !before.includes(l)) as Array<(...args: unknown[]) => void>;
}

/**
 * Creates the interface with `create`, then replaces the redraw readline does
 * on its own on every 'resize' of the output.
 *
 * readline's listener redraws with `prevRows` as measured at the old width,
 * but by the time the process hears of the resize the terminal (tmux, VTE,
 * iTerm2, kitty, Windows Terminal …) has already rewrapped the input to the
 * new width. Wider, the input takes fewer rows, readline goes up too far and
 * erases the lines just above the prompt (they never reach the scrollback);
 * narrower, it takes more, readline does not go up far enough and the first
 * rows of the old prompt stay behind. The replacement measures the rows at
 * the new width first, then lets readline redraw.
 */
export function createWithResizeRedraw(output: NodeJS.WriteStream, create: () => readline.Interface): readline.Interface {
  const before = output.listeners('resize');
  const rl = create();
  for (const listener of addedListeners(output, before)) output.removeListener('resize', listener);
  let closed = false;
  const onResize = (): void => {
    if (closed) return;
    // getCursorPos() measures with output.columns, already the new width.
    if (!setRowsBelowPrompt(rl, rowsBelowPrompt(rl, output))) return;
    rl.prompt(true);
  };
  output.on('resize', onResize);
  rl.once('close', () => {
    closed = true;
    output.removeListener('resize', onResize);
  });
  return rl;
}
