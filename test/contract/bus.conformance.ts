// One conformance suite for every Bus implementation (STYLE pattern 9):
// LocalBus on a LocalBusHub (several nodes in one process) and RedisBus
// (Redis pub/sub). The suite only uses the Bus interface of
// src/server/bus/bus.ts.
//
// The factory makes `n` connected nodes. Delivery is asynchronous in both
// implementations, so positive checks poll; negative checks ("node X never
// gets it") wait for a barrier instead of guessing a delay: a later event
// from another node to the same receiver, which a single ordered transport
// delivers after anything published before it.

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, BusEvent } from '../../src/server/bus/bus.js';

export interface BusNodes {
  /** `n` nodes of one cluster, each with its own node id, subscribed to nothing yet. */
  buses: Bus[];
  /** Resolves once every watchRoom/unwatchRoom made so far is in effect. */
  settle(): Promise<void>;
  /** Closes every bus and whatever connections it uses. */
  cleanup(): Promise<void>;
}

const WAIT_MS = 3_000;

export function describeBusConformance(name: string, makeNodes: (n: number) => Promise<BusNodes>): void {
  describe(`Bus conformance: ${name}`, () => {
    let nodes: BusNodes | undefined;
    let inbox: BusEvent[][] = [];
    /** A token per test, in every room key and line, so nothing from elsewhere is counted. */
    let tag = '';

    async function make(n: number): Promise<Bus[]> {
      nodes = await makeNodes(n);
      tag = randomUUID().slice(0, 8);
      inbox = nodes.buses.map(() => []);
      // An event may carry several lines for one target (a bus may join one turn's lines):
      // the suite looks at them one line at a time.
      nodes.buses.forEach((bus, i) =>
        bus.subscribe((event) => {
          for (const one of event.line.split(/(?<=\n)/)) inbox[i]!.push({ ...event, line: one });
        }),
      );
      return nodes.buses;
    }

    const mine = (i: number): BusEvent[] => inbox[i]!.filter((e) => e.line.includes(tag));
    const lines = (i: number): string[] => mine(i).map((e) => e.line);
    const room = (r: string): string => `${r}-${tag}`;
    const line = (text: string): string => `${text} ${tag}\n`;

    async function until(what: string, check: () => boolean): Promise<void> {
      const deadline = Date.now() + WAIT_MS;
      while (!check()) {
        if (Date.now() > deadline) {
          throw new Error(`${what} within ${WAIT_MS} ms; received: ${JSON.stringify(inbox.map((_, i) => lines(i)))}`);
        }
        await sleep(10);
      }
    }

    /** Sends a barrier from `from` to each node in `to`, and waits until each has it. */
    async function barrier(from: Bus, to: Bus[]): Promise<void> {
      const token = `barrier-${randomUUID().slice(0, 8)}`;
      for (const target of to) from.publish({ kind: 'user', node: target.nodeId, userKey: 'barrier', line: line(token) });
      from.flush();
      const buses = nodes!.buses;
      for (const target of to) {
        const i = buses.indexOf(target);
        await until(`barrier to node ${i}`, () => lines(i).includes(line(token)));
      }
    }

    const withoutBarriers = (i: number): BusEvent[] => mine(i).filter((e) => !e.line.startsWith('barrier-'));

    afterEach(async () => {
      await nodes?.cleanup();
      nodes = undefined;
    });

    it('every node has its own id and is shared (other nodes can listen)', async () => {
      const buses = await make(3);
      expect(new Set(buses.map((b) => b.nodeId)).size).toBe(3);
      for (const bus of buses) expect(bus.shared).toBe(true);
    });

    it('room events reach exactly the other nodes that watch the room, never the publisher', async () => {
      const [a, b, c, d] = await make(4);
      const den = room('den');
      for (const bus of [a!, b!, c!]) bus.watchRoom(den);
      d!.watchRoom(room('elsewhere'));
      await nodes!.settle();
      const event: BusEvent = { kind: 'room', roomKey: den, line: line('TEXT|alice|hello') };
      a!.publish(event);
      a!.flush();
      await until('b and c get the room event', () => mine(1).length === 1 && mine(2).length === 1);
      expect(mine(1)).toEqual([event]);
      expect(mine(2)).toEqual([event]);
      // a published it itself, d does not watch den.
      await barrier(b!, [a!, d!]);
      expect(withoutBarriers(0)).toEqual([]);
      expect(withoutBarriers(3)).toEqual([]);
    });

    it('after unwatchRoom a node gets no more events of that room, but still those of rooms it watches', async () => {
      const [a, b] = await make(2);
      const den = room('den');
      const hall = room('hall');
      b!.watchRoom(den);
      b!.watchRoom(hall);
      await nodes!.settle();
      a!.publish({ kind: 'room', roomKey: den, line: line('before') });
      a!.flush();
      await until('b gets the event while watching', () => lines(1).includes(line('before')));

      b!.unwatchRoom(den);
      await nodes!.settle();
      a!.publish({ kind: 'room', roomKey: den, line: line('after') });
      a!.publish({ kind: 'room', roomKey: hall, line: line('hall after') });
      a!.flush();
      await until('b still gets the other room', () => lines(1).includes(line('hall after')));
      await barrier(a!, [b!]);
      expect(withoutBarriers(1).map((e) => e.line)).toEqual([line('before'), line('hall after')]);

      // Watching again brings the room back.
      b!.watchRoom(den);
      await nodes!.settle();
      a!.publish({ kind: 'room', roomKey: den, line: line('again') });
      a!.flush();
      await until('b gets the room again after watching it again', () => lines(1).includes(line('again')));
    });

    it('watchRoom twice delivers each event once; one unwatchRoom then stops it', async () => {
      const [a, b] = await make(2);
      const den = room('den');
      b!.watchRoom(den);
      b!.watchRoom(den);
      await nodes!.settle();
      a!.publish({ kind: 'room', roomKey: den, line: line('once') });
      a!.flush();
      await until('b gets it', () => lines(1).includes(line('once')));
      await barrier(a!, [b!]);
      expect(withoutBarriers(1).map((e) => e.line)).toEqual([line('once')]);
      b!.unwatchRoom(den);
      await nodes!.settle();
      a!.publish({ kind: 'room', roomKey: den, line: line('unwatched') });
      a!.flush();
      await barrier(a!, [b!]);
      expect(withoutBarriers(1).map((e) => e.line)).toEqual([line('once')]);
    });

    it('user events reach only the addressed node, whatever rooms the others watch', async () => {
      const [a, b, c] = await make(3);
      for (const bus of [a!, b!, c!]) bus.watchRoom(room('lobby'));
      await nodes!.settle();
      const event: BusEvent = { kind: 'user', node: c!.nodeId, userKey: 'carol', line: line('PRIVATE|alice|psst') };
      a!.publish(event);
      a!.flush();
      await until('c gets the user event', () => mine(2).length === 1);
      expect(mine(2)).toEqual([event]);
      await barrier(c!, [a!, b!]);
      expect(withoutBarriers(0)).toEqual([]);
      expect(withoutBarriers(1)).toEqual([]);
    });

    it('everyone events reach every other node, watching rooms or not, and not the publisher', async () => {
      const [a, b] = await make(3);
      b!.watchRoom(room('den'));
      await nodes!.settle();
      const event: BusEvent = { kind: 'everyone', line: line('SYSTEM|notice') };
      a!.publish(event);
      a!.flush();
      await until('b and c get the everyone event', () => mine(1).length === 1 && mine(2).length === 1);
      expect(mine(1)).toEqual([event]);
      expect(mine(2)).toEqual([event]);
      await barrier(b!, [a!]);
      expect(withoutBarriers(0)).toEqual([]);
    });

    it('control events reach every other node each on its own, never joined, and not the publisher', async () => {
      const [a, b] = await make(3);
      const first: BusEvent = { kind: 'control', line: JSON.stringify({ type: 'kick', key: 'bob', tag }) };
      const second: BusEvent = { kind: 'control', line: JSON.stringify({ type: 'mute', key: 'bob', tag }) };
      a!.publish(first);
      a!.publish(second);
      a!.flush();
      await until('b and c get both control events', () => mine(1).length === 2 && mine(2).length === 2);
      expect(mine(1)).toEqual([first, second]);
      expect(mine(2)).toEqual([first, second]);
      await barrier(b!, [a!]);
      expect(withoutBarriers(0)).toEqual([]);
    });

    it('nothing is delivered before flush(); flush() sends it', async () => {
      const [a, b, c] = await make(3);
      const den = room('den');
      b!.watchRoom(den);
      await nodes!.settle();
      a!.publish({ kind: 'room', roomKey: den, line: line('queued room') });
      a!.publish({ kind: 'user', node: b!.nodeId, userKey: 'bob', line: line('queued user') });
      a!.publish({ kind: 'everyone', line: line('queued everyone') });
      // Another node's traffic goes through meanwhile; a's stays queued.
      await barrier(c!, [b!]);
      await sleep(50);
      expect(withoutBarriers(1)).toEqual([]);
      a!.flush();
      await until('b gets all three after flush', () => withoutBarriers(1).length === 3);
      expect(withoutBarriers(1).map((e) => e.line)).toEqual([line('queued room'), line('queued user'), line('queued everyone')]);
      // A flush with nothing queued sends nothing again.
      a!.flush();
      await barrier(a!, [b!]);
      expect(withoutBarriers(1)).toHaveLength(3);
    });

    it('keeps each publisher’s order, across flushes and across event kinds', async () => {
      const [a, b, c] = await make(3);
      const den = room('den');
      c!.watchRoom(den);
      await nodes!.settle();
      const fromA: string[] = [];
      const fromB: string[] = [];
      for (let batch = 0; batch < 10; batch++) {
        for (let i = 0; i < 10; i++) {
          const n = batch * 10 + i;
          const kinds: BusEvent[] = [
            { kind: 'room', roomKey: den, line: line(`a${n}`) },
            { kind: 'user', node: c!.nodeId, userKey: 'carol', line: line(`a${n}`) },
            { kind: 'everyone', line: line(`a${n}`) },
          ];
          a!.publish(kinds[n % 3]!);
          fromA.push(line(`a${n}`));
          b!.publish({ kind: 'room', roomKey: den, line: line(`b${n}`) });
          fromB.push(line(`b${n}`));
        }
        a!.flush();
        b!.flush();
        if (batch % 3 === 0) await sleep(1);
      }
      await until('c gets all 200 events', () => mine(2).length === 200);
      expect(lines(2).filter((l) => l.startsWith('a'))).toEqual(fromA);
      expect(lines(2).filter((l) => l.startsWith('b'))).toEqual(fromB);
    });

    it('carries any line exactly: separators, colons, unicode, CR', async () => {
      const [a, b] = await make(2);
      const den = room('小明-den');
      b!.watchRoom(den);
      await nodes!.settle();
      const texts = ['TEXT|alice|a|b||c: d:e', 'PRIVATE|小明|😀 हिन्दी e\u0301', 'SYSTEM|x\ty\r', `TEXT|bob|${'x'.repeat(5000)}`];
      const sent: BusEvent[] = [];
      for (const text of texts) {
        sent.push({ kind: 'room', roomKey: den, line: line(text) });
        sent.push({ kind: 'user', node: b!.nodeId, userKey: 'bob.smith-2', line: line(text) });
        sent.push({ kind: 'everyone', line: line(text) });
      }
      for (const event of sent) a!.publish(event);
      a!.flush();
      await until('b gets every event', () => mine(1).length === sent.length);
      expect(mine(1)).toEqual(sent);
    });
  });
}
