// The bus conformance suite against LocalBus: several in-process nodes on one
// LocalBusHub. Plus the single-node case: a LocalBus without a hub.

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { BusEvent } from '../../src/server/bus/bus.js';
import { LocalBus, LocalBusHub } from '../../src/server/bus/local-bus.js';
import { describeBusConformance } from './bus.conformance.js';

describeBusConformance('LocalBus on a LocalBusHub', async (n) => {
  const hub = new LocalBusHub();
  const buses = Array.from({ length: n }, () => new LocalBus(randomUUID(), hub));
  return {
    buses,
    settle: async () => {},
    cleanup: async () => {
      for (const bus of buses) await bus.close();
    },
  };
});

describe('LocalBus specifics', () => {
  it('alone (no hub) it is not shared, and publishing is harmless', async () => {
    const bus = new LocalBus('solo');
    expect(bus.shared).toBe(false);
    expect(bus.nodeId).toBe('solo');
    const got: BusEvent[] = [];
    bus.subscribe((e) => got.push(e));
    bus.watchRoom('lobby');
    bus.publish({ kind: 'room', roomKey: 'lobby', line: 'TEXT|a|b\n' });
    bus.flush();
    await sleep(20);
    expect(got).toEqual([]);
    await bus.close();
  });

  it('a closed bus leaves its hub: it gets nothing more, the others still do', async () => {
    const hub = new LocalBusHub();
    const [a, b, c] = [new LocalBus('a', hub), new LocalBus('b', hub), new LocalBus('c', hub)];
    const got: Record<string, string[]> = { b: [], c: [] };
    b.subscribe((e) => got.b!.push(e.line));
    c.subscribe((e) => got.c!.push(e.line));
    await b.close();
    expect(hub.members.has(b)).toBe(false);
    a.publish({ kind: 'everyone', line: 'SYSTEM|x\n' });
    a.flush();
    await sleep(20);
    expect(got).toEqual({ b: [], c: ['SYSTEM|x\n'] });
    await a.close();
    await c.close();
  });
});
