// Helpers for the web page's end-to-end tests: the built server as a
// process on fixed free ports (so a restart comes back where the page
// left it), Debian's chromium driven by playwright-core, and a real `nc`
// playing a terminal user. Every wait polls with a timeout.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { assertBuilt, freePort, onCleanup, repoRoot, serverBin, waitFor } from './helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const UI_TIMEOUT = 15_000;

function onPath(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Fails (never skips) when a part is missing: a skipped test would hide that nothing was checked. */
export function requireBrowserParts(): void {
  assertBuilt();
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: these tests drive a real browser (Debian: apt-get install chromium)`);
  if (!onPath('nc')) throw new Error('nc not found on PATH: a terminal user is played by a real nc (Debian: apt-get install netcat-openbsd)');
  if (!fs.existsSync(path.join(repoRoot, 'dist/web/index.html'))) throw new Error('the web page is not built: run npm run build');
}

export interface Ports {
  port: number;
  webPort: number;
  ircPort: number;
}

export async function freePorts(): Promise<Ports> {
  const taken = new Set<number>();
  const next = async (): Promise<number> => {
    let p = await freePort();
    while (taken.has(p)) p = await freePort();
    taken.add(p);
    return p;
  };
  return { port: await next(), webPort: await next(), ircPort: await next() };
}

export interface WebServer {
  proc: ChildProcess;
  /** SIGTERM by its PID; resolves once it has exited. */
  stop(): Promise<void>;
}

/** `node dist/server/main.js` with the line, web and IRC ports; resolves once it logs "listening". */
export async function startWebServer(dataDir: string, ports: Ports): Promise<WebServer> {
  const args = ['--port', String(ports.port), '--web-port', String(ports.webPort), '--irc-port', String(ports.ircPort), '--data-dir', dataDir, '--log-json'];
  const proc = spawn(process.execPath, [serverBin, ...args], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const running = (): boolean => proc.exitCode === null && proc.signalCode === null;
  onCleanup(async () => {
    if (running()) proc.kill('SIGKILL');
    await exited;
  });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  await waitFor(
    'the server to log "listening"',
    () => {
      if (!running()) throw new Error(`server exited early: ${stderr}`);
      return stderr.includes('"event":"listening"');
    },
    UI_TIMEOUT,
  );
  return {
    proc,
    async stop() {
      if (running()) proc.kill('SIGTERM');
      await exited;
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  onCleanup(() => browser.close());
  return browser;
}

/** A page of its own (its own context: no shared storage), logged in as `name`. */
export async function loggedInPage(
  browser: Browser,
  webPort: number,
  name: string,
  viewport = { width: 1000, height: 640 },
): Promise<Page> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  onCleanup(() => context.close());
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${webPort}/`);
  await page.getByTestId('login-name').fill(name);
  await page.getByTestId('login-submit').click();
  await online(page);
  return page;
}

export async function online(page: Page, timeout = UI_TIMEOUT): Promise<void> {
  await page.locator('[data-testid="connection-state"][data-state="online"]').waitFor({ timeout });
}

/** The message list's line holding `text`, once it is there. */
export async function line(page: Page, text: string, timeout = UI_TIMEOUT): Promise<string> {
  const item = page.getByTestId('message-list').locator('li', { hasText: text }).last();
  await item.waitFor({ timeout });
  return (await item.textContent()) ?? '';
}

/** Types into the message box and presses Enter, as a user does. */
export async function say(page: Page, text: string): Promise<void> {
  const input = page.getByTestId('message-input');
  await input.fill(text);
  await input.press('Enter');
}

/** A terminal user on the line protocol: a real `nc`, its lines read as they come. */
export class Netcat {
  readonly lines: string[] = [];
  private constructor(private readonly proc: ChildProcess) {}

  static start(port: number): Netcat {
    const proc = spawn('nc', ['127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'ignore'] });
    const nc = new Netcat(proc);
    let rest = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      rest += d;
      const parts = rest.split('\n');
      rest = parts.pop()!;
      nc.lines.push(...parts.map((l) => l.replace(/\r$/, '')));
    });
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    onCleanup(async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    });
    return nc;
  }

  /** Writes one frame; a line end is added. */
  send(frame: string): void {
    this.proc.stdin!.write(`${frame}\n`);
  }

  waitFor(prefix: string, timeoutMs = UI_TIMEOUT): Promise<string> {
    return waitFor(`nc to read a line starting with ${JSON.stringify(prefix)}`, () => this.lines.find((l) => l.startsWith(prefix)), timeoutMs, () => this.lines.join('\n'));
  }
}
