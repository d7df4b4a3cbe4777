// The three bins answer bad flags the same way, and each --help lists its exit codes.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/server.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(repoRoot, 'dist', bin, 'main.js'), ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${bin} ${args.join(' ')} still running; stderr: ${stderr}`));
    }, 10_000);
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const BINS = [
  { bin: 'server', name: 'chat-server', badValue: ['--port', 'abc'], reason: "--port must be a whole number, got 'abc'" },
  { bin: 'client', name: 'chat-client', badValue: ['--port', 'abc'], reason: "--port must be a whole number, got 'abc'" },
  { bin: 'bench', name: 'chat-bench', badValue: ['--duration', 'abc'], reason: "--duration must be a number, got 'abc'" },
] as const;

describe.each(BINS)('$name', ({ bin, name, badValue, reason }) => {
  it('a bad value: exactly one line, `name: reason (see name --help)`, exit 2', async () => {
    const r = await run(bin, [...badValue]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${name}: ${reason} (see ${name} --help)\n`);
    expect(r.stdout).toBe('');
  });

  it('an unknown flag and a missing value: the same one-line style, exit 2', async () => {
    const unknown = await run(bin, ['--no-such-flag']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(`${name}: unknown option '--no-such-flag' (see ${name} --help)\n`);
    const missing = await run(bin, [badValue[0]]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(new RegExp(`^${name}: option '${badValue[0]} <[a-z]+>' argument missing \\(see ${name} --help\\)\\n$`));
  });

  it('--help lists the exit codes and exits 0', async () => {
    const r = await run(bin, ['--help']);
    expect(r.code).toBe(0);
    const codes = r.stdout.slice(r.stdout.indexOf('Exit codes:'));
    expect(r.stdout).toContain('Exit codes:');
    for (const code of ['0', '1', '2']) expect(codes).toMatch(new RegExp(`^\\s+${code}\\s+\\S`, 'm'));
  });
});
