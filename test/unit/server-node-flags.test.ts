import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shebangNodeArgs } from '../../src/bench/system.js';

const repo = path.resolve(import.meta.dirname, '../..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'shebang-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function script(firstLine: string): string {
  const file = path.join(fs.mkdtempSync(path.join(scratch, 'case-')), 'main.js');
  fs.writeFileSync(file, `${firstLine}\nconsole.log(1);\n`);
  return file;
}

describe('the node flags of the server', () => {
  it('shebangNodeArgs reads the flags of an env -S node line, and none from anything else', () => {
    expect(shebangNodeArgs(script('#!/usr/bin/env -S node --max-semi-space-size=8'))).toEqual(['--max-semi-space-size=8']);
    expect(shebangNodeArgs(script('#!/usr/bin/env -S node  --a=1 --b  '))).toEqual(['--a=1', '--b']);
    expect(shebangNodeArgs(script('#!/usr/bin/env node'))).toEqual([]);
    expect(shebangNodeArgs(script('#!/usr/bin/env -S python3 -u'))).toEqual([]);
    expect(shebangNodeArgs(script('console.log(1)'))).toEqual([]);
    expect(shebangNodeArgs(path.join(os.tmpdir(), 'no-such-dir-here', 'main.js'))).toEqual([]);
  });

  it('the bin (its shebang) and npm start give node the same flags, so the bench measures what users run', () => {
    const flags = shebangNodeArgs(path.join(repo, 'src/server/main.ts'));
    expect(flags).toContain('--max-semi-space-size=8');
    const start = (JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start'];
    expect(start).toBe(`node ${flags.join(' ')} dist/server/main.js`);
  });
});
