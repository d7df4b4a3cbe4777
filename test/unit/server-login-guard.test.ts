import { describe, expect, it } from 'vitest';
import {
  ADDRESS_FACTOR,
  CHECKS_WAITING_PER_ADDRESS,
  FAILURE_WINDOW_MS,
  LoginGuard,
  NAME_BRAKE_AFTER,
  NAME_BRAKE_FIRST_MS,
  NAME_BRAKE_MAX_MS,
  NAME_BRAKE_WINDOW_MS,
  REGISTRATIONS_PER_ADDRESS,
  REGISTRATION_QUEUE,
  REGISTRATIONS_TOTAL,
  REGISTRATION_WINDOW_MS,
  addressKey,
} from '../../src/server/login-guard.js';

function guard(limit = 3): { g: LoginGuard; clock: { now: number } } {
  const clock = { now: 1_000_000 };
  return { g: new LoginGuard(limit, () => clock.now), clock };
}

describe('addressKey', () => {
  it.each([
    ['10.1.2.3', '10.1.2.3'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:DB8:0001:0002:0:0:0:9', '2001:db8:1:2::/64'],
    ['2001:db8::7', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('%s → %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});

describe('LoginGuard', () => {
  it('refuses an address after `limit` failures on one name, for that minute only', () => {
    const { g, clock } = guard();
    for (let i = 0; i < 3; i++) {
      expect(g.check('10.0.0.1', 'carol')).toEqual({ refused: false, delayMs: 0 });
      g.failed('10.0.0.1', 'carol');
    }
    expect(g.check('10.0.0.1', 'carol').refused).toBe(true);
    expect(g.check('10.0.0.1', 'dave').refused).toBe(false);
    expect(g.check('10.0.0.2', 'carol')).toEqual({ refused: false, delayMs: 0 });
    clock.now += FAILURE_WINDOW_MS;
    expect(g.check('10.0.0.1', 'carol').refused).toBe(false);
  });

  it('refuses an address after limit × ADDRESS_FACTOR failures over all names', () => {
    const { g } = guard();
    for (let i = 0; i < 3 * ADDRESS_FACTOR; i++) g.failed('10.0.0.1', `name${i}`);
    expect(g.check('10.0.0.1', 'fresh').refused).toBe(true);
    expect(g.check('10.0.0.2', 'fresh').refused).toBe(false);
  });

  it('one IPv6 /64 is one address: rotating within it does not reset the count', () => {
    const { g } = guard();
    for (let i = 0; i < 3; i++) g.failed(`2001:db8:1:2::${i + 1}`, 'carol');
    expect(g.check('2001:db8:1:2::ffff', 'carol').refused).toBe(true);
    expect(g.check('2001:db8:1:3::1', 'carol').refused).toBe(false);
  });

  it('brakes a name guessed from many addresses with a delay that doubles, capped, and never refuses', () => {
    const { g, clock } = guard();
    for (let i = 0; i < NAME_BRAKE_AFTER - 1; i++) g.failed(`10.0.${i}.1`, 'carol');
    expect(g.check('10.9.9.9', 'carol')).toEqual({ refused: false, delayMs: 0 });
    g.failed('10.0.200.1', 'carol');
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      const verdict = g.check('10.9.9.9', 'carol');
      expect(verdict.refused).toBe(false);
      if (!verdict.refused) delays.push(verdict.delayMs);
      g.failed(`10.1.${i}.1`, 'carol');
    }
    expect(delays.slice(0, 4)).toEqual([NAME_BRAKE_FIRST_MS, NAME_BRAKE_FIRST_MS * 2, NAME_BRAKE_FIRST_MS * 4, NAME_BRAKE_FIRST_MS * 8]);
    expect(Math.max(...delays)).toBe(NAME_BRAKE_MAX_MS);
    // Other names are not braked; the brake wears off with its window.
    expect(g.check('10.9.9.9', 'dave')).toEqual({ refused: false, delayMs: 0 });
    clock.now += NAME_BRAKE_WINDOW_MS;
    expect(g.check('10.9.9.9', 'carol')).toEqual({ refused: false, delayMs: 0 });
  });

  it("spares the owner's known addresses from the brake", () => {
    const { g } = guard();
    g.succeeded('192.0.2.7', 'carol');
    for (let i = 0; i < NAME_BRAKE_AFTER + 5; i++) g.failed(`10.0.${i}.1`, 'carol');
    expect(g.check('192.0.2.7', 'carol')).toEqual({ refused: false, delayMs: 0 });
    expect(g.check('192.0.2.8', 'carol')).toMatchObject({ refused: false });
    expect((g.check('192.0.2.8', 'carol') as { delayMs: number }).delayMs).toBeGreaterThan(0);
  });

  it('keeps a bounded count for a key under attack', () => {
    const { g } = guard();
    for (let i = 0; i < 100_000; i++) g.failed('10.0.0.1', 'carol');
    expect(g.check('10.0.0.1', 'carol').refused).toBe(true);
    expect((g.check('10.0.0.2', 'carol') as { delayMs: number }).delayMs).toBe(NAME_BRAKE_MAX_MS);
  });
});

describe('LoginGuard: attempts count from the start, one at a time per address', () => {
  /** A verify() the test settles by hand, and whether it has started. */
  function pending(): { verify: () => Promise<boolean>; started: () => boolean; settle: (right: boolean) => void } {
    let settle!: (right: boolean) => void;
    let started = false;
    const promise = new Promise<boolean>((resolve) => (settle = resolve));
    return {
      verify: () => {
        started = true;
        return promise;
      },
      started: () => started,
      settle: (right) => settle(right),
    };
  }
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it('a second check from the same address waits for the first (it is counted after it); another address does not wait', async () => {
    const { g } = guard();
    const [first, second, elsewhere] = [pending(), pending(), pending()];
    const a = g.checkPassword('10.0.0.1', 'carol', first.verify);
    const b = g.checkPassword('10.0.0.1', 'dave', second.verify);
    const c = g.checkPassword('10.0.0.2', 'carol', elsewhere.verify);
    await turn();
    expect([first.started(), second.started(), elsewhere.started()]).toEqual([true, false, true]);
    first.settle(false);
    expect(await a).toEqual({ refused: false, right: false });
    await turn();
    expect(second.started()).toBe(true);
    second.settle(true);
    elsewhere.settle(false);
    expect(await b).toEqual({ refused: false, right: true });
    expect(await c).toEqual({ refused: false, right: false });
  });

  it('guesses sent all at once are checked one by one, each counted, so the limit still holds', async () => {
    const { g } = guard(3);
    let checked = 0;
    const all = await Promise.all(
      Array.from({ length: 6 }, () =>
        g.checkPassword('10.0.0.1', 'carol', async () => {
          checked++;
          return false;
        }),
      ),
    );
    expect(checked).toBe(3);
    expect(all.filter((r) => r.refused)).toHaveLength(3);
  });

  it('more than a few waiting from one address are refused at once', async () => {
    const { g } = guard(100);
    const first = pending();
    const running = g.checkPassword('10.0.0.1', 'carol', first.verify);
    const waiting = Array.from({ length: CHECKS_WAITING_PER_ADDRESS }, () => g.checkPassword('10.0.0.1', 'carol', async () => true));
    expect(await g.checkPassword('10.0.0.1', 'carol', async () => true)).toMatchObject({ refused: true, reason: expect.stringContaining('being checked') });
    first.settle(true);
    await running;
    expect((await Promise.all(waiting)).every((r) => !r.refused && r.right)).toBe(true);
  });

  it('a verify that throws still passes the turn on', async () => {
    const { g } = guard();
    await expect(g.checkPassword('10.0.0.1', 'carol', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await g.checkPassword('10.0.0.1', 'carol', async () => true)).toEqual({ refused: false, right: true });
  });

  it('a right password takes its provisional failure back', async () => {
    const { g } = guard();
    for (let i = 0; i < 10; i++) expect(await g.checkPassword('10.0.0.1', 'carol', async () => true)).toEqual({ refused: false, right: true });
    expect(g.check('10.0.0.1', 'carol')).toEqual({ refused: false, delayMs: 0 });
  });
});


describe('LoginGuard: registrations', () => {
  it('limits new accounts per address and in total', async () => {
    const { g, clock } = guard();
    for (let i = 0; i < REGISTRATIONS_PER_ADDRESS; i++) {
      expect(g.mayRegister('10.0.0.1').refused).toBe(false);
      await g.register('10.0.0.1', async () => undefined);
    }
    expect(g.mayRegister('10.0.0.1')).toMatchObject({ refused: true, reason: expect.stringContaining('your address') });
    for (let i = REGISTRATIONS_PER_ADDRESS; i < REGISTRATIONS_TOTAL; i++) await g.register(`10.1.${i}.1`, async () => undefined);
    expect(g.mayRegister('10.2.0.1')).toMatchObject({ refused: true, reason: expect.stringContaining('at the moment') });
    clock.now += REGISTRATION_WINDOW_MS;
    expect(g.mayRegister('10.0.0.1').refused).toBe(false);
  });

  it('hashes one registration at a time, in order', async () => {
    const { g } = guard();
    const events: string[] = [];
    let release!: () => void;
    const first = g.register('10.0.0.1', () => new Promise<string>((resolve) => (release = () => resolve('a'))).then((v) => (events.push(`end ${v}`), v)));
    const second = g.register('10.0.0.2', async () => (events.push('start b'), 'b'));
    await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual([]);
    release();
    expect(await Promise.all([first, second])).toEqual(['a', 'b']);
    expect(events).toEqual(['end a', 'start b']);
  });

  it('refuses when too many wait for the hashing slot', () => {
    const { g } = guard();
    const never = new Promise<void>(() => {});
    for (let i = 0; i <= REGISTRATION_QUEUE; i++) void g.register(`10.3.${i}.1`, () => never);
    expect(g.mayRegister('10.4.0.1')).toMatchObject({ refused: true, reason: expect.stringContaining('at the moment') });
  });
});
