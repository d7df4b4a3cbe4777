// An attacker guessing someone's password must never lock the owner out.
// The attacker connects from other loopback addresses (127.0.0.x stands for
// another machine); the owner comes from 127.0.0.1.

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, startTestServer } from '../helpers/server.js';

afterEach(async () => {
  await closeAllClients();
});

afterAll(async () => {
  await closeAllServers();
  removeTempDirs();
});

async function registerAndLeave(port: number, name: string, password: string): Promise<void> {
  const owner = await LineClient.connect(port);
  await owner.login(name, password);
  owner.sendLine('LOGOUT');
  await owner.waitClosed();
}

describe('wrong-password throttling cannot be turned against the owner', () => {
  it('guesses from one address until it is throttled; the owner logs in from another at once', async () => {
    const srv = await startTestServer({ maxPerIp: 100 });
    await registerAndLeave(srv.port, 'vault', 'right-pass');

    const attacker = await LineClient.connect(srv.port, '127.0.0.1', undefined, '127.0.0.66');
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) {
      attacker.sendLine(`LOGIN|vault|guess${i}`);
      answers.push(await attacker.nextLine());
    }
    expect(answers.slice(0, 3).every((l) => l.startsWith('ERROR|BAD_PASSWORD|'))).toBe(true);
    expect(answers.slice(3).every((l) => l.startsWith('ERROR|RATE_LIMITED|'))).toBe(true);
    // Even the right password is refused from the attacker's address for now.
    attacker.sendLine('LOGIN|vault|right-pass');
    expect(await attacker.nextLine()).toMatch(/^ERROR\|RATE_LIMITED\|/);

    const started = Date.now();
    const owner = await LineClient.connect(srv.port);
    const { success } = await owner.login('vault', 'right-pass');
    expect(success).toMatch(/^SUCCESS\|Welcome, vault!/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('guesses spread over many addresses brake the name but never lock it', async () => {
    const srv = await startTestServer({ maxPerIp: 100 });
    await registerAndLeave(srv.port, 'target', 'right-pass');

    // 12 addresses, 2 guesses each: every guess is answered, none is a lock.
    let refused = 0;
    for (let a = 0; a < 4; a++) {
      const clients = await Promise.all(
        [0, 1, 2].map((b) => LineClient.connect(srv.port, '127.0.0.1', undefined, `127.0.${10 + a}.${b + 1}`)),
      );
      await Promise.all(
        clients.map(async (c, b) => {
          for (let i = 0; i < 2; i++) {
            c.sendLine(`LOGIN|target|g${a}-${b}-${i}`);
            const line = await c.nextLine(15_000);
            expect(line).toMatch(/^ERROR\|(BAD_PASSWORD|RATE_LIMITED)\|/);
            if (line.startsWith('ERROR|RATE_LIMITED|')) refused++;
          }
          c.socket.destroy();
        }),
      );
    }
    // No attacker address used up its own allowance, so none was refused.
    expect(refused).toBe(0);

    // The owner, from an address that logged in before, is not braked.
    const started = Date.now();
    const owner = await LineClient.connect(srv.port);
    await owner.login('target', 'right-pass');
    expect(Date.now() - started).toBeLessThan(2_000);

    // From a new address the owner waits out the brake (a few seconds at most) and is in.
    const travelling = await LineClient.connect(srv.port, '127.0.0.1', undefined, '127.0.99.1');
    owner.sendLine('LOGOUT');
    await owner.waitClosed();
    const { success } = await travelling.login('target', 'right-pass', 15_000);
    expect(success).toMatch(/^SUCCESS\|/);
  }, 60_000);

  it('400 guesses sent at once: at most the limit are checked, the rest refused at once', async () => {
    const srv = await startTestServer({ maxPerIp: 100 });
    await registerAndLeave(srv.port, 'burst', 'right-pass');
    const attacker = await LineClient.connect(srv.port, '127.0.0.1', undefined, '127.0.0.77');
    attacker.socket.write(Array.from({ length: 400 }, (_, i) => `LOGIN|burst|guess${i}\n`).join(''));
    const answers: string[] = [];
    for (let i = 0; i < 400; i++) answers.push(await attacker.nextLine(10_000));
    const checked = answers.filter((l) => l.startsWith('ERROR|BAD_PASSWORD|')).length;
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(3);
    expect(answers.every((l) => /^ERROR\|(BAD_PASSWORD|RATE_LIMITED)\|/.test(l))).toBe(true);
  }, 30_000);

  it("a flood of registrations from many addresses does not slow a real user's login", async () => {
    const srv = await startTestServer({ maxPerIp: 100, rateLimit: 0 });
    await registerAndLeave(srv.port, 'regular', 'right-pass');
    const timeLogin = async (): Promise<number> => {
      const started = performance.now();
      const c = await LineClient.connect(srv.port);
      await c.login('regular', 'right-pass');
      const ms = performance.now() - started;
      c.sendLine('LOGOUT');
      await c.waitClosed();
      return ms;
    };
    const quiet = Math.min(await timeLogin(), await timeLogin());

    // 40 addresses, each sending 10 registrations at once.
    const flooders = await Promise.all(
      Array.from({ length: 40 }, (_, a) => LineClient.connect(srv.port, '127.0.0.1', undefined, `127.0.${100 + a}.1`)),
    );
    flooders.forEach((c, a) => c.socket.write(Array.from({ length: 10 }, (_, i) => `LOGIN|spam${a}x${i}|pw-long-1\n`).join('')));
    await new Promise((r) => setTimeout(r, 50));
    const during = await timeLogin();
    let registered = 0;
    for (const c of flooders) {
      for (let i = 0; i < 10; i++) {
        const line = await c.nextLine(20_000);
        if (line.startsWith('SUCCESS|')) {
          registered++;
          break; // a session registers one name and is then logged in
        }
        expect(line).toMatch(/^ERROR\|(RATE_LIMITED|ALREADY_LOGGED_IN)\|/);
      }
    }
    // The total limit held…
    expect(registered).toBeLessThanOrEqual(60);
    // …and the real user's login waited for no registration's hashing.
    expect(during, `quiet ${quiet.toFixed(0)} ms, during the flood ${during.toFixed(0)} ms`).toBeLessThan(Math.max(500, quiet * 5));
  }, 60_000);
});
