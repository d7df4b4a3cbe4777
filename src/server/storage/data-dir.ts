import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

// The data directory: created one level at a time (Node's recursive mkdir
// loops for ever where a parent cannot hold directories, as under /proc),
// private to the server's user, and checked to be writable before anything
// is opened in it.

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'a parent folder cannot hold folders',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

export class DataDirError extends Error {
  override readonly name = 'DataDirError';
}

function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return REASONS[code] ?? (err instanceof Error ? err.message : String(err));
}

/** Makes sure `dir` exists and is writable; returns its absolute path or throws a one-line DataDirError. */
export function prepareDataDir(dir: string): string {
  const absolute = path.resolve(dir);
  const missing: string[] = [];
  for (let at = absolute; ; at = path.dirname(at)) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(at).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: a file further up, found and named on the way up.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        throw new DataDirError(`cannot use the data directory ${absolute}: ${reasonOf(err)}`);
      }
      missing.push(at);
      if (path.dirname(at) === at) break;
      continue;
    }
    if (!isDirectory) throw new DataDirError(`cannot use the data directory ${absolute}: ${at} is not a folder`);
    break;
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new DataDirError(`cannot create the data directory ${absolute}: ${reasonOf(err)}`);
    }
  }
  try {
    accessSync(absolute, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new DataDirError(`cannot write to the data directory ${absolute}: ${reasonOf(err)}`);
  }
  return absolute;
}
