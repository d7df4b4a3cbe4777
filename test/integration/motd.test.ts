// --motd FILE: SYSTEM| lines to everyone who logs in, after SUCCESS, the
// history and the join notice; read again on SIGHUP.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients, eventually } from '../helpers/line-client.js';
import { killAllChildren, makeTempDir, removeTempDirs, runBin, spawnServer } from '../helpers/server.js';
import { MOTD_MAX_LINES, motdLines } from '../../src/server/motd.js';

afterEach(async () => {
  await closeAllClients();
  await killAllChildren();
});
afterAll(() => removeTempDirs());

function motdFile(text: string): string {
  const file = path.join(makeTempDir(), 'motd.txt');
  fs.writeFileSync(file, text);
  return file;
}

/** A login's lines up to and including the last line of the message of the day (or the join notice when there is none). */
async function loginLines(port: number, name: string, last: string): Promise<string[]> {
  const client = await LineClient.connect(port);
  client.sendLine(`LOGIN|${name}`);
  return client.collectUntil(last);
}

describe('--motd FILE', () => {
  it('sends each line after SUCCESS, the history and the join notice; SIGHUP reads the file again', async () => {
    const file = motdFile('Welcome to the team chat.\n\n  Be kind.\t(really)\r\nBackups at 03:00.\n');
    const srv = await spawnServer(['--motd', file]);
    const alice = await LineClient.loggedIn(srv.port, 'alice');
    alice.sendLine('TEXT|hello');
    await alice.waitFor('TEXT|alice|hello');

    const lines = await loginLines(srv.port, 'bob', 'SYSTEM|Backups at 03:00.');
    expect(lines[0]).toMatch(/^SUCCESS\|/);
    const joined = lines.indexOf('SYSTEM|bob joined lobby');
    expect(lines.slice(1, joined).every((l) => l.startsWith('HISTORY|'))).toBe(true);
    expect(lines.slice(joined + 1)).toEqual(['SYSTEM|Welcome to the team chat.', 'SYSTEM|  Be kind.    (really)', 'SYSTEM|Backups at 03:00.']);

    fs.writeFileSync(file, 'New rules from today.\n');
    srv.kill('SIGHUP');
    await eventually(() => srv.stderr().includes('"event":"motd-loaded"'), 5000, 'the motd read again');
    const after = await loginLines(srv.port, 'carol', 'SYSTEM|New rules from today.');
    expect(after.filter((l) => l.startsWith('SYSTEM|') && !l.includes('joined'))).toEqual(['SYSTEM|New rules from today.']);
  });

  it('a file that cannot be read, or is too long, stops the start with one line; control characters never reach anyone', async () => {
    const missing = await runBin(['--port', '0', '--data-dir', makeTempDir(), '--motd', path.join(makeTempDir(), 'none.txt')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read the message of the day .*none\.txt: no such file/);
    const long = await runBin(['--port', '0', '--data-dir', makeTempDir(), '--motd', motdFile(Array.from({ length: MOTD_MAX_LINES + 1 }, (_, i) => `line ${i}`).join('\n'))]);
    expect(long.code).toBe(1);
    expect(long.stderr).toContain(`at most ${MOTD_MAX_LINES} are sent`);
    expect(motdLines('a\u0007b\u001b[31mred\u009b\n', 'm.txt')).toEqual(['ab[31mred']);
    expect(() => motdLines(`ok\n${'x'.repeat(401)}`, 'm.txt')).toThrow('m.txt:2: a line of the message of the day is longer than 400 characters');
  });
});
