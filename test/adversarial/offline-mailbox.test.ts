// Offline messages are never lost: a mailbox cannot be filled without end,
// its owner gets all of it at the pace they read, and a connection lost
// half way through keeps the rest for next time.

import net from 'node:net';
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

async function registered(port: number, name: string): Promise<void> {
  const c = await LineClient.connect(port);
  await c.login(name, 'pw-long-1');
  c.sendLine('LOGOUT');
  await c.waitClosed();
}

/** Sends `count` private messages to an offline user; returns the answers to the sender. */
async function fill(port: number, to: string, count: number, text: (i: number) => string): Promise<string[]> {
  const sender = await LineClient.loggedIn(port, `sender${to}`);
  const answers: string[] = [];
  for (let i = 0; i < count; i++) {
    sender.sendLine(`PRIVATE|${to}|${text(i)}`);
    const first = await sender.nextLine();
    answers.push(first);
    if (first.startsWith('SENT|')) await sender.expectLine('SYSTEM|');
  }
  return answers;
}

describe('offline mailboxes', () => {
  it('refuse past their quota with MAILBOX_FULL; the owner then gets every message kept, after SUCCESS, and is not dropped', async () => {
    const srv = await startTestServer({ rateLimit: 0, mailboxMax: 300, mailboxMaxBytes: 1024 * 1024 });
    await registered(srv.port, 'owner');
    const answers = await fill(srv.port, 'owner', 320, (i) => `note ${i} ${'x'.repeat(900)}`);
    expect(answers.filter((a) => a.startsWith('SENT|'))).toHaveLength(300);
    const full = answers.filter((a) => a.startsWith('ERROR|MAILBOX_FULL|'));
    expect(full).toHaveLength(20);

    const owner = await LineClient.connect(srv.port);
    const { success, between } = await owner.login('owner', 'pw-long-1');
    expect(success).toMatch(/^SUCCESS\|/);
    expect(between).toEqual([]);
    expect(await owner.nextLine()).toBe('SYSTEM|300 private messages arrived while you were away');
    const got: string[] = [];
    for (let i = 0; i < 300; i++) got.push(await owner.nextLine(10_000));
    expect(got.map((l) => /^PRIVATE\|senderowner\|note (\d+) /.exec(l)?.[1])).toEqual(Array.from({ length: 300 }, (_, i) => String(i)));
    owner.sendLine('PING|still here');
    expect(await owner.waitFor('PONG|still here')).toBe('PONG|still here');
  }, 60_000);

  it('a connection lost half way keeps the rest of the mailbox for the next login', async () => {
    // A mailbox larger than the socket buffers, so delivery has to wait for the reader.
    const srv = await startTestServer({ rateLimit: 0, mailboxMax: 3000, mailboxMaxBytes: 8 * 1024 * 1024 });
    await registered(srv.port, 'flaky');
    const answers = await fill(srv.port, 'flaky', 3000, (i) => `m${i} ${'y'.repeat(1900)}`);
    expect(answers.every((a) => a.startsWith('SENT|'))).toBe(true);

    // Log in, read a little, stop reading, then vanish.
    const raw = net.connect({ port: srv.port, host: '127.0.0.1' });
    raw.on('error', () => {});
    await new Promise<void>((resolve) => {
      let seen = '';
      raw.on('data', (d: Buffer) => {
        seen += d.toString('latin1');
        if ((seen.match(/\nPRIVATE\|/g) ?? []).length >= 10) {
          raw.pause();
          resolve();
        }
      });
      raw.write('LOGIN|flaky|pw-long-1\n');
    });
    await new Promise((r) => setTimeout(r, 300));
    raw.destroy();
    await new Promise((r) => setTimeout(r, 200));

    // Unfixed, the whole mailbox was marked delivered at login: nothing was left.
    const again = await LineClient.connect(srv.port);
    await again.login('flaky', 'pw-long-1');
    const notice = await again.nextLine();
    const left = Number(/^SYSTEM\|(\d+) private messages? arrived/.exec(notice)?.[1]);
    expect(left, notice).toBeGreaterThan(0);
    const numbers: number[] = [];
    for (let i = 0; i < left; i++) numbers.push(Number(/\|m(\d+) /.exec(await again.nextLine(10_000))![1]));
    // The rest, in order, ending with the last one sent.
    expect(numbers).toEqual(Array.from({ length: left }, (_, i) => 3000 - left + i));
  }, 90_000);
});
