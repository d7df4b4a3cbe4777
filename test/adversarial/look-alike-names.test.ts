// Nobody can pass as somebody else by a name that renders like theirs.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer();
});

afterEach(async () => {
  await closeAllClients();
});

afterAll(async () => {
  await closeAllServers();
  removeTempDirs();
});

async function answerTo(line: string): Promise<string> {
  const c = await LineClient.connect(srv.port);
  c.sendLine(line);
  return c.nextLine();
}

describe('look-alike names', () => {
  it.each([
    ['combining grapheme joiner', 'alice\u034f'],
    ['variation selector', 'alice\ufe0f'],
    ['Mongolian variation selector', 'alice\u180b'],
    ['ideographic variation selector', 'alice\u{e0100}'],
    ['Hangul filler', 'alice\u3164'],
    ['Hangul choseong filler', '\u115falice'],
    ['halfwidth Hangul filler', 'alice\uffa0'],
    ['Cyrillic а inside Latin', '\u0430lice'],
    ['Cyrillic е and о inside Latin', 'alic\u0435'],
    ['fullwidth letters', '\uff41\uff4c\uff49\uff43\uff45'],
    ['mathematical letters', '\u{1d41a}\u{1d425}\u{1d422}\u{1d41c}\u{1d41e}'],
  ])('%s: refused while alice is online, and not registered either', async (_, lookAlike) => {
    await LineClient.loggedIn(srv.port, 'alice');
    expect(await answerTo(`LOGIN|${lookAlike}`)).toMatch(/^ERROR\|BAD_NAME\|/);
    expect(await answerTo(`LOGIN|${lookAlike}|secret`)).toMatch(/^ERROR\|BAD_NAME\|/);
  });

  it('case folds fully: straße online makes STRAẞE and STRASSE taken; registered, they need its password', async () => {
    const owner = await LineClient.loggedIn(srv.port, 'straße', 'pw-long-1');
    expect(await answerTo('LOGIN|STRAẞE')).toMatch(/^ERROR\|NAME_TAKEN\|/);
    expect(await answerTo('LOGIN|STRASSE')).toMatch(/^ERROR\|NAME_TAKEN\|/);
    owner.sendLine('LOGOUT');
    await owner.waitClosed();
    expect(await answerTo('LOGIN|STRASSE')).toMatch(/^ERROR\|PASSWORD_REQUIRED\|/);
    expect(await answerTo('LOGIN|Strasse|wrong')).toMatch(/^ERROR\|BAD_PASSWORD\|/);
  });

  it.each(['Zoë', '小明', 'हिन्दी', 'алиса', '田中さん', 'Ελένη'])('a real name in any script stays valid: %s', async (name) => {
    const c = await LineClient.connect(srv.port);
    const { success } = await c.login(name);
    expect(success).toMatch(/^SUCCESS\|/);
  });

  it('a name that reads like someone online is NAME_TAKEN: rnallory, MaIlory and ma11ory while mallory is here', async () => {
    await LineClient.loggedIn(srv.port, 'mallory');
    for (const lookAlike of ['rnallory', 'ma11ory', 'maIlory']) {
      expect(await answerTo(`LOGIN|${lookAlike}`), lookAlike).toMatch(/^ERROR\|NAME_TAKEN\|.*looks too much like mallory/);
      expect(await answerTo(`LOGIN|${lookAlike}|pw`), lookAlike).toMatch(/^ERROR\|NAME_TAKEN\|/);
    }
  });

  it('a name that reads like a registered one is NAME_TAKEN, and its owner still logs in', async () => {
    const owner = await LineClient.loggedIn(srv.port, 'paypal', 'right-pass');
    owner.sendLine('LOGOUT');
    await owner.waitClosed();
    expect(await answerTo('LOGIN|paypa1')).toMatch(/^ERROR\|NAME_TAKEN\|.*registered name paypal/);
    expect(await answerTo('LOGIN|paypa1|mine')).toMatch(/^ERROR\|NAME_TAKEN\|/);
    const again = await LineClient.connect(srv.port);
    expect((await again.login('paypal', 'right-pass')).success).toMatch(/^SUCCESS\|/);
  });
});
