// End-to-end runs of the built bin against the built server and the
// baseline relay, on 127.0.0.1: `--quick --scenario fanout --json`, and a
// small trickle with its entry in the issue 12 targets.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'dist/bench/main.js');

interface Figures {
  deliveries: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
}

function runBench(args: string[]): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, timeout: 18_000, maxBuffer: 10 * 1024 * 1024 }, (err, stdout) =>
      resolve({ stdout, code: err === null ? 0 : ((err as { code?: number }).code ?? null) }),
    );
  });
}

describe('chat-bench smoke run', () => {
  it('drives the server and the baseline with no loss', async () => {
    expect(fs.existsSync(bin), 'build first: npm run build').toBe(true);
    const { stdout, code } = await runBench(['--quick', '--scenario', 'fanout', '--fanout', '50', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { scenarios: Array<{ id: string; ours?: Figures; baseline?: Figures; errors: object }> };
    const fanout = report.scenarios.find((s) => s.id === 'fanout-50');
    expect(fanout?.errors).toEqual({});
    for (const figures of [fanout?.ours, fanout?.baseline]) {
      expect(figures).toBeDefined();
      expect(figures!.deliveries).toBeGreaterThan(0);
      expect(figures!.delivered).toBeGreaterThan(0);
      expect(figures!.lost).toBe(0);
      expect(figures!.duplicated).toBe(0);
      expect(figures!.reordered).toBe(0);
    }
  }, 20_000);

  it('logs a trickle into one room and judges it among the targets', async () => {
    const { stdout, code } = await runBench(['--quick', '--scenario', 'trickle', '--trickle', '300', '--trickle-in-flight', '16', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      scenarios: Array<{ id: string; ours?: Record<string, number>; baseline?: Record<string, number>; errors: object }>;
      targets: Array<{ item: number; measured: string; met: boolean | null }>;
    };
    const trickle = report.scenarios.find((s) => s.id === 'trickle');
    expect(trickle?.errors).toEqual({});
    for (const figures of [trickle?.ours, trickle?.baseline]) {
      expect(figures).toMatchObject({ logins: 300, done: 300, cutOff: 0 });
      expect(figures!.allInS).toBeGreaterThan(0);
      expect(figures!.firstRate).toBeGreaterThan(0);
      expect(figures!.lastRate).toBeGreaterThan(0);
    }
    expect(trickle!.ours!.historyPerLogin).toBe(20);
    const target = report.targets.find((t) => t.item === 4);
    expect(target?.met).toBe(true);
    expect(target?.measured).toMatch(/^\d+\.\d+ s/);
  }, 20_000);
});
