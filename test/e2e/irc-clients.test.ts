// The IRC listener with the IRC clients people use: irssi in a terminal and
// weechat-headless, with a raw line-protocol user, in one room (#lobby is
// lobby). The integration tests write IRC lines by hand; these check that
// real clients read our replies as meant: join notices, room and private
// messages every way, history on join, and a registered name through SASL
// PLAIN. Each test has its own server on free ports of 127.0.0.1.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LineClient, cleanup } from './helpers.js';
import {
  CLIENT_TIMEOUT,
  Irssi,
  WEECHAT_SERVER,
  WeeChat,
  literal,
  registerAccount,
  requireIrcClients,
  startIrcServer,
  weechatMessage,
} from './irc-client-helpers.js';

beforeAll(() => requireIrcClients());
afterEach(() => cleanup());

const TEST_TIMEOUT = 90_000;
const LOBBY = `irc.${WEECHAT_SERVER}.#lobby`;
const STATUS = `irc.server.${WEECHAT_SERVER}`;
/** WeeChat's buffer of a private conversation with `nick`. */
const query = (nick: string) => `irc.${WEECHAT_SERVER}.${nick}`;

/** A room line in irssi's channel window: `< bob> text` (the space is the empty nick mode). */
const irssiSays = (nick: string, text: string) => new RegExp(`<[ @+]?${literal(nick)}> ${literal(text)}$`, 'm');
/** A line of a private conversation in irssi's query window: `<bob> text`. */
const irssiQuery = (nick: string, text: string) => new RegExp(`<${literal(nick)}> ${literal(text)}$`, 'm');
/** irssi's join line; what is between the brackets (user@host) is the server's to choose. */
const irssiJoined = (nick: string) => new RegExp(`-!- ${literal(nick)} \\[[^\\]]+\\] has joined #lobby$`, 'm');

describe('real IRC clients', () => {
  it(
    'irssi, WeeChat and a line user in #lobby: history on join, join notices, messages every way, part and quit',
    async () => {
      const srv = await startIrcServer();
      const bob = await LineClient.login(srv.port, 'bob');
      bob.send('TEXT|said before anyone came from IRC');
      await bob.waitFor('TEXT|bob|said before anyone came from IRC', CLIENT_TIMEOUT);

      // irssi joins: the line user is told, irssi lists bob and then replays what bob said.
      const irssi = await Irssi.start({ nick: 'alice', port: srv.ircPort });
      irssi.command('/join #lobby');
      await bob.waitFor('SYSTEM|alice joined lobby', CLIENT_TIMEOUT);
      const joined = await irssi.waitFor('the history line', irssiSays('bob', 'said before anyone came from IRC'));
      expect(joined).toMatch(irssiJoined('alice'));
      expect(joined).toMatch(/\[ ?bob\]/);
      expect(joined).toMatch(/Total of 2 nicks/);
      expect(joined.search(irssiJoined('alice'))).toBeLessThan(joined.search(irssiSays('bob', 'said before anyone came from IRC')));

      // WeeChat joins at connect: the same replay, and both other users see it come.
      const weechat = await WeeChat.start({ nick: 'carol', port: srv.ircPort, autojoin: '#lobby' });
      await bob.waitFor('SYSTEM|carol joined lobby', CLIENT_TIMEOUT);
      await irssi.waitFor("carol's join", irssiJoined('carol'));
      const lobby = await weechat.waitForLog(LOBBY, 'the history line', weechatMessage('bob', 'said before anyone came from IRC'));
      expect(lobby).toMatch(/-->\tcarol \([^)]+\) has joined #lobby/);
      expect(lobby).toMatch(/Channel #lobby: 3 nicks/);

      // A line user who comes later is a JOIN to both clients.
      const dave = await LineClient.login(srv.port, 'dave');
      await irssi.waitFor("dave's join", irssiJoined('dave'));
      await weechat.waitForLog(LOBBY, "dave's join", /-->\tdave \([^)]+\) has joined #lobby/);

      // The line user speaks (non-ASCII included): both clients show it.
      bob.send('TEXT|grüße from the line protocol, 明日');
      await irssi.waitFor("bob's message", irssiSays('bob', 'grüße from the line protocol, 明日'));
      await weechat.waitForLog(LOBBY, "bob's message", weechatMessage('bob', 'grüße from the line protocol, 明日'));

      // irssi speaks: the line users and WeeChat get it.
      irssi.command('hello from irssi');
      await bob.waitFor('TEXT|alice|hello from irssi', CLIENT_TIMEOUT);
      await dave.waitFor('TEXT|alice|hello from irssi', CLIENT_TIMEOUT);
      await weechat.waitForLog(LOBBY, "alice's message", weechatMessage('alice', 'hello from irssi'));
      expect(irssi.screen()).toMatch(irssiSays('alice', 'hello from irssi'));

      // WeeChat speaks: the line users and irssi get it.
      weechat.command(LOBBY, 'hello from weechat');
      await bob.waitFor('TEXT|carol|hello from weechat', CLIENT_TIMEOUT);
      await dave.waitFor('TEXT|carol|hello from weechat', CLIENT_TIMEOUT);
      await irssi.waitFor("carol's message", irssiSays('carol', 'hello from weechat'));

      // Each message reached each of them once: nothing echoed twice, nothing relayed back to its sender.
      const count = (text: string, part: string) => text.split(part).length - 1;
      expect(bob.lines.filter((l) => l.endsWith('|hello from irssi'))).toHaveLength(1);
      expect(count(irssi.screen(), 'hello from irssi')).toBe(1);
      expect(count(irssi.screen(), 'hello from weechat')).toBe(1);
      expect(count(weechat.log(LOBBY), 'hello from weechat')).toBe(1);
      expect(count(weechat.log(LOBBY), 'hello from irssi')).toBe(1);

      // WeeChat leaves with a reason; irssi quits with one.
      weechat.command(LOBBY, '/part #lobby off to dev');
      await bob.waitFor('SYSTEM|carol left lobby (off to dev)', CLIENT_TIMEOUT);
      await irssi.waitFor("carol's part", /-!- carol \[[^\]]+\] has left #lobby \[off to dev\]$/m);
      irssi.command('/quit see you');
      await bob.waitFor('SYSTEM|alice left lobby (Quit: see you)', CLIENT_TIMEOUT);
      await dave.waitFor('SYSTEM|alice left lobby (Quit: see you)', CLIENT_TIMEOUT);
      bob.send('USERS');
      await bob.waitFor('USERS|2|bob,dave', CLIENT_TIMEOUT);
    },
    TEST_TIMEOUT,
  );

  it(
    'private messages both ways between a line user, irssi and WeeChat, without a shared channel',
    async () => {
      const srv = await startIrcServer();
      const bob = await LineClient.login(srv.port, 'bob');
      const irssi = await Irssi.start({ nick: 'alice', port: srv.ircPort });
      const weechat = await WeeChat.start({ nick: 'carol', port: srv.ircPort });

      // Line user -> irssi: a query of its own in irssi.
      bob.send('PRIVATE|alice|psst alice');
      await bob.waitFor('SENT|alice|psst alice', CLIENT_TIMEOUT);
      irssi.command('/query bob');
      await irssi.waitFor("bob's private message in the query", irssiQuery('bob', 'psst alice'));
      // irssi -> line user.
      irssi.command('/msg bob hi bob, alice here');
      await bob.waitFor('PRIVATE|alice|hi bob, alice here', CLIENT_TIMEOUT);
      await irssi.waitFor('its own message in the query', irssiQuery('alice', 'hi bob, alice here'));

      // Line user -> WeeChat, and back.
      bob.send('PRIVATE|carol|psst carol');
      await bob.waitFor('SENT|carol|psst carol', CLIENT_TIMEOUT);
      await weechat.waitForLog(query('bob'), "bob's private message", weechatMessage('bob', 'psst carol'));
      weechat.command(STATUS, '/msg bob hi bob, carol here');
      await bob.waitFor('PRIVATE|carol|hi bob, carol here', CLIENT_TIMEOUT);

      // irssi <-> WeeChat, both IRC sides of the server.
      irssi.command('/msg carol from irssi to weechat');
      await weechat.waitForLog(query('alice'), "alice's private message", weechatMessage('alice', 'from irssi to weechat'));
      weechat.command(query('alice'), 'from weechat to irssi');
      irssi.command('/query carol');
      await irssi.waitFor("carol's answer in the query", irssiQuery('carol', 'from weechat to irssi'));

      // Private means private: nothing of it reached the line user who was not part of it.
      expect(bob.lines.filter((l) => /irssi to weechat|weechat to irssi/.test(l))).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'irssi and a registered name: NICK alone gets another nick; SASL PLAIN logs in, the kept message arrives, the line user reaches it',
    async () => {
      const srv = await startIrcServer();
      await registerAccount(srv.port, 'dave', 'dave-secret-pw');
      const bob = await LineClient.login(srv.port, 'bob');

      // Without SASL the registered name is refused (433) and irssi takes its alternate nick.
      const guest = await Irssi.start({ nick: 'dave', port: srv.ircPort });
      expect(guest.screen()).toMatch(/Welcome to the pipechat IRC network, dave_!/);
      // So a message for dave is kept for the account, not handed to that guest.
      bob.send('PRIVATE|dave|kept while you were out');
      await bob.waitFor(/^SYSTEM\|dave is offline/, CLIENT_TIMEOUT);

      const irssi = await Irssi.start({ nick: 'dave', port: srv.ircPort, sasl: { username: 'dave', password: 'dave-secret-pw' } });
      const status = await irssi.waitFor('the SASL success (903)', /SASL authentication succeeded/);
      expect(status).toMatch(/You are now logged in as dave/);
      expect(status).toMatch(/Welcome to the pipechat IRC network, dave!/);
      irssi.command('/whois dave');
      await irssi.waitFor('the account in WHOIS (330)', /account\s*: dave/);

      irssi.command('/query bob');
      await irssi.waitFor('the kept message in the query', irssiQuery('bob', 'kept while you were out'));
      bob.send('PRIVATE|dave|are you there now?');
      await bob.waitFor('SENT|dave|are you there now?', CLIENT_TIMEOUT);
      await irssi.waitFor('the live message', irssiQuery('bob', 'are you there now?'));
      irssi.command('/msg bob yes, logged in as dave');
      await bob.waitFor('PRIVATE|dave|yes, logged in as dave', CLIENT_TIMEOUT);
      // Only the one stored message was reported offline.
      expect(bob.lines.filter((l) => l.startsWith('SYSTEM|dave is offline'))).toHaveLength(1);
    },
    TEST_TIMEOUT,
  );

  it(
    'WeeChat logs in to a registered name with SASL PLAIN; the line user sees it by that name',
    async () => {
      const srv = await startIrcServer();
      await registerAccount(srv.port, 'erin', 'erin-secret-pw');
      const bob = await LineClient.login(srv.port, 'bob');

      const weechat = await WeeChat.start({
        nick: 'erin',
        port: srv.ircPort,
        sasl: { username: 'erin', password: 'erin-secret-pw' },
        autojoin: '#lobby',
      });
      const status = weechat.log(STATUS);
      expect(status).toMatch(/You are now logged in as erin/);
      expect(status).toMatch(/SASL authentication successful/);
      expect(status).toMatch(/Welcome to the pipechat IRC network, erin!/);
      await bob.waitFor('SYSTEM|erin joined lobby', CLIENT_TIMEOUT);

      bob.send('PRIVATE|erin|hello, registered erin');
      await bob.waitFor('SENT|erin|hello, registered erin', CLIENT_TIMEOUT);
      await weechat.waitForLog(query('bob'), "bob's private message", weechatMessage('bob', 'hello, registered erin'));
      weechat.command(query('bob'), 'hello bob, from the account');
      await bob.waitFor('PRIVATE|erin|hello bob, from the account', CLIENT_TIMEOUT);
      weechat.command(LOBBY, 'in the room as erin');
      await bob.waitFor('TEXT|erin|in the room as erin', CLIENT_TIMEOUT);
      expect(bob.lines.filter((l) => l.startsWith('SYSTEM|erin is offline'))).toEqual([]);
    },
    TEST_TIMEOUT,
  );
});
