import type readline from 'node:readline';

// Questions with hidden answers (passwords) while the chat runs on
// node:readline. readline-sync cannot be used here: it blocks the process,
// and the chat must keep receiving. Instead the keys are taken from
// readline for the time of the questions: readline's own keypress listener
// is set aside, so what is typed never reaches its line, its echo or its
// history, and is given back afterwards. The question is shown as the
// prompt (readline draws it, with its empty line, above which incoming
// messages are still printed).

interface Key {
  name?: string;
  ctrl?: boolean;
  meta?: boolean;
}
type KeypressListener = (text: string | undefined, key: Key | undefined) => void;

export interface HiddenPromptHost {
  rl: readline.Interface;
  /** The terminal input readline reads ('keypress' events). */
  input: NodeJS.ReadStream;
  /** Shows `question` as the prompt, or the usual prompt again (undefined). */
  show(question: string | undefined): void;
}

/** C0 and C1 control characters and DEL: keys, not text. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/**
 * Asks `questions` in turn, echoing nothing. Resolves with the answers, or
 * undefined when cancelled: Ctrl-C, Ctrl-D, an empty answer, or the
 * interface closing. The keys are taken at once, before this returns, so
 * keys typed ahead of the first question (a paste) are answers too.
 */
export function askHidden(host: HiddenPromptHost, questions: readonly string[]): Promise<string[] | undefined> {
  const { rl, input } = host;
  return new Promise((resolve) => {
    const setAside = input.listeners('keypress') as KeypressListener[];
    const answers: string[] = [];
    let typed = '';
    /** The last key was CR: an LF right after it is the same Enter (a pasted CRLF; the /password line's own, too). */
    let afterReturn = true;
    let closed = false;

    const finish = (result: string[] | undefined): void => {
      input.removeListener('keypress', onKey);
      rl.removeListener('close', onClose);
      typed = '';
      // readline removes its listener when it closes: giving it back then would leave it behind.
      if (!closed) {
        for (const listener of setAside) input.on('keypress', listener);
        host.show(undefined);
      }
      resolve(result);
    };

    const onClose = (): void => {
      closed = true;
      finish(undefined);
    };

    const onKey: KeypressListener = (text, key) => {
      const name = key?.name;
      const lf = afterReturn && name === 'enter';
      afterReturn = name === 'return';
      if (lf) return;
      if (key?.ctrl === true && (name === 'c' || name === 'd')) {
        finish(undefined);
        return;
      }
      if (name === 'return' || name === 'enter') {
        if (typed === '') {
          finish(undefined);
          return;
        }
        answers.push(typed);
        typed = '';
        if (answers.length === questions.length) finish(answers);
        else host.show(questions[answers.length]);
        return;
      }
      if (name === 'backspace') {
        typed = [...typed].slice(0, -1).join('');
        return;
      }
      if (key?.ctrl === true && name === 'u') {
        typed = '';
        return;
      }
      if (text === undefined || key?.ctrl === true || key?.meta === true || CONTROL.test(text)) return;
      typed += text;
    };

    if (questions.length === 0) {
      resolve([]);
      return;
    }
    for (const listener of setAside) input.removeListener('keypress', listener);
    input.on('keypress', onKey);
    rl.once('close', onClose);
    host.show(questions[0]);
  });
}
