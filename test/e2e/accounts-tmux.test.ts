// `chat-server accounts` at a real terminal (tmux): passwd asks twice and
// never shows what is typed; delete asks for the name. The server runs the
// whole time on the same data directory.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LineClient, Tmux, assertBuilt, cleanup, serverBin, spawnServerProcess, tempDir } from './helpers.js';

beforeAll(() => {
  assertBuilt();
  if (!Tmux.available()) throw new Error('tmux is required for these tests');
});
afterEach(() => cleanup());

/** The admin command in a terminal, on `dataDir`, CHAT_REDIS_URL unset. */
const admin = (dataDir: string, ...args: string[]): Promise<Tmux> =>
  Tmux.start(['node', serverBin, 'accounts', ...args, '--data-dir', dataDir], { width: 120, height: 20, env: { CHAT_REDIS_URL: '' } });

/** The server's first answer to LOGIN|name|password on a fresh connection. */
async function loginReply(port: number, name: string, password: string): Promise<string> {
  const c = await LineClient.connect(port);
  c.send(`LOGIN|${name}|${password}`);
  return c.waitFor(/^(SUCCESS|ERROR)\|/);
}

describe('chat-server accounts in a terminal', () => {
  it('passwd asks twice without echoing, and the running server takes the new password', async () => {
    const dataDir = tempDir('chat-accounts-e2e-');
    const server = await spawnServerProcess(dataDir);
    expect(await loginReply(server.port, 'alice', 'first-password')).toMatch(/^SUCCESS\|.*registered/);

    // Two different entries: refused, nothing changed.
    const wrong = await admin(dataDir, 'passwd', 'alice');
    await wrong.waitForScreen('the first prompt', 'New password for alice:');
    wrong.type('typo-password-one');
    wrong.keys('Enter');
    await wrong.waitForScreen('the confirmation prompt', 'The same again, to confirm:');
    wrong.type('typo-password-two');
    wrong.keys('Enter');
    const refused = await wrong.waitForScreen('the exit', 'EXIT=1');
    expect(refused).toContain('the two passwords differ; nothing was changed');
    expect(wrong.everything()).not.toContain('typo-password');

    const t = await admin(dataDir, 'passwd', 'alice');
    await t.waitForScreen('the first prompt', 'New password for alice:');
    t.type('the-secret-2nd');
    // Typed but not yet entered: nothing of it on the screen, not even a mask.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(t.lastLine()).toBe('New password for alice:');
    t.keys('Enter');
    await t.waitForScreen('the confirmation prompt', 'The same again, to confirm:');
    t.type('the-secret-2nd');
    t.keys('Enter');
    const done = await t.waitForScreen('the exit', 'EXIT=0');
    expect(done).toContain('password of alice changed');
    expect(t.everything()).not.toContain('the-secret');
    expect(t.everything()).not.toContain('*');

    expect(await loginReply(server.port, 'alice', 'first-password')).toMatch(/^ERROR\|BAD_PASSWORD\|/);
    expect(await loginReply(server.port, 'alice', 'the-secret-2nd')).toMatch(/^SUCCESS\|Welcome, alice!/);
  });

  it('delete asks for the name: a wrong one keeps the account, the right one deletes it', async () => {
    const dataDir = tempDir('chat-accounts-e2e-');
    const server = await spawnServerProcess(dataDir);
    const bob = await LineClient.connect(server.port);
    bob.send('LOGIN|bob|bob-password');
    await bob.waitFor(/^SUCCESS\|/);
    bob.close();

    const no = await admin(dataDir, 'delete', 'bob');
    await no.waitForScreen('the question', 'Type the name to confirm:');
    expect(no.screen()).toContain('This deletes the account bob');
    no.type('rob');
    no.keys('Enter');
    expect(await no.waitForScreen('the exit', 'EXIT=1')).toContain('not deleted: the name typed was not bob');

    const yes = await admin(dataDir, 'delete', 'bob');
    await yes.waitForScreen('the question', 'Type the name to confirm:');
    yes.type('BOB');
    yes.keys('Enter');
    expect(await yes.waitForScreen('the exit', 'EXIT=0')).toContain('deleted the account bob');

    // The name is free: a guest may take it.
    const guest = await LineClient.connect(server.port);
    guest.send('LOGIN|bob');
    expect(await guest.waitFor(/^(SUCCESS|ERROR)\|/)).toMatch(/^SUCCESS\|.*\(guest\)/);
  });
});
