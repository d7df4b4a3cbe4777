// The README's nc session, replayed against the real server: each `> ` line
// is sent as typed, and what comes back must be the lines printed under it
// (times and figures that change from run to run aside). Edit the README or
// the server's wording and this fails until the two agree again.

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineClient, closeAllClients } from '../helpers/line-client.js';
import { closeAllServers, removeTempDirs, repoRoot, startTestServer } from '../helpers/server.js';

afterEach(async () => {
  await closeAllClients();
});

afterAll(async () => {
  await closeAllServers();
  removeTempDirs();
});

interface Step {
  sent: string;
  expected: string[];
}

/** The fenced block between `<!-- transcript:NAME:start -->` and `…:end -->`. */
function transcript(markdown: string, name: string): Step[] {
  const start = markdown.indexOf(`<!-- transcript:${name}:start -->`);
  const end = markdown.indexOf(`<!-- transcript:${name}:end -->`);
  if (start === -1 || end === -1) throw new Error(`no transcript '${name}' in the README`);
  const body = markdown.slice(start, end).split('\n');
  const fences = body.flatMap((l, i) => (l.startsWith('```') ? [i] : []));
  const lines = body.slice(fences[0]! + 1, fences[fences.length - 1]);
  const steps: Step[] = [];
  for (const line of lines) {
    if (line.startsWith('> ')) steps.push({ sent: line.slice(2), expected: [] });
    else steps[steps.length - 1]!.expected.push(line);
  }
  return steps;
}

/** What differs between runs: times, uptime, memory. */
const normalise = (line: string): string =>
  line
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>')
    .replace(/\|uptime=\d+/, '|uptime=<n>')
    .replace(/\|rss_kib=\d+/, '|rss_kib=<n>');

describe('README: talking to it with nc', () => {
  it('the transcript is what the server answers, line for line', async () => {
    const steps = transcript(fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8'), 'nc');
    expect(steps.length).toBeGreaterThan(8);
    const srv = await startTestServer();
    // bob was there first and said good morning; he answers alice's private message.
    const bob = await LineClient.loggedIn(srv.port, 'bob');
    bob.sendLine('TEXT|morning all');
    await bob.expectLine('TEXT|bob|morning all');

    const alice = await LineClient.connect(srv.port);
    for (const step of steps) {
      alice.sendLine(step.sent);
      if (step.sent.startsWith('PRIVATE|bob|')) {
        await bob.waitFor(`PRIVATE|alice|${step.sent.slice('PRIVATE|bob|'.length)}`);
        bob.sendLine('PRIVATE|alice|sure');
      }
      const got: string[] = [];
      for (let i = 0; i < step.expected.length; i++) got.push(await alice.nextLine());
      expect(got.map(normalise), `after '${step.sent}'`).toEqual(step.expected.map(normalise));
    }
    await alice.waitClosed();
    // Nothing more than the transcript shows.
    expect(alice.queued).toEqual([]);
  });
});
