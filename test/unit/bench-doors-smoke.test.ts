// An end-to-end run of the built bin's scenarios for the other doors (IRC,
// WebSocket) against the built server, started with the door's port, and
// the relay, on 127.0.0.1.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'dist/bench/main.js');

type Figures = Record<string, number | null>;

const DOORS = [
  { door: 'irc', name: 'IRC', vsLine: 'ircVsLine' },
  { door: 'ws', name: 'WebSocket', vsLine: 'wsVsLine' },
] as const;

describe.each(DOORS)('chat-bench $name scenarios', ({ door, vsLine }) => {
  it('deliver to line, door and mixed rooms with no loss, and weigh idle members', async () => {
    expect(fs.existsSync(bin), 'build first: npm run build').toBe(true);
    const args = ['--quick', '--scenario', `${door}-fanout,${door}-idle`, `--${door}-fanout`, '30', `--${door}-idle`, '200', '--json'];
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      execFile(process.execPath, [bin, ...args], { cwd: root, timeout: 40_000, maxBuffer: 10 * 1024 * 1024 }, (err, out) =>
        resolve({ stdout: out, code: err === null ? 0 : ((err as { code?: number }).code ?? null) }),
      );
    });
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      scenarios: Array<{ id: string; ours?: Figures; baseline?: Figures; errors: object; details: { ours?: Record<string, { metrics: Figures | null }> } }>;
    };
    const fanout = report.scenarios.find((s) => s.id === `${door}-fanout-30`);
    expect(fanout?.errors).toEqual({});
    expect(fanout!.baseline!.deliveries).toBeGreaterThan(0);
    for (const leg of ['line', door, 'mixed']) {
      const m = fanout!.details.ours![leg]!.metrics!;
      expect(m.deliveries, leg).toBeGreaterThan(0);
      expect(m.cpuPerLineNs, leg).toEqual(expect.any(Number));
      expect({ leg, lost: m.lost, duplicated: m.duplicated, reordered: m.reordered, closed: m.closed }).toEqual({ leg, lost: 0, duplicated: 0, reordered: 0, closed: 0 });
    }
    expect(fanout!.ours![vsLine]).toBeGreaterThan(0);
    const idle = report.scenarios.find((s) => s.id === `${door}-idle-200`);
    expect(idle?.errors).toEqual({});
    expect(idle!.ours!.rssPerConnKiB).toEqual(expect.any(Number));
    expect(idle!.ours!.lineRssPerConnKiB).toEqual(expect.any(Number));
  }, 45_000);
});
