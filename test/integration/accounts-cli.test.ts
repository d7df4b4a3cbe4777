// `chat-server accounts …`, the built bin, against the data directory (or the
// Redis) of a server that keeps running: each change is seen by the server
// on the next login or frame. Without a terminal: passwords come on stdin,
// deletion needs --yes.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { startRedis, type RedisInstance } from '../helpers/redis.js';
import { killAllChildren, makeTempDir, removeTempDirs, runBin, spawnServer, type RunResult, type SpawnedServer } from '../helpers/server.js';

afterEach(async () => {
  await closeAllClients();
  await killAllChildren();
});

afterAll(() => removeTempDirs());

/**
 * Runs `chat-server accounts ARGS` with `input` on stdin (a pipe, so never a
 * terminal) and CHAT_REDIS_URL unset unless `env` sets it.
 */
function accounts(args: string[], options: { input?: string; cwd?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  return runBin(['accounts', ...args], { timeoutMs: 15_000, input: options.input ?? '', ...(options.cwd === undefined ? {} : { cwd: options.cwd }), ...(options.env === undefined ? {} : { env: options.env }) });
}

/** Registers `name` with `password` on the server and logs out again. */
async function register(port: number, name: string, password: string): Promise<void> {
  const c = await LineClient.connect(port);
  expect((await c.login(name, password)).success).toContain('(registered');
  c.sendLine('LOGOUT');
  await c.waitClosed();
}

/** The first line the server answers to LOGIN|name[|password] on a fresh connection. */
async function loginReply(port: number, name: string, password?: string): Promise<string> {
  const c = await LineClient.connect(port);
  c.sendLine(password === undefined ? `LOGIN|${name}` : `LOGIN|${name}|${password}`);
  const reply = await c.nextLine();
  await c.close();
  return reply;
}

/** What MODLOG answers on this connection. */
async function modlog(c: LineClient): Promise<string> {
  c.sendLine('MODLOG');
  return c.nextLine();
}

const oneLine = (text: string): string[] => text.trimEnd().split('\n');

describe('chat-server accounts on a data directory, while the server runs', () => {
  let server: SpawnedServer;
  let dir: string[];

  beforeEach(async () => {
    server = await spawnServer();
    dir = ['--data-dir', server.dataDir];
  });

  it('list: "no accounts", and [] with --json, for a store without any', async () => {
    const plain = await accounts(['list', ...dir]);
    expect(plain, plain.stderr).toMatchObject({ code: 0, stdout: 'no accounts\n', stderr: '' });
    const json = await accounts(['list', '--json', ...dir]);
    expect(json).toMatchObject({ code: 0, stdout: '[]\n', stderr: '' });
  });

  it('list: an aligned table of name, operator, created; --json one array', async () => {
    const before = Date.now();
    await register(server.port, 'alice', 'alice-password');
    await register(server.port, 'Bartholomew', 'bart-password');
    const r = await accounts(['list', ...dir]);
    expect(r.code, r.stderr).toBe(0);
    const lines = oneLine(r.stdout);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^NAME +OPERATOR +CREATED$/);
    expect(lines[1]).toMatch(/^alice +no +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(lines[2]).toMatch(/^Bartholomew +no +\d{4}-\d\d-\d\dT/);
    // Aligned: every column starts at the same place on every line.
    for (const header of ['OPERATOR', 'CREATED']) {
      const at = lines[0]!.indexOf(header);
      for (const line of lines.slice(1)) expect(line[at - 1]).toBe(' ');
      for (const line of lines.slice(1)) expect(line[at]).not.toBe(' ');
    }
    // Never a secret.
    expect(r.stdout).not.toContain('scrypt');

    const json = await accounts(['list', '--json', ...dir]);
    expect(json.code, json.stderr).toBe(0);
    expect(oneLine(json.stdout)).toHaveLength(1);
    const parsed = JSON.parse(json.stdout) as Array<{ name: string; operator: boolean; created: string }>;
    expect(parsed.map((a) => [a.name, a.operator])).toEqual([
      ['alice', false],
      ['Bartholomew', false],
    ]);
    for (const a of parsed) {
      expect(Date.parse(a.created)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(a.created)).toBeLessThanOrEqual(Date.now());
    }
    expect(json.stdout).not.toContain('scrypt');
  });

  it('passwd: the first line of stdin is the new password, and the running server takes it at the next login', async () => {
    await register(server.port, 'alice', 'first-password');
    // Any case names the account.
    const r = await accounts(['passwd', 'ALICE', ...dir], { input: 'second-password\nignored second line\n' });
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'password of alice changed\n', stderr: '' });
    expect(r.stdout + r.stderr).not.toContain('second-password');

    expect(await loginReply(server.port, 'alice', 'first-password')).toMatch(/^ERROR\|BAD_PASSWORD\|/);
    const c = await LineClient.connect(server.port);
    expect((await c.login('alice', 'second-password')).success).toMatch(/^SUCCESS\|Welcome, alice!/);
  });

  it('passwd: a password shorter than 8 characters (or --min-password-length) is refused, the old one stays', async () => {
    await register(server.port, 'alice', 'first-password');
    const short = await accounts(['passwd', 'alice', ...dir], { input: 'seven77\n' });
    expect(short.code).toBe(1);
    expect(short.stdout).toBe('');
    expect(short.stderr).toBe('chat-server accounts: the password is too short: at least 8 characters (--min-password-length); nothing was changed\n');
    expect(short.stderr).not.toContain('seven77');

    const longer = await accounts(['passwd', 'alice', '--min-password-length', '20', ...dir], { input: 'nineteen-characters\n' });
    expect(longer.code).toBe(1);
    expect(longer.stderr).toContain('at least 20 characters');

    const empty = await accounts(['passwd', 'alice', ...dir], { input: '' });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toBe('chat-server accounts: no password given; nothing was changed\n');

    const c = await LineClient.connect(server.port);
    expect((await c.login('alice', 'first-password')).success).toMatch(/^SUCCESS\|/);
  });

  it('passwd of a name without an account: exit 1, one line', async () => {
    const r = await accounts(['passwd', 'nobody', ...dir], { input: 'some-password\n' });
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: 'chat-server accounts: no account called nobody\n' });
  });

  it('delete --yes: the account goes, and the name logs in as a guest again', async () => {
    await register(server.port, 'bob', 'bob-password');
    await register(server.port, 'alice', 'alice-password');
    expect(await loginReply(server.port, 'bob')).toMatch(/^ERROR\|PASSWORD_REQUIRED\|/);

    const r = await accounts(['delete', 'Bob', '--yes', ...dir]);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'deleted the account bob\n', stderr: '' });
    const c = await LineClient.connect(server.port);
    expect((await c.login('bob')).success).toMatch(/^SUCCESS\|.*\(guest\)/);
    expect(JSON.parse((await accounts(['list', '--json', ...dir])).stdout)).toMatchObject([{ name: 'alice' }]);

    const again = await accounts(['delete', 'bob', '--yes', ...dir]);
    expect(again).toMatchObject({ code: 1, stderr: 'chat-server accounts: no account called bob\n' });
  });

  it('delete without --yes and without a terminal: usage error, exit 2, nothing deleted', async () => {
    await register(server.port, 'bob', 'bob-password');
    const r = await accounts(['delete', 'bob', ...dir], { input: 'bob\n' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^chat-server accounts: .*--yes.* \(see chat-server accounts delete --help\)\n$/);
    expect(await loginReply(server.port, 'bob')).toMatch(/^ERROR\|PASSWORD_REQUIRED\|/);
  });

  it('operator on and off: the running server lets the logged-in user moderate, then not', async () => {
    await register(server.port, 'alice', 'alice-password');
    const alice = await LineClient.connect(server.port);
    await alice.login('alice', 'alice-password');
    expect(await modlog(alice)).toMatch(/^ERROR\|NOT_ALLOWED\|/);

    const on = await accounts(['operator', 'Alice', 'on', ...dir]);
    expect(on.code, on.stderr).toBe(0);
    expect(oneLine(on.stdout)).toHaveLength(1);
    expect(on.stdout).toMatch(/^alice is now an operator .*--operator.*regardless/);
    expect(await modlog(alice)).toBe('SYSTEM|no moderation actions yet');
    expect(JSON.parse((await accounts(['list', '--json', ...dir])).stdout)).toMatchObject([{ name: 'alice', operator: true }]);
    expect((await accounts(['list', ...dir])).stdout).toMatch(/\nalice +yes +\d{4}-/);

    const off = await accounts(['operator', 'alice', 'off', ...dir]);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/^alice is no longer an operator .*--operator.*regardless.*\n$/);
    expect(await modlog(alice)).toMatch(/^ERROR\|NOT_ALLOWED\|/);

    const nobody = await accounts(['operator', 'nobody', 'on', ...dir]);
    expect(nobody).toMatchObject({ code: 1, stderr: 'chat-server accounts: no account called nobody\n' });
    const bad = await accounts(['operator', 'alice', 'maybe', ...dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^chat-server accounts: .*maybe.*on, off.* \(see chat-server accounts operator --help\)\n$/);
  });

  it('a bad name: exit 2 and the reason', async () => {
    const r = await accounts(['passwd', 'no|bars', ...dir], { input: 'some-password\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^chat-server accounts: 'no\|bars' is not a valid name: .+ \(see chat-server accounts passwd --help\)\n$/);
    const control = await accounts(['delete', 'a\u001b[2Jb', '--yes', ...dir]);
    expect(control.code).toBe(2);
    // Shown escaped, never as a terminal sequence.
    expect(control.stderr).not.toContain('\u001b');
    expect(control.stderr).toContain('\\x1b');
  });

  it('--data-dir and --redis together: usage error, exit 2', async () => {
    const r = await accounts(['list', ...dir, '--redis', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('--data-dir or --redis, not both');
  });
});

describe('chat-server accounts without a usable database', () => {
  it('a missing data directory: one line naming the path, exit 1, and nothing created', async () => {
    const parent = makeTempDir();
    const missing = path.join(parent, 'nowhere');
    const r = await accounts(['list', '--data-dir', missing]);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: `chat-server accounts: no database at ${path.join(missing, 'chat.db')} (is --data-dir right?)\n` });
    expect(fs.existsSync(missing)).toBe(false);

    // The default, data, relative to where it is run.
    const here = await accounts(['passwd', 'bob'], { cwd: parent, input: 'some-password\n' });
    expect(here).toMatchObject({ code: 1, stderr: 'chat-server accounts: no database at data/chat.db (is --data-dir right?)\n' });
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  it('a data directory without chat.db: exit 1, and no database is made in it', async () => {
    const empty = makeTempDir();
    for (const args of [['list'], ['operator', 'bob', 'on'], ['delete', 'bob', '--yes']]) {
      const r = await accounts([...args, '--data-dir', empty]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toBe(`chat-server accounts: no database at ${path.join(empty, 'chat.db')} (is --data-dir right?)\n`);
    }
    expect(fs.readdirSync(empty)).toEqual([]);
  });

  it('a damaged database: its one-line reason, exit 1', async () => {
    const dir = makeTempDir();
    fs.writeFileSync(path.join(dir, 'chat.db'), 'this is not a database, but it is long enough to have a header '.repeat(100));
    const r = await accounts(['list', '--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^chat-server accounts: the database .*chat\.db is damaged/);
  });
});

describe('chat-server accounts --help and usage errors', () => {
  it('--help lists the subcommands; each subcommand has its --help with examples; all exit 0', async () => {
    const top = await accounts(['--help']);
    expect(top.code, top.stderr).toBe(0);
    for (const sub of ['list', 'passwd', 'delete', 'operator']) expect(top.stdout).toMatch(new RegExp(`^  ${sub} `, 'm'));
    for (const sub of ['list', 'passwd', 'delete', 'operator']) {
      const r = await accounts([sub, '--help']);
      expect(r.code, `${sub}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`Usage: chat-server accounts ${sub} [options]`);
      expect(r.stdout).toContain('Examples:');
      expect(r.stdout).toContain(`chat-server accounts ${sub} `);
      expect(r.stdout).toContain('--data-dir <path>');
      expect(r.stdout).toContain('Exit codes:');
    }
    expect((await accounts(['operator', '--help'])).stdout).toMatch(/--operator are operators\s+regardless/);
  });

  it('the server --help points at chat-server accounts --help', async () => {
    const r = await runBin(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('chat-server accounts --help');
  });

  it('an unknown subcommand, a missing argument, an unknown flag: one line, exit 2', async () => {
    const unknown = await accounts(['frobnicate']);
    expect(unknown).toMatchObject({ code: 2, stdout: '', stderr: "chat-server accounts: unknown command 'frobnicate' (see chat-server accounts --help)\n" });
    const missing = await accounts(['passwd']);
    expect(missing).toMatchObject({ code: 2, stderr: "chat-server accounts: missing required argument 'name' (see chat-server accounts passwd --help)\n" });
    const flag = await accounts(['list', '--no-such-flag']);
    expect(flag).toMatchObject({ code: 2, stderr: "chat-server accounts: unknown option '--no-such-flag' (see chat-server accounts list --help)\n" });
    const url = await accounts(['list', '--redis', 'http://127.0.0.1:6379']);
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/^chat-server accounts: --redis must start with redis:\/\/ .*\n$/);
  });
});

describe('chat-server accounts on the Redis of a cluster', () => {
  let own: RedisInstance;

  beforeEach(async () => {
    own = await startRedis();
  });

  afterEach(async () => {
    await closeAllClients();
    await killAllChildren();
    await own.destroy();
  });

  it('list, passwd and operator through --redis (or CHAT_REDIS_URL), seen by the running node at once', async () => {
    const node = await spawnServer(['--redis', own.url]);
    await register(node.port, 'alice', 'first-password');
    const redis = ['--redis', own.url];

    const listed = await accounts(['list', '--json', ...redis]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ name: 'alice', operator: false }]);
    // The variable the server reads serves as well.
    const byEnv = await accounts(['list'], { env: { CHAT_REDIS_URL: own.url } });
    expect(byEnv.code, byEnv.stderr).toBe(0);
    expect(byEnv.stdout).toMatch(/^NAME +OPERATOR +CREATED\nalice +no +\d{4}-/);

    const changed = await accounts(['passwd', 'alice', ...redis], { input: 'second-password\n' });
    expect(changed, changed.stderr).toMatchObject({ code: 0, stdout: 'password of alice changed\n' });
    expect(await loginReply(node.port, 'alice', 'first-password')).toMatch(/^ERROR\|BAD_PASSWORD\|/);
    const alice = await LineClient.connect(node.port);
    await alice.login('alice', 'second-password');
    expect(await modlog(alice)).toMatch(/^ERROR\|NOT_ALLOWED\|/);

    expect((await accounts(['operator', 'alice', 'on', ...redis])).code).toBe(0);
    expect(await modlog(alice)).toBe('SYSTEM|no moderation actions yet');
  });

  it('a Redis that does not answer: one line, exit 1', async () => {
    const url = own.url;
    await own.stop();
    const r = await accounts(['list', '--redis', url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^chat-server accounts: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/);
  });
});
