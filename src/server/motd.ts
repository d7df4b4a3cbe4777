import { readFileSync } from 'node:fs';
import { codePointLength, encodeSystem, stripUnsafe } from '../protocol/index.js';

// The message of the day (--motd FILE): its lines, each sent as a SYSTEM|
// line to everyone who logs in, after SUCCESS, the history and their join
// notice. Read at start and again on SIGHUP.

export const MOTD_MAX_LINES = 30;
export const MOTD_MAX_LINE_CHARS = 400;

/** The current message of the day, as encoded lines (none when off). */
export class Motd {
  /** The lines as text (other protocols encode them their way). */
  text: readonly string[] = [];
  /** The same as line-protocol SYSTEM lines, encoded once. */
  lines: readonly Buffer[] = [];
}

/**
 * A file's text as the lines to send: control characters removed, blank
 * lines dropped. Throws an Error naming the file (and the line) when it is
 * more than a message of the day should be.
 */
export function motdLines(text: string, file: string): string[] {
  const lines: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = stripUnsafe(raw.replaceAll('\t', '    ')).trimEnd();
    if (line.trim() === '') return;
    if (codePointLength(line, MOTD_MAX_LINE_CHARS + 1) > MOTD_MAX_LINE_CHARS) {
      throw new Error(`${file}:${index + 1}: a line of the message of the day is longer than ${MOTD_MAX_LINE_CHARS} characters`);
    }
    lines.push(line);
  });
  if (lines.length > MOTD_MAX_LINES) throw new Error(`${file}: the message of the day has ${lines.length} lines; at most ${MOTD_MAX_LINES} are sent`);
  return lines;
}

/** Reads the file into `motd`; '' turns it off. Throws (the old lines kept) when the file cannot be read or is too long. */
export function loadMotd(motd: Motd, file: string): void {
  if (file === '') {
    motd.text = [];
    motd.lines = [];
    return;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read the message of the day ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const lines = motdLines(text, file);
  motd.text = lines;
  motd.lines = lines.map((line) => Buffer.from(encodeSystem(line)));
}
