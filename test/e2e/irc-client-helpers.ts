// Real IRC clients for the end-to-end tests of the IRC listener: irssi in a
// terminal of its own (tmux), read from the screen, and weechat-headless, a
// child process without a terminal, given commands through its fifo plugin
// and read through the files its logger plugin writes. Both get a home
// directory of their own with a minimal configuration, talk to 127.0.0.1
// only, and are stopped in cleanup.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { LineClient, Tmux, onCleanup, tempDir, waitFor } from './helpers.js';

/** The name the server's replies come from, so that sources read `nick!nick@irc.test`. */
export const SERVER_NAME = 'irc.test';

/** Every wait for a client: generous, since a loaded machine runs three processes per test. */
export const CLIENT_TIMEOUT = 15_000;

const UTF8 = { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };

function onPath(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Fails (never skips) when a client is missing: a skipped test would hide that nothing was checked. */
export function requireIrcClients(): void {
  if (!Tmux.available()) throw new Error('tmux is required for these tests (Debian: apt-get install tmux)');
  const missing = ['irssi', 'weechat-headless'].filter((bin) => !onPath(bin));
  if (missing.length > 0) {
    throw new Error(`${missing.join(' and ')} not found on PATH: these tests drive real IRC clients (Debian: apt-get install irssi weechat-headless)`);
  }
}

export interface IrcTestServer {
  port: number;
  ircPort: number;
}

/** The server in this process on free ports of 127.0.0.1, with an IRC listener; closed in cleanup. */
export async function startIrcServer(): Promise<IrcTestServer> {
  const srv = await startTestServer({ ircPort: 0, serverName: SERVER_NAME, dataDir: tempDir('pipechat-irc-e2e-') });
  onCleanup(() => srv.close());
  return { port: srv.port, ircPort: srv.ircPort! };
}

/** Registers `name` over the line protocol (IRC does not register names), then logs out. */
export async function registerAccount(port: number, name: string, password: string): Promise<void> {
  const c = await LineClient.connect(port);
  c.send(`LOGIN|${name}|${password}`);
  await c.waitFor(/^SUCCESS\|.*\(registered/, CLIENT_TIMEOUT);
  c.send('LOGOUT');
  await waitFor(`${name}'s registering connection to close`, () => c.isClosed, CLIENT_TIMEOUT);
}

/** `text` as the source of a regular expression that matches it literally. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface Sasl {
  username: string;
  password: string;
}

// ---------------------------------------------------------------- irssi

/** The quoted value of an irssi config setting. */
const irssiValue = (v: string): string => `"${v.replace(/[\\"]/g, '\\$&')}"`;

function irssiConfig(nick: string, port: number, sasl: Sasl | undefined): string {
  const login =
    sasl === undefined ? '' : ` sasl_mechanism = "PLAIN"; sasl_username = ${irssiValue(sasl.username)}; sasl_password = ${irssiValue(sasl.password)};`;
  // The server entry matches `-c 127.0.0.1 -p PORT`, so the connection takes its chatnet (and SASL).
  return `servers = (
  { address = "127.0.0.1"; chatnet = "pipechat"; port = "${port}"; use_tls = "no"; autoconnect = "no"; }
);
chatnets = { pipechat = { type = "IRC";${login} }; };
settings = {
  core = { real_name = ${irssiValue(nick)}; user_name = ${irssiValue(nick)}; nick = ${irssiValue(nick)}; settings_autosave = "no"; };
  "irc/core" = {
    # irssi's flood protection holds commands back 2.2 s each after the first five; the
    # channel sync and the typed commands of a test would wait for it.
    cmd_queue_speed = "0";
    cmds_max_at_once = "100";
    ctcp_version_reply = "";
  };
  "fe-common/core" = { theme = "default"; };
  # History shows with the times of its server-time tags. Keys sent by tmux come
  # at once, and irssi's paste detection would hold them back.
  "fe-text" = { show_server_time = "yes"; paste_detect_time = "0"; };
};
`;
}

/** irssi in a wide tmux window, connected to the IRC port (and logged in with SASL PLAIN when given). */
export class Irssi {
  private constructor(
    readonly terminal: Tmux,
    readonly nick: string,
  ) {}

  static async start(options: { nick: string; port: number; sasl?: Sasl }): Promise<Irssi> {
    const home = tempDir('pipechat-irssi-');
    fs.writeFileSync(path.join(home, 'config'), irssiConfig(options.nick, options.port, options.sasl));
    const terminal = await Tmux.start(['irssi', `--home=${home}`, '-n', options.nick, '-c', '127.0.0.1', '-p', String(options.port)], {
      width: 200,
      height: 50,
      // A screen-like TERM: irssi warns about any other inside tmux.
      env: { ...UTF8, TERM: 'screen-256color' },
    });
    const irssi = new Irssi(terminal, options.nick);
    await irssi.waitFor('the welcome (001)', /Welcome to the pipechat IRC network, \S+!/);
    // A question at start (an unknown setting: "Remove unknown settings…?") would take the first typed line.
    if (/Unknown settings/.test(irssi.screen())) throw new Error(`irssi did not take its configuration:\n${irssi.screen()}`);
    return irssi;
  }

  /** Types a line (a command or text for the current window) and presses Enter. */
  command(line: string): void {
    this.terminal.type(line);
    this.terminal.keys('Enter');
  }

  /** The current window as text, each line without the blanks irssi may leave at its end. */
  screen(): string {
    return this.terminal
      .joinedScreen()
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n');
  }

  waitFor(what: string, test: RegExp, timeoutMs = CLIENT_TIMEOUT): Promise<string> {
    return waitFor(
      `irssi (${this.nick}) to show ${what}`,
      () => {
        const s = this.screen();
        return test.test(s) ? s : undefined;
      },
      timeoutMs,
      () => this.screen(),
    );
  }
}

// ---------------------------------------------------------------- WeeChat

/** The network's name in WeeChat: buffers are `irc.server.pipechat` and `irc.pipechat.#lobby`. */
export const WEECHAT_SERVER = 'pipechat';

/** weechat-headless with the irc, fifo and logger plugins only, connecting at start. */
export class WeeChat {
  private constructor(
    readonly nick: string,
    private readonly dir: string,
    private readonly fifo: string,
    private readonly exited: () => boolean,
  ) {}

  static async start(options: { nick: string; port: number; sasl?: Sasl; autojoin?: string }): Promise<WeeChat> {
    const dir = tempDir('pipechat-weechat-');
    const fifo = path.join(dir, 'fifo');
    // Written before the start, so the fifo is there and every line is logged (and flushed at once) from the first.
    fs.writeFileSync(path.join(dir, 'fifo.conf'), `[file]\nenabled = on\npath = "${fifo}"\n`);
    fs.writeFileSync(
      path.join(dir, 'logger.conf'),
      `[file]\nauto_log = on\nflush_delay = 0\npath = "${path.join(dir, 'logs')}"\nmask = "$plugin.$name.weechatlog"\ntime_format = "%H:%M:%S"\n`,
    );
    const s = `irc.server.${WEECHAT_SERVER}`;
    const commands = [
      `/server add ${WEECHAT_SERVER} 127.0.0.1/${options.port} -notls`,
      `/set ${s}.nicks ${options.nick}`,
      `/set ${s}.username ${options.nick}`,
      `/set ${s}.realname ${options.nick}`,
      // WeeChat's anti-flood queue holds each line 2 s after the last one; the tests would wait
      // for it. (Two options up to WeeChat 3.8, one from 4.0: the one a version lacks is only
      // reported as not found.)
      `/set ${s}.anti_flood_prio_high 0`,
      `/set ${s}.anti_flood_prio_low 0`,
      `/set ${s}.anti_flood 0`,
      ...(options.sasl === undefined
        ? []
        : [`/set ${s}.sasl_mechanism plain`, `/set ${s}.sasl_username ${options.sasl.username}`, `/set ${s}.sasl_password ${options.sasl.password}`]),
      ...(options.autojoin === undefined ? [] : [`/set ${s}.autojoin ${options.autojoin}`]),
      `/connect ${WEECHAT_SERVER}`,
    ];
    // -P: no plugin but these (no scripts, spell checker, typing notices, relay); -s: no scripts.
    const proc = spawn('weechat-headless', ['--dir', dir, '-P', 'irc,fifo,logger', '-s', '-r', commands.join('; ')], {
      stdio: 'ignore',
      env: { ...process.env, ...UTF8 },
    });
    let failed: Error | undefined;
    // A process that could not start may never emit 'exit': 'error' ends the wait too.
    const exit = new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.once('error', (err) => {
        failed = err;
        resolve();
      });
    });
    const stopped = () => failed !== undefined || proc.exitCode !== null || proc.signalCode !== null;
    onCleanup(async () => {
      if (stopped()) return;
      // SIGTERM makes WeeChat quit (QUIT to the server); SIGKILL if it does not within 3 s.
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3_000);
      await exit;
      clearTimeout(timer);
    });
    const weechat = new WeeChat(options.nick, dir, fifo, stopped);
    await waitFor('WeeChat to create its fifo', () => {
      if (failed !== undefined) throw new Error(`weechat-headless did not start: ${failed.message}`);
      if (stopped()) throw new Error(`weechat-headless exited at start (code ${proc.exitCode}):\n${weechat.file('weechat.log')}`);
      return fs.existsSync(fifo);
    }, CLIENT_TIMEOUT);
    await weechat.waitForLog(s, 'the welcome (001)', /Welcome to the pipechat IRC network/);
    return weechat;
  }

  /**
   * Runs `text` in `buffer` as if typed there (`*` in the fifo's syntax):
   * a /command, or a message. The fifo is opened without blocking, so a
   * WeeChat that is gone fails the test instead of hanging it.
   */
  command(buffer: string, text: string): void {
    if (this.exited()) throw new Error('weechat-headless is no longer running');
    const fd = fs.openSync(this.fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    try {
      fs.writeSync(fd, `${buffer} *${text}\n`);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The log of a buffer (`irc.server.pipechat`, `irc.pipechat.#lobby`, `irc.pipechat.bob` for a private one), '' before it exists. */
  log(buffer: string): string {
    return this.file(path.join('logs', `${buffer.toLowerCase()}.weechatlog`));
  }

  private file(name: string): string {
    try {
      return fs.readFileSync(path.join(this.dir, name), 'utf8');
    } catch {
      return '';
    }
  }

  waitForLog(buffer: string, what: string, test: RegExp, timeoutMs = CLIENT_TIMEOUT): Promise<string> {
    return waitFor(
      `WeeChat (${this.nick}) to log ${what} in ${buffer}`,
      () => {
        const log = this.log(buffer);
        return test.test(log) ? log : undefined;
      },
      timeoutMs,
      () => `${buffer}:\n${this.log(buffer)}\nweechat.log:\n${this.file('weechat.log')}`,
    );
  }
}

/** A message line in a WeeChat log: `time TAB nick TAB text`. */
export function weechatMessage(nick: string, text: string): RegExp {
  return new RegExp(`^[\\d:]+\\t${literal(nick)}\\t${literal(text)}$`, 'm');
}
