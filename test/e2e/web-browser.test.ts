// The web page in a real browser (Debian's chromium, driven by
// playwright-core) against the built server: pages, a real `nc` and irssi
// in one room; private messages typed as /msg; switching rooms; the
// unread count; reconnecting after a server restart; hostile text shown
// inertly; a phone-sized screen used with the keyboard alone; HTTPS and
// WSS with a password login. Screenshots
// go to each test's temp folder (WEB_SCREENSHOTS=dir keeps them elsewhere).

/// <reference lib="dom" />

import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Netcat, UI_TIMEOUT, freePorts, launchBrowser, line, loggedInPage, online, requireBrowserParts, say, startWebServer } from './browser-helpers.js';
import { cleanup, onCleanup, tempDir, waitFor } from './helpers.js';
import { Irssi, literal, requireIrcClients } from './irc-client-helpers.js';
import { makeCa, makeServerCert } from '../helpers/certs.js';
import { startTestServer } from '../helpers/server.js';

beforeAll(() => {
  requireBrowserParts();
  requireIrcClients();
});
afterEach(() => cleanup());

const TEST_TIMEOUT = 90_000;

function shotsDir(): string {
  const dir = process.env['WEB_SCREENSHOTS'] ?? tempDir('pipechat-web-shots-');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

async function shot(page: Page, dir: string, name: string): Promise<string> {
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Names in the page's user list. */
const people = (page: Page): Promise<string[]> => page.getByTestId('user-list').locator('button[data-name]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['name']!));

/** Whether anything on the page is wider than the window (it would scroll sideways). */
const overflowsSideways = (page: Page): Promise<boolean> => page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);

describe('the web page in chromium', () => {
  it(
    'two pages, an nc user and an irssi user chat in one room: history on entry, joins, the people, messages every way',
    async () => {
      const dir = shotsDir();
      const ports = await freePorts();
      await startWebServer(tempDir('pipechat-web-e2e-'), ports);
      const cat = Netcat.start(ports.port);
      cat.send('LOGIN|cat');
      await cat.waitFor('SUCCESS|');
      cat.send('TEXT|said before the browsers came');
      await cat.waitFor('TEXT|cat|said before the browsers came');

      const browser = await launchBrowser();
      const ann = await loggedInPage(browser, ports.webPort, 'ann');
      // History on entry, marked as such.
      const history = ann.getByTestId('message-list').locator('li.msg-history', { hasText: 'said before the browsers came' });
      await history.waitFor({ timeout: UI_TIMEOUT });
      expect(await ann.getByTestId('room-name').textContent()).toBe('lobby');
      await cat.waitFor('SYSTEM|ann joined lobby');

      const ben = await loggedInPage(browser, ports.webPort, 'ben');
      await line(ann, 'ben joined lobby');
      const irssi = await Irssi.start({ nick: 'dan', port: ports.ircPort });
      irssi.command('/join #lobby');
      await line(ann, 'dan joined lobby');
      await line(ben, 'dan joined lobby');
      await waitFor('ann to list everyone', async () => (await people(ann)).join(',') === 'ann,ben,cat,dan', UI_TIMEOUT, () => 'people: see the page');

      await say(ann, 'hello from ann');
      await line(ben, 'hello from ann');
      await cat.waitFor('TEXT|ann|hello from ann');
      await irssi.waitFor("ann's line", new RegExp(`<[ @+]?ann> ${literal('hello from ann')}$`, 'm'));

      cat.send('TEXT|hello from cat, ünïcode too');
      await line(ann, 'hello from cat, ünïcode too');
      await line(ben, 'hello from cat, ünïcode too');
      await irssi.waitFor("cat's line", /<[ @+]?cat> hello from cat, ünïcode too$/m);

      irssi.command('hello from dan on IRC');
      await line(ann, 'hello from dan on IRC');
      await line(ben, 'hello from dan on IRC');
      await cat.waitFor('TEXT|dan|hello from dan on IRC');

      await say(ben, 'and ben');
      const own = await line(ben, 'and ben');
      expect(own).toMatch(/^\d\d:\d\dben: and ben$/);
      await line(ann, 'and ben');
      // Names have stable colour classes, the same on both pages.
      const colour = (page: Page) => page.getByTestId('message-list').locator('li', { hasText: 'hello from cat' }).locator('.name').getAttribute('class');
      expect(await colour(ann)).toMatch(/^name name-c\d+$/);
      expect(await colour(ann)).toBe(await colour(ben));

      await shot(ann, dir, 'room-of-four');
      await shot(ben, dir, 'room-of-four-ben');
    },
    TEST_TIMEOUT,
  );

  it(
    'a private message typed as /msg, to nc and back, shown as private on the page alone',
    async () => {
      const dir = shotsDir();
      const ports = await freePorts();
      await startWebServer(tempDir('pipechat-web-e2e-'), ports);
      const browser = await launchBrowser();
      const ann = await loggedInPage(browser, ports.webPort, 'ann');
      const ben = await loggedInPage(browser, ports.webPort, 'ben');
      const cat = Netcat.start(ports.port);
      cat.send('LOGIN|cat');
      await line(ann, 'cat joined lobby');

      await say(ann, '/msg cat just between us');
      await cat.waitFor('PRIVATE|ann|just between us');
      const sent = ann.getByTestId('message-list').locator('li.msg-private', { hasText: 'just between us' });
      await sent.waitFor({ timeout: UI_TIMEOUT });
      expect(await sent.textContent()).toMatch(/private you → cat: just between us$/);

      cat.send('PRIVATE|ann|back to you');
      const got = ann.getByTestId('message-list').locator('li.msg-private', { hasText: 'back to you' });
      await got.waitFor({ timeout: UI_TIMEOUT });
      expect(await got.textContent()).toMatch(/private cat → you: back to you$/);

      // A click on a name in the list starts a /msg.
      await ann.getByTestId('user-list').locator('button[data-name="ben"]').click();
      expect(await ann.getByTestId('message-input').inputValue()).toBe('/msg ben ');
      await ann.getByTestId('message-input').press('End');
      await ann.getByTestId('message-input').pressSequentially('psst');
      await ann.getByTestId('message-input').press('Enter');
      await ben.getByTestId('message-list').locator('li.msg-private', { hasText: 'psst' }).waitFor({ timeout: UI_TIMEOUT });

      // Nobody else saw any of it.
      cat.send('TEXT|public again');
      await line(ben, 'public again');
      const benText = (await ben.getByTestId('message-list').textContent()) ?? '';
      expect(benText).not.toContain('just between us');
      expect(benText).not.toContain('back to you');
      await shot(ann, dir, 'private');
    },
    TEST_TIMEOUT,
  );

  it(
    'switching rooms: /join and the room list; lines stay in their room; the unread count while the tab is hidden',
    async () => {
      const dir = shotsDir();
      const ports = await freePorts();
      await startWebServer(tempDir('pipechat-web-e2e-'), ports);
      const browser = await launchBrowser();
      const ann = await loggedInPage(browser, ports.webPort, 'ann');
      const cat = Netcat.start(ports.port);
      cat.send('LOGIN|cat');
      await line(ann, 'cat joined lobby');

      await say(ann, '/join other');
      await waitFor('the header to say other', async () => (await ann.getByTestId('room-name').textContent()) === 'other', UI_TIMEOUT);
      const rooms = ann.getByTestId('room-list');
      await rooms.locator('button[data-room="other"][aria-current="true"]').waitFor({ timeout: UI_TIMEOUT });
      await rooms.locator('button[data-room="lobby"]').waitFor({ timeout: UI_TIMEOUT });
      expect(await people(ann)).toEqual(['ann']);

      // What is said in the lobby now does not reach ann in other.
      cat.send('TEXT|only for the lobby');
      await cat.waitFor('TEXT|cat|only for the lobby');
      await say(ann, 'in other');
      await line(ann, 'in other');
      expect(await ann.getByTestId('message-list').textContent()).not.toContain('only for the lobby');

      // Back by a click on the lobby: its recent lines come with it.
      await rooms.locator('button[data-room="lobby"]').click();
      await rooms.locator('button[data-room="lobby"][aria-current="true"]').waitFor({ timeout: UI_TIMEOUT });
      await ann.getByTestId('message-list').locator('li.msg-history', { hasText: 'only for the lobby' }).waitFor({ timeout: UI_TIMEOUT });
      expect(cat.lines.some((l) => l.includes('in other'))).toBe(false);

      // The tab hidden: lines for ann are counted in the title, with a "new" marker before the first.
      await ann.evaluate(() => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      cat.send('TEXT|while you were away');
      cat.send('TEXT|and again');
      await waitFor('the title to count 2 unread', async () => (await ann.title()) === '(2) pipechat', UI_TIMEOUT, () => 'title');
      await ann.getByTestId('message-list').locator('li.msg-unread + li', { hasText: 'while you were away' }).waitFor({ timeout: UI_TIMEOUT });
      await ann.evaluate(() => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await waitFor('the title without a count', async () => (await ann.title()) === 'pipechat', UI_TIMEOUT);
      await shot(ann, dir, 'rooms');
    },
    TEST_TIMEOUT,
  );

  it(
    'reconnects by itself after the server restarts, shows it in the meantime, and goes back to its room',
    async () => {
      const dir = shotsDir();
      const ports = await freePorts();
      const dataDir = tempDir('pipechat-web-e2e-');
      const first = await startWebServer(dataDir, ports);
      const browser = await launchBrowser();
      const ann = await loggedInPage(browser, ports.webPort, 'ann');
      await say(ann, '/join den');
      await ann.getByTestId('room-list').locator('button[data-room="den"][aria-current="true"]').waitFor({ timeout: UI_TIMEOUT });
      await say(ann, 'before the restart');
      await line(ann, 'before the restart');

      await first.stop();
      await ann.locator('[data-testid="connection-state"][data-state="waiting"]').waitFor({ timeout: UI_TIMEOUT });
      expect(await ann.getByTestId('retry-now').isVisible()).toBe(true);
      await shot(ann, dir, 'offline');

      await startWebServer(dataDir, ports);
      // The backoff (0.5 s doubling, at most 15 s) brings it back; no click needed.
      await online(ann, 30_000);
      await ann.getByTestId('room-list').locator('button[data-room="den"][aria-current="true"]').waitFor({ timeout: UI_TIMEOUT });
      const cat = Netcat.start(ports.port);
      cat.send('LOGIN|cat');
      cat.send('JOIN|den');
      await line(ann, 'cat joined den');
      await say(ann, 'after the restart');
      await cat.waitFor('TEXT|ann|after the restart');
      // The line from before is shown once, not again from the replay.
      expect(await ann.getByTestId('message-list').locator('li', { hasText: 'before the restart' }).count()).toBe(1);
      await shot(ann, dir, 'back-online');
    },
    TEST_TIMEOUT,
  );

  it(
    'hostile text is shown as text: no markup runs, no control character reaches the page, long lines wrap',
    async () => {
      const dir = shotsDir();
      const ports = await freePorts();
      await startWebServer(tempDir('pipechat-web-e2e-'), ports);
      const browser = await launchBrowser();
      const ann = await loggedInPage(browser, ports.webPort, 'ann');
      const cat = Netcat.start(ports.port);
      cat.send('LOGIN|cat');
      await line(ann, 'cat joined lobby');

      const img = '<img src=x onerror="window.__pwned=1">';
      const script = '<script>window.__pwned=2</script>';
      cat.send(`TEXT|${img}`);
      cat.send(`TEXT|${script}`);
      cat.send('TEXT|\u001b[31mred\u001b[0m and a bell\u0007 and \u202eoverride');
      cat.send(`TEXT|${'w'.repeat(1900)}`);
      cat.send('TEXT|last');
      await line(ann, 'last');

      expect(await line(ann, img)).toContain(img);
      expect(await line(ann, script)).toContain(script);
      expect(await ann.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await ann.locator('#message-list img, #message-list script').count()).toBe(0);
      const escaped = await line(ann, 'and a bell');
      expect(escaped).toContain('red');
      expect(escaped).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);

      // The long word wraps inside the list: nothing scrolls sideways.
      const long = ann.getByTestId('message-list').locator('li', { hasText: 'wwwwwwwwww' });
      const widths = await long.evaluate((li) => ({ item: li.scrollWidth, list: li.parentElement!.clientWidth }));
      expect(widths.item).toBeLessThanOrEqual(widths.list);
      expect(await overflowsSideways(ann)).toBe(false);
      await shot(ann, dir, 'hostile');
    },
    TEST_TIMEOUT,
  );

  it(
    'on a phone-sized screen, with the keyboard alone: log in, chat, open the rooms panel and close it with Escape',
    async () => {
      const dir = shotsDir();
      const ports = await freePorts();
      await startWebServer(tempDir('pipechat-web-e2e-'), ports);
      const cat = Netcat.start(ports.port);
      cat.send('LOGIN|cat');
      await cat.waitFor('SUCCESS|');
      const browser = await launchBrowser();
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, hasTouch: true, isMobile: true });
      const phone = await context.newPage();
      await phone.goto(`http://127.0.0.1:${ports.webPort}/`);
      // The name box has the focus: type, Tab over the password, Enter.
      await phone.keyboard.type('pia');
      await phone.keyboard.press('Tab');
      await phone.keyboard.press('Enter');
      await online(phone);
      // The message box has the focus once in.
      await phone.keyboard.type('typed on a phone');
      await phone.keyboard.press('Enter');
      await line(phone, 'typed on a phone');
      await cat.waitFor('TEXT|pia|typed on a phone');
      cat.send(`TEXT|a long line for a narrow screen ${'word '.repeat(80)}`);
      await line(phone, 'a long line for a narrow screen');
      expect(await overflowsSideways(phone)).toBe(false);
      await shot(phone, dir, 'phone');

      const toggle = phone.getByTestId('panel-toggle');
      expect(await toggle.isVisible()).toBe(true);
      await toggle.focus();
      await phone.keyboard.press('Enter');
      expect(await toggle.getAttribute('aria-expanded')).toBe('true');
      await phone.getByTestId('user-list').locator('button[data-name="cat"]').waitFor({ timeout: UI_TIMEOUT });
      await shot(phone, dir, 'phone-panel');
      await phone.keyboard.press('Escape');
      expect(await toggle.getAttribute('aria-expanded')).toBe('false');
      expect(await overflowsSideways(phone)).toBe(false);
      await context.close();
    },
    TEST_TIMEOUT,
  );
  it(
    'over HTTPS and WSS on --web-tls-port: a password login registers the name, and the page chats with an nc user',
    async () => {
      const files = makeServerCert(makeCa(tempDir('chat-tls-')));
      const srv = await startTestServer({ tlsCert: files.certFile, tlsKey: files.keyFile, tlsPort: 0, webTlsPort: 0, dataDir: tempDir('pipechat-web-e2e-') });
      onCleanup(() => srv.close());
      const browser = await launchBrowser();
      // The test CA is not one chromium trusts.
      const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1000, height: 640 } });
      onCleanup(() => context.close());
      const page = await context.newPage();
      await page.goto(`https://127.0.0.1:${srv.webTlsPort!}/`);
      await page.getByTestId('login-name').fill('eve');
      await page.getByTestId('login-password').fill('a secret of eve');
      await page.getByTestId('login-submit').click();
      await online(page);
      expect(await line(page, 'Welcome, eve!')).toMatch(/registered/);
      // The password is not left in the page.
      expect(await page.evaluate(() => (document.getElementById('login-password') as HTMLInputElement).value)).toBe('');
      const cat = Netcat.start(srv.port);
      cat.send('LOGIN|cat');
      await line(page, 'cat joined lobby');
      await say(page, 'sent over wss');
      await cat.waitFor('TEXT|eve|sent over wss');
    },
    TEST_TIMEOUT,
  );
});
