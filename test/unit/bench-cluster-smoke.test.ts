// One end-to-end run of `chat-bench --scenario cluster`, short: the bench
// starts redis-server and the chat nodes itself, drives every setup with no
// loss, reads Redis's figures, and leaves none of its processes behind.
// Needs redis-server (the Debian package; .ci/run installs it).

import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'dist/bench/main.js');

function requireRedis(): void {
  try {
    execFileSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' });
  } catch {
    throw new Error('redis-server is not installed: apt-get install redis-server');
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

type Figures = Record<string, number | null>;

describe('chat-bench cluster scenario', () => {
  it('compares the SQLite node, a Redis node and cross-node delivery with no loss', async () => {
    requireRedis();
    expect(fs.existsSync(bin), 'build first: npm run build').toBe(true);
    const args = [bin, '--scenario', 'cluster', '--quick', '--duration', '0.3', '--warmup', '0.1', '--json'];
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
      execFile(process.execPath, args, { cwd: root, timeout: 40_000, maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) =>
        resolve({ stdout, stderr, code: err === null ? 0 : ((err as { code?: number }).code ?? null) }),
      );
    });
    expect(code, stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(stdout) as {
      scenarios: Array<{
        id: string;
        errors: object;
        grids: Array<{ columns: string[] }>;
        details: { ours: { redis: Array<{ pid: number }>; nodes: { sqlite: number; others: number[] }; fanout: { metrics: Record<string, Figures> }; steady: { metrics: Record<string, Figures> } } };
      }>;
    };
    const cluster = report.scenarios.find((s) => s.id === 'cluster')!;
    expect(cluster.errors).toEqual({});
    expect(cluster.grids).toHaveLength(2);
    const { fanout, steady, redis, nodes } = cluster.details.ours;
    expect(Object.keys(fanout.metrics).sort()).toEqual(['aof', 'cross', 'cross3', 'redis1', 'sqlite']);
    expect(Object.keys(steady.metrics).sort()).toEqual(['cross', 'redis1', 'sqlite']);
    for (const figures of [...Object.values(fanout.metrics), ...Object.values(steady.metrics)]) {
      expect(figures.deliveries).toBeGreaterThan(0);
      expect(figures.lost).toBe(0);
      expect(figures.duplicated).toBe(0);
      expect(figures.reordered).toBe(0);
    }
    // Redis's cost per message is read for the Redis setups only.
    // Batching puts many messages in one EVAL and one PUBLISH a turn: the figure may be below 1, never 0.
    expect(fanout.metrics.cross!.commandsPerMessage).toBeGreaterThan(0);
    expect(fanout.metrics.cross!.redisUsPerMessage).toBeGreaterThan(0);
    expect(fanout.metrics.sqlite!.redisUsPerMessage).toBeUndefined();
    // Everything the bench started is gone: two redis-servers, seven chat servers.
    const pids = [...redis.map((r) => r.pid), nodes.sqlite, ...nodes.others];
    expect(pids).toHaveLength(9);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  }, 45_000);
});
