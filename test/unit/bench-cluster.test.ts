import { describe, expect, it } from 'vitest';
import { CLUSTER_FANOUT_ROWS, clusterPlan, summariseSegments, type ClusterSegment } from '../../src/bench/cluster.js';
import type { RunReport } from '../../src/bench/generator.js';
import { Histogram } from '../../src/bench/histogram.js';
import { infoDelta, parseInfo } from '../../src/bench/redis-info.js';
import { buildGrid, formatGrid, formatValue } from '../../src/bench/table.js';

describe('cluster plan', () => {
  it('puts everyone in one room and the receivers on the other nodes in turn', () => {
    const plan = clusterPlan('t', 4, 2, 128, 1, 2, [7001, 7002]);
    expect(plan.groups).toEqual([{ id: 0, kind: 'TEXT', senderBase: 0, senderCount: 2, window: 128 }]);
    const receivers = plan.conns.filter((c) => c.recvGroup === 0);
    const senders = plan.conns.filter((c) => c.sendGroup === 0);
    expect(receivers.map((c) => c.port)).toEqual([7001, 7002, 7001, 7002]);
    expect(receivers.filter((c) => c.tracked)).toHaveLength(2);
    expect(senders.map((c) => c.port)).toEqual([undefined, undefined]);
    expect(senders.map((c) => c.sends)).toEqual([{ type: 'TEXT' }, { type: 'TEXT' }]);
    expect(new Set(plan.conns.map((c) => c.room))).toEqual(new Set(['troom']));
    expect(new Set(plan.conns.map((c) => c.name)).size).toBe(6);
  });

  it('leaves the port alone on one node', () => {
    expect(clusterPlan('t', 3, 1, 8, 2, 20).conns.every((c) => c.port === undefined)).toBe(true);
  });
});

function segment(seconds: number, sent: number, delivered: number, nodeSeconds: number[], redisSeconds?: number, commands?: number): ClusterSegment {
  const latency = new Histogram();
  for (let i = 1; i <= 100; i++) latency.record(i * 100); // 0.1 … 10 ms
  const redis =
    commands === undefined
      ? undefined
      : infoDelta(
          parseInfo('total_commands_processed:0\ntotal_net_input_bytes:0\ntotal_net_output_bytes:0\ncmdstat_xadd:calls=0,usec=0\ncmdstat_exec:calls=0,usec=0'),
          parseInfo(
            `total_commands_processed:${commands}\ntotal_net_input_bytes:${sent * 200}\ntotal_net_output_bytes:${sent * 300}\n` +
              `cmdstat_xadd:calls=${sent},usec=${sent}\ncmdstat_exec:calls=${sent / 100},usec=${sent / 10}`,
          ),
        );
  return { seconds, sent, delivered, latency, nodeSeconds, redisSeconds, redis, generatorSeconds: seconds / 2, otherSeconds: 0, drained: true };
}

const cleanReport: RunReport = {
  loss: { received: 0, lost: 0, duplicated: 0, reordered: 0, foreign: 0 },
  countLost: 0,
  countSurplus: 0,
  delivered: 0,
  sent: 0,
  errors: {},
  closed: 0,
  otherLines: 0,
  windowStalls: 0,
};

describe('cluster figures', () => {
  it('divides Redis and node CPU by the messages sent', () => {
    const segs = [segment(1, 10_000, 1_000_000, [0.3, 0.2], 0.03, 20_100), segment(1, 30_000, 3_000_000, [0.5, 0.4], 0.09, 60_300)];
    const m = summariseSegments(segs, cleanReport, true);
    // Rates are medians over the segments (nearest rank, as everywhere in the bench) …
    expect(m.messages).toBe(10_000);
    expect(m.deliveries).toBe(1_000_000);
    // … CPU and Redis figures totals over all of them.
    expect(m.nodesCpu).toBeCloseTo(70); // 1.4 s over 2 s
    expect(m.sendersNodeCpu).toBeCloseTo(40);
    expect(m.receiversNodeCpu).toBeCloseTo(30);
    expect(m.nodesUsPerMessage).toBeCloseTo(35); // 1.4 s / 40,000 messages
    expect(m.redisCpu).toBeCloseTo(6);
    expect(m.redisUsPerMessage).toBeCloseTo(3);
    expect(m.redisLimit).toBeCloseTo(333_333, -1);
    expect(m.commandsPerMessage).toBeCloseTo(2.01);
    expect(m.redisOps).toBeCloseTo(40_200);
    expect(m.messagesPerBatch).toBeCloseTo(100);
    expect(m.xaddUs).toBeCloseTo(1);
    expect(m.redisOutBytesPerMessage).toBe(300);
    expect(m.anomalies).toBe(0);
    expect(m.generatorCpu).toBeCloseTo(50);
  });

  it('has no Redis figures for the SQLite node and no per-node split for one node', () => {
    const m = summariseSegments([segment(1, 10_000, 1_000_000, [0.5])], cleanReport, false);
    expect(m.nodesCpu).toBeCloseTo(50);
    expect(m.sendersNodeCpu).toBeNull();
    expect(m.redisCpu).toBeUndefined();
    expect(m.redisUsPerMessage).toBeUndefined();
  });

  it('lays the setups out as columns with a ratio', () => {
    const a = summariseSegments([segment(1, 10_000, 1_000_000, [0.5])], cleanReport, false);
    const b = summariseSegments([segment(1, 5_000, 500_000, [0.4, 0.3], 0.02, 10_000)], cleanReport, true);
    const grid = buildGrid('cluster', CLUSTER_FANOUT_ROWS, [{ label: 'SQLite', metrics: a }, { label: 'Redis', metrics: b }, { label: 'none', metrics: undefined }], {
      label: 'Redis ÷ SQLite',
      numerator: 1,
      denominator: 0,
    });
    const row = (label: string) => grid.rows.find((r) => r.label === label)!.cells;
    expect(row('delivered lines/s')).toEqual(['1.00 M', '500.0 k', '–', '0.50×']);
    expect(row('lost / dup / reordered')).toEqual(['0 / 0 / 0', '0 / 0 / 0', '–', '']);
    expect(row('Redis CPU per message')).toEqual(['–', '4.00 µs', '–', '']);
    const text = formatGrid(grid).split('\n');
    expect(text[0]).toBe('cluster');
    expect(text[1]).toMatch(/^figure\s+SQLite\s+Redis\s+none\s+Redis ÷ SQLite$/);
    const md = formatGrid(grid, 'markdown').trimEnd().split('\n');
    expect(md[0]).toBe('**cluster**');
    expect(md[3]).toMatch(/^\|-+\|-+:\|-+:\|-+:\|-+:\|$/);
    expect(md).toHaveLength(4 + CLUSTER_FANOUT_ROWS.length);
  });

  it('formats microseconds and plain decimals', () => {
    expect(formatValue(3.456, 'us')).toBe('3.46 µs');
    expect(formatValue(45.67, 'us')).toBe('45.7 µs');
    expect(formatValue(2.014, 'float')).toBe('2.01');
  });
});
