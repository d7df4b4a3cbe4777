import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Command, CommanderError } from 'commander';
import { parseConfigText } from '../../cli/config-file.js';
import { OptionValueError } from '../../cli/option-kit.js';
import { DEFAULT_DATA_DIR, ENV_PREFIX, REDIS_URL_ENV, RESERVED_FILE_KEYS, serverFlags } from '../options.js';
import { DATABASE_FILE } from '../storage/sqlite-store.js';

// `chat-server backup FILE`: a consistent copy of the SQLite database while
// the server runs (SQLite's online backup API: it copies page by page and
// starts again over whatever a commit changed meanwhile). Written next to
// FILE and renamed into place once checked, private to this user. Returns
// an exit code; main.ts exits with it.

const BIN = 'chat-server backup';

const HELP = `
Restore: stop the server, put the copy in place of chat.db in its data directory
(and delete chat.db-wal and chat.db-shm there if they are left), start it again.
In cluster mode (--redis) the data is in Redis: back it up with Redis's own
persistence (RDB snapshots or the append-only file) instead.

Exit codes:
  0  copied (one line on stdout says where, and how big)
  1  it failed: no database in the data directory, FILE exists (without --force), a write error
  2  usage error, or cluster mode; the reason is one line on stderr
`;

class BackupError extends Error {
  constructor(
    readonly exitCode: 1 | 2,
    message: string,
  ) {
    super(message);
  }
}

interface Where {
  dataDir: string;
  clustered: boolean;
}

/** The data directory as the server would find it: --data-dir, else CHAT_DATA_DIR, else the config file, else ./data. */
function locate(command: Command, env: NodeJS.ProcessEnv): Where {
  const flags = command.opts<{ dataDir?: string; config?: string }>();
  const configFile = flags.config ?? (env[`${ENV_PREFIX}CONFIG`] || undefined);
  let fromFile: Readonly<Record<string, unknown>> = {};
  if (configFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(configFile, 'utf8');
    } catch (err) {
      throw new BackupError(2, `cannot read the config file ${configFile}: ${(err as Error).message}`);
    }
    try {
      fromFile = parseConfigText(text, configFile, serverFlags, RESERVED_FILE_KEYS).values;
    } catch (err) {
      if (err instanceof OptionValueError) throw new BackupError(2, err.message);
      throw err;
    }
  }
  const dataDir = flags.dataDir ?? (env[`${ENV_PREFIX}DATA_DIR`] || undefined) ?? (fromFile['data-dir'] as string | undefined) ?? DEFAULT_DATA_DIR;
  const clustered = flags.dataDir === undefined && Boolean(env[REDIS_URL_ENV] || fromFile['redis']);
  return { dataDir, clustered };
}

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function backUp(file: string, where: Where, force: boolean, out: (line: string) => void): Promise<void> {
  if (where.clustered) {
    throw new BackupError(2, 'in cluster mode the data is in Redis: back it up with Redis persistence (RDB or AOF) instead');
  }
  const source = path.join(where.dataDir, DATABASE_FILE);
  if (!fs.existsSync(source)) throw new BackupError(1, `no database at ${source} (give the server's --data-dir)`);
  if (fs.existsSync(file) && !force) throw new BackupError(1, `${file} exists; give --force to replace it`);
  const partial = `${file}.partial-${process.pid}`;
  let db: Database.Database | undefined;
  try {
    db = new Database(source, { fileMustExist: true });
    const done = await db.backup(partial);
    fs.chmodSync(partial, 0o600);
    const check = new Database(partial, { readonly: true, fileMustExist: true });
    try {
      const result = check.pragma('quick_check', { simple: true });
      if (result !== 'ok') throw new BackupError(1, `the copy did not check out (${String(result)}); ${file} was left as it was`);
    } finally {
      check.close();
    }
    fs.renameSync(partial, file);
    out(`backed up ${source} to ${file} (${done.totalPages} pages, ${size(fs.statSync(file).size)})`);
  } catch (err) {
    fs.rmSync(partial, { force: true });
    if (err instanceof BackupError) throw err;
    throw new BackupError(1, `cannot back up ${source} to ${file}: ${(err as Error).message}`);
  } finally {
    db?.close();
  }
}

export async function runBackupCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const fail = (code: 1 | 2, reason: string): number => {
    process.stderr.write(`${BIN}: ${reason}${code === 2 ? ` (see ${BIN} --help)` : ''}\n`);
    return code;
  };
  const command = new Command(BIN)
    .description('Copy the SQLite database, consistently, while the server runs.')
    .argument('<file>', 'where the copy goes')
    .option('--data-dir <path>', "the server's data folder, holding chat.db (or CHAT_DATA_DIR; default: the config file's, else ./data)")
    .option('--config <file>', "the server's config file, for its data-dir (or CHAT_CONFIG)")
    .option('--force', 'replace FILE if it exists')
    .addHelpText('after', HELP)
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} });
  try {
    command.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0;
      return fail(2, err.message.replace(/^error: /, ''));
    }
    throw err;
  }
  try {
    await backUp(command.args[0]!, locate(command, env), command.opts<{ force?: boolean }>().force === true, (line) => process.stdout.write(`${line}\n`));
    return 0;
  } catch (err) {
    if (err instanceof BackupError) return fail(err.exitCode, err.message);
    throw err;
  }
}
