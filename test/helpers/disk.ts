// A small disk of its own for a data directory (a tmpfs; the tests run as
// root, as CI does, to mount it), and a way to fill it up: the failing-disk
// tests' tools.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir } from './server.js';

const mounts: string[] = [];

/** Mounts a tmpfs of `kib` KiB; unmountDisks() takes it away. */
export function smallDisk(kib: number, readOnly = false): string {
  const dir = path.join(makeTempDir('disk-'), 'mnt');
  fs.mkdirSync(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k${readOnly ? ',ro' : ''}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

export function unmountDisks(): void {
  for (const m of mounts.splice(0)) execFileSync('umount', ['-l', m]);
}

/** Writes a file until the disk is full (ENOSPC); returns its path, to free the space again. */
export function fillUp(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return file;
}
