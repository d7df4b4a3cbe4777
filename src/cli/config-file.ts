import { parse, TomlError } from 'smol-toml';
import { OptionValueError, fileKey, type FileValues, type FlagSpec, type OptionKit } from './option-kit.js';

// A bin's config file: TOML at the top level, one key per long flag name
// (`port = 7000`, `max-message = 2000`, `operator = ["alice", "bob"]`).
// Every value goes through the flag's own parser, so a file accepts what the
// flag accepts; a mistake is one line naming the file, the line and the key.
// Pure: the bin reads the file and reports the error.

/** Keys a file may not set (`config` itself), with why. */
export type ReservedKeys = Readonly<Record<string, string>>;

/**
 * Reads a config file's text. Throws OptionValueError with
 * `file:line: what is wrong` (the line where the key is, when it is found).
 */
export function parseConfigText<Values, Spec extends FlagSpec>(
  text: string,
  file: string,
  kit: OptionKit<Values, Spec>,
  reserved: ReservedKeys = {},
): FileValues {
  let document: Record<string, unknown>;
  try {
    document = parse(text);
  } catch (err) {
    if (err instanceof TomlError) throw new OptionValueError(`${file}:${err.line}: ${tomlReason(err)}`);
    throw err;
  }
  const lines = text.split(/\r?\n/);
  const values: Record<string, unknown> = {};
  const where: Record<string, string> = {};
  for (const [key, value] of Object.entries(document)) {
    const at = `${file}:${lineOf(lines, key) ?? 1}`;
    const why = reserved[key];
    if (why !== undefined) throw new OptionValueError(`${at}: '${key}' cannot be set in a config file (${why})`);
    const spec = kit.specOfKey(key);
    if (spec === undefined) {
      if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)) {
        throw new OptionValueError(`${at}: [${key}] tables are not read: write each setting at the top level, named as its flag (port = 7000)`);
      }
      const near = closest(key, kit.table.map(fileKey));
      throw new OptionValueError(`${at}: unknown key '${key}'${near === undefined ? '' : ` (did you mean '${near}'?)`}`);
    }
    try {
      kit.fromFile(spec, value);
    } catch (err) {
      if (err instanceof OptionValueError) throw new OptionValueError(`${at}: ${key}: ${err.message.replace(/^--[a-z0-9-]+ /, '')}`);
      throw err;
    }
    values[key] = value;
    where[key] = at;
  }
  return { values, where };
}

/** smol-toml's message is several lines with a code excerpt: its first line, without the preamble. */
function tomlReason(err: TomlError): string {
  const first = err.message.split('\n', 1)[0]!.replace(/^Invalid TOML document: /, '');
  return `not valid TOML: ${first}`;
}

/** The line (from 1) where `key` is set: `key =`, `"key" =`, `key.x =` or `[key]`. */
function lineOf(lines: readonly string[], key: string): number | undefined {
  const name = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^\\s*(?:(?:"${name}"|'${name}'|${name})\\s*[=.]|\\[\\s*(?:"${name}"|'${name}'|${name})\\s*[\\].])`);
  const index = lines.findIndex((line) => pattern.test(line));
  return index === -1 ? undefined : index + 1;
}

/** The known key nearest to `key` by edit distance, when it is near enough to be a typo. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** A value a config file cannot write, so shown as "not set": an empty path or an empty list. */
export function isUnset(value: unknown): boolean {
  return value === '' || (Array.isArray(value) && value.length === 0);
}

/** A value as TOML writes it: a basic string, a number, a boolean or an array of those. */
export function tomlLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(tomlLiteral).join(', ')}]`;
  // JSON's escapes are TOML's, but for DEL, which TOML wants escaped too.
  if (typeof value === 'string') return JSON.stringify(value).replaceAll('\u007f', '\\u007F');
  return String(value);
}

export interface RenderOptions {
  /** The first lines, each written as a `# ` comment. */
  readonly heading: readonly string[];
  /** Keys shown as a comment only (they cannot be in a file). */
  readonly reserved?: ReservedKeys;
  /** The value as shown (a password in a URL masked); the value itself unless set. */
  readonly shown?: (key: string, value: unknown) => unknown;
}

/**
 * The settings in effect as a config file, each with where it came from in
 * a comment; unset ones as comments. Read back with `--config`, it gives
 * the same settings (but for what `shown` masks).
 */
export function renderConfig<Values, Spec extends FlagSpec>(
  kit: OptionKit<Values, Spec>,
  values: Values,
  sources: Readonly<Record<string, string>>,
  options: RenderOptions,
): string {
  const rows: Array<[string, string]> = [];
  for (const spec of kit.table) {
    const key = fileKey(spec);
    const value = kit.toFile(spec, (values as Record<string, unknown>)[spec.key]);
    const source = sources[spec.key] ?? 'default';
    const shown = options.shown === undefined ? value : options.shown(spec.key, value);
    if (options.reserved?.[key] !== undefined || isUnset(shown)) {
      rows.push([`# ${key}: ${isUnset(shown) ? 'not set' : tomlLiteral(shown)}`, source]);
    } else {
      rows.push([`${key} = ${tomlLiteral(shown)}`, source]);
    }
  }
  const width = Math.max(...rows.map(([text]) => text.length));
  return [...options.heading.map((line) => `# ${line}`), ...rows.map(([text, source]) => `${text.padEnd(width)}  # ${source}`)].join('\n') + '\n';
}
