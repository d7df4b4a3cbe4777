// One end-to-end run of the built bin: `chat-bench --quick --scenario fanout
// --json` against the built server and the baseline relay, on 127.0.0.1.

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

describe('chat-bench smoke run', () => {
  it('drives the server and the baseline with no loss', async () => {
    expect(fs.existsSync(bin), 'build first: npm run build').toBe(true);
    const { stdout, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
      execFile(
        process.execPath,
        [bin, '--quick', '--scenario', 'fanout', '--fanout', '50', '--json'],
        { cwd: root, timeout: 18_000, maxBuffer: 10 * 1024 * 1024 },
        (err, stdout, stderr) => resolve({ stdout, stderr, code: err === null ? 0 : ((err as { code?: number }).code ?? null) }),
      );
    });
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
});
