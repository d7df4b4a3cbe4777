// chat-server's settings from a TOML file and CHAT_ variables, on the real bin.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients, eventually } from '../helpers/line-client.js';
import { killAllChildren, makeTempDir, removeTempDirs, runBin, spawnServer } from '../helpers/server.js';

afterEach(() => closeAllClients());
afterAll(async () => {
  await killAllChildren();
  removeTempDirs();
});

function configFile(text: string): string {
  const file = path.join(makeTempDir(), 'chat.toml');
  fs.writeFileSync(file, text);
  return file;
}

/** The longest TEXT this server takes: one more character gets MESSAGE_TOO_LONG. */
async function longestMessage(port: number): Promise<number> {
  const client = await LineClient.loggedIn(port, `probe${Math.floor(Math.random() * 1e6)}`);
  for (let n = 1; n <= 40; n++) {
    client.sendLine(`TEXT|${'x'.repeat(n)}`);
    const line = await client.waitFor((l) => l.startsWith('ERROR|') || l.endsWith(`|${'x'.repeat(n)}`));
    if (line.startsWith('ERROR|MESSAGE_TOO_LONG|')) return n - 1;
  }
  return Infinity;
}

describe('chat-server --config FILE and CHAT_ variables', () => {
  it('a file sets the server up; a variable wins over it, a flag over both', async () => {
    const file = configFile('# the team server\nmax-message = 5\nrate-limit = 0\nhistory-replay = 0\n');
    const fromFile = await spawnServer(['--config', file]);
    expect(await longestMessage(fromFile.port)).toBe(5);
    const fromEnv = await spawnServer(['--config', file], { env: { CHAT_MAX_MESSAGE: '8' } });
    expect(await longestMessage(fromEnv.port)).toBe(8);
    const fromFlag = await spawnServer(['--config', file, '--max-message', '12'], { env: { CHAT_MAX_MESSAGE: '8' } });
    expect(await longestMessage(fromFlag.port)).toBe(12);
    // The file named by a variable alone.
    const viaEnv = await spawnServer([], { env: { CHAT_CONFIG: file } });
    expect(await longestMessage(viaEnv.port)).toBe(5);
  });

  it('--print-config: every setting with where it came from, exit 0, nothing started', async () => {
    const file = configFile('port = 7000\nmax-message = 300\noperator = ["alice", "bob"]\n');
    const r = await runBin(['--config', file, '--host', '0.0.0.0', '--print-config'], { env: { CHAT_RATE_LIMIT: '9' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^port += 7000 +# .*chat\.toml:1$/));
    expect(lines).toContainEqual(expect.stringMatching(/^operator += \["alice", "bob"\] +# .*chat\.toml:3$/));
    expect(lines).toContainEqual(expect.stringMatching(/^host += "0\.0\.0\.0" +# flag --host$/));
    expect(lines).toContainEqual(expect.stringMatching(/^rate-limit += 9 +# environment CHAT_RATE_LIMIT$/));
    expect(lines).toContainEqual(expect.stringMatching(/^history-replay += 20 +# default$/));
    // What it printed is a config file that starts the same server.
    const again = configFile(r.stdout);
    const r2 = await runBin(['--config', again, '--print-config']);
    expect(r2.code, r2.stderr).toBe(0);
    const settings = (text: string) => text.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/ +#.*$/, ''));
    expect(settings(r2.stdout)).toEqual(settings(r.stdout));
  });

  it('mistakes in the file exit 2 with one line: the file, the line and the key', async () => {
    const cases: Array<[string, RegExp]> = [
      ['port = 7000\n\nmax-mesage = 3\n', /chat\.toml:3: unknown key 'max-mesage' \(did you mean 'max-message'\?\)/],
      ['port = 70000\n', /chat\.toml:1: port: must be at most 65535, got 70000/],
      ['log-json = "yes"\n', /chat\.toml:1: log-json: must be true or false, got "yes"/],
      ['[limits]\nmax-message = 3\n', /chat\.toml:1: \[limits\] tables are not read/],
      ['port = \n', /chat\.toml:1: not valid TOML/],
    ];
    for (const [text, expected] of cases) {
      const file = configFile(text);
      const r = await runBin(['--config', file, '--port', '0', '--data-dir', makeTempDir()]);
      expect(r.code, `${text}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).toContain(file);
    }
    const missing = await runBin(['--config', path.join(makeTempDir(), 'nope.toml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the config file .*nope\.toml: no such file/);
    const badEnv = await runBin(['--port', '0'], { env: { CHAT_LOG_JSON: 'maybe' } });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain("CHAT_LOG_JSON: must be true or false (or 1/0, yes/no, on/off), got 'maybe'");
  });
});

/** The JSON log entries of a spawned server with this event. */
function logged(stderr: string, event: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((line) => line.includes(`"event":"${event}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('SIGHUP reads the settings again', () => {
  it('takes on a new limit for the sessions already in, logs each change, and says which need a restart', async () => {
    const file = configFile('max-message = 5\nrate-limit = 0\nkeepalive = 30\n');
    const srv = await spawnServer(['--config', file]);
    const alice = await LineClient.loggedIn(srv.port, 'alice');
    alice.sendLine('TEXT|123456');
    await alice.waitFor((l) => l.startsWith('ERROR|MESSAGE_TOO_LONG|'));

    fs.writeFileSync(file, 'max-message = 8\nrate-limit = 0\nkeepalive = 45\n');
    srv.kill('SIGHUP');
    await eventually(() => logged(srv.stderr(), 'setting-needs-restart').length > 0, 5000, 'the reload logged');
    expect(logged(srv.stderr(), 'setting-changed')).toEqual([expect.objectContaining({ setting: 'max-message', from: '5', to: '8', applies: 'now' })]);
    expect(logged(srv.stderr(), 'setting-needs-restart')).toEqual([expect.objectContaining({ setting: 'keepalive', from: '30', to: '45' })]);
    // The same session, without reconnecting.
    alice.sendLine('TEXT|12345678');
    await alice.waitFor('TEXT|alice|12345678');
    alice.sendLine('TEXT|123456789');
    await alice.waitFor((l) => l.startsWith('ERROR|MESSAGE_TOO_LONG|'));
    expect(srv.proc.exitCode).toBeNull();
  });

  it('a broken file on SIGHUP: logged with its line, the settings in effect kept, the server goes on', async () => {
    const file = configFile('max-message = 5\nrate-limit = 0\n');
    const srv = await spawnServer(['--config', file]);
    fs.writeFileSync(file, 'max-message = 8\nmax-mesage = 9\n');
    srv.kill('SIGHUP');
    await eventually(() => logged(srv.stderr(), 'reload-failed').length > 0, 5000, 'the failed reload logged');
    expect(String(logged(srv.stderr(), 'reload-failed')[0]!['error'])).toBe(`${file}:2: unknown key 'max-mesage' (did you mean 'max-message'?)`);
    expect(await longestMessage(srv.port)).toBe(5);
  });
});

