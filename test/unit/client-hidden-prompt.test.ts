import readline from 'node:readline';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { askHidden, type HiddenPromptHost } from '../../src/client/hidden-prompt.js';

// A real node:readline interface in terminal mode over in-memory streams:
// what is written to `input` arrives as keypresses, as from a terminal.

const tick = () => new Promise((resolve) => setImmediate(resolve));

function terminal() {
  const input = new PassThrough() as unknown as NodeJS.ReadStream;
  const output = new PassThrough();
  let shown = '';
  output.setEncoding('utf8').on('data', (d: string) => (shown += d));
  const rl = readline.createInterface({ input, output, terminal: true, historySize: 50, prompt: '> ' });
  const lines: string[] = [];
  rl.on('line', (line) => lines.push(line));
  const prompts: Array<string | undefined> = [];
  const host: HiddenPromptHost = {
    rl,
    input,
    show: (question) => {
      prompts.push(question);
      rl.setPrompt(question ?? '> ');
      rl.prompt(true);
    },
  };
  const history = () => (rl as unknown as { history: string[] }).history;
  /** Asks `questions` when the line `/password` is entered, as the REPL does. */
  const askOnPassword = (questions: string[]) => {
    const asked: { answers?: Promise<string[] | undefined> } = {};
    rl.on('line', (line) => {
      if (line === '/password') asked.answers = askHidden(host, questions);
    });
    return asked;
  };
  return { input, rl, lines, prompts, host, history, askOnPassword, shown: () => shown };
}

describe('askHidden', () => {
  it('asks in turn, shows nothing typed, keeps it out of the history, then gives readline its keys back', async () => {
    const t = terminal();
    const asked = t.askOnPassword(['old password: ', 'new password: ']);
    t.input.write('/password\r');
    await tick();
    expect(t.prompts).toEqual(['old password: ']);
    t.input.write('secret-');
    t.input.write('one\r');
    await tick();
    expect(t.prompts).toEqual(['old password: ', 'new password: ']);
    t.input.write('topsecret-2\r');
    expect(await asked.answers).toEqual(['secret-one', 'topsecret-2']);
    expect(t.prompts).toEqual(['old password: ', 'new password: ', undefined]);

    t.input.write('hello\r');
    await tick();
    expect(t.lines).toEqual(['/password', 'hello']);
    expect(t.history()).toEqual(['hello', '/password']);
    expect(t.shown()).toContain('hello');
    expect(t.shown()).not.toContain('secret');
  });

  it('takes the keys at once: a paste of the command and its answers is split right', async () => {
    const t = terminal();
    const asked = t.askOnPassword(['old password: ', 'new password: ']);
    t.input.write('/password\r\nold-pass-1\r\nnew-pass-2\r\nback to chat\r');
    expect(await asked.answers).toEqual(['old-pass-1', 'new-pass-2']);
    await tick();
    expect(t.lines).toEqual(['/password', 'back to chat']);
    expect(t.shown()).not.toContain('pass-');
    expect(t.history()).not.toContain('old-pass-1');
  });

  it('edits with Backspace and Ctrl-U, and ignores other keys', async () => {
    const t = terminal();
    const asked = t.askOnPassword(['password: ']);
    t.input.write('/password\r');
    await tick();
    // Backspace twice, Ctrl-U, Tab, an arrow key, then the answer.
    t.input.write('abcd\x7f\x7fzz\x15\t\x1b[Ahunter22\x7f3\r');
    expect(await asked.answers).toEqual(['hunter23']);
  });

  it('Ctrl-C cancels without a SIGINT for readline, and readline works again', async () => {
    const t = terminal();
    let sigints = 0;
    t.rl.on('SIGINT', () => sigints++);
    const asked = t.askOnPassword(['old password: ', 'new password: ']);
    t.input.write('/password\r');
    await tick();
    t.input.write('half-typed\x03');
    expect(await asked.answers).toBeUndefined();
    expect(sigints).toBe(0);
    expect(t.prompts.at(-1)).toBeUndefined();
    t.input.write('still here\r');
    await tick();
    expect(t.lines).toEqual(['/password', 'still here']);
    expect(t.shown()).not.toContain('half-typed');
  });

  it('an empty answer or Ctrl-D cancels', async () => {
    const t = terminal();
    const asked = t.askOnPassword(['old password: ', 'new password: ']);
    t.input.write('/password\r');
    await tick();
    t.input.write('first\r\r');
    expect(await asked.answers).toBeUndefined();

    t.input.write('/password\r');
    await tick();
    t.input.write('abc\x04');
    expect(await asked.answers).toBeUndefined();
    t.input.write('line\r');
    await tick();
    expect(t.lines).toEqual(['/password', '/password', 'line']);
  });

  it('the interface closing cancels, and readline is not given back a listener', async () => {
    const t = terminal();
    const asked = t.askOnPassword(['old password: ']);
    t.input.write('/password\r');
    await tick();
    t.input.write('some');
    t.rl.close();
    expect(await asked.answers).toBeUndefined();
    expect(t.input.listenerCount('keypress')).toBe(0);
  });
});
