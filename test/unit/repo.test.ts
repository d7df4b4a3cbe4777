// What a fresh clone needs, checked where it is written down: the test
// command type-checks the tests, installs may run the two native build
// scripts, the lock file serves every platform, and no file names a path
// of the machine it was written on.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/server.js';

const read = (file: string): string => fs.readFileSync(path.join(repoRoot, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; allowScripts?: Record<string, boolean> };

describe('a fresh clone', () => {
  it('npm test type-checks the tests before it runs them', () => {
    const steps = pkg.scripts.test!.split('&&').map((s) => s.trim());
    expect(steps[0]).toBe('tsc -p tsconfig.test.json --noEmit');
    const testConfig = JSON.parse(read('tsconfig.test.json')) as { include: string[] };
    expect(testConfig.include).toContain('test/**/*.ts');
  });

  it('allowScripts covers the install scripts the project needs', () => {
    expect(pkg.allowScripts).toMatchObject({ 'better-sqlite3': true, esbuild: true });
  });

  it("the lock file lists other platforms' optional packages, so npm ci works anywhere", () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, unknown> };
    for (const name of ['@rollup/rollup-darwin-arm64', '@rollup/rollup-win32-x64-msvc', '@esbuild/darwin-arm64', '@esbuild/win32-x64']) {
      expect(Object.keys(lock.packages), name).toContain(`node_modules/${name}`);
    }
  });

  it('no tracked file holds an absolute path of the machine it was written on', () => {
    let tracked: string[];
    try {
      tracked = execFileSync('git', ['ls-files'], { cwd: repoRoot, encoding: 'utf8' }).split('\n').filter(Boolean);
    } catch {
      // An unpacked tarball has no git: check what it ships.
      tracked = ['README.md', ...['docs', 'src', 'test'].flatMap((d) => fs.readdirSync(path.join(repoRoot, d), { recursive: true }).map((f) => path.join(d, String(f))))];
    }
    // Built from pieces so that this file does not match itself.
    const machinePath = new RegExp(['/', '(wo', 'rk|ro', 'ot|ho', 'me|fa', 'rm)/'].join(''));
    const hits = tracked
      .filter((f) => f !== 'package-lock.json' && fs.existsSync(path.join(repoRoot, f)) && fs.statSync(path.join(repoRoot, f)).isFile())
      .filter((f) => machinePath.test(fs.readFileSync(path.join(repoRoot, f), 'utf8')));
    expect(hits).toEqual([]);
  });

  it('the README says how better-sqlite3 gets built and gives a global install that works from a clone', () => {
    const readme = read('README.md');
    expect(readme).toContain('build-essential');
    expect(readme).toMatch(/npm pack/);
    expect(readme).not.toMatch(/npm install -g \.(\s|$)/);
  });
});
