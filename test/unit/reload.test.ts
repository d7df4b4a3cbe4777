import { describe, expect, it } from 'vitest';
import { defaultOptions, OPTION_TABLE } from '../../src/server/options.js';
import { LIVE_SETTINGS, applyLive, settingChanges } from '../../src/server/reload.js';

describe('settings read again while running', () => {
  it('lists what changed, as the config file writes it, with how far each reaches', () => {
    const current = defaultOptions();
    const next = { ...defaultOptions(), maxMessageChars: 300, loginTimeoutMs: 2500, port: 7000, operators: ['alice'], redisUrl: 'redis://:pw@10.0.0.1:6379' };
    expect(settingChanges(current, next)).toEqual([
      { key: 'port', setting: 'port', from: '65432', to: '7000', reach: 'restart' },
      { key: 'operators', setting: 'operator', from: 'not set', to: '["alice"]', reach: 'now' },
      { key: 'maxMessageChars', setting: 'max-message', from: '2000', to: '300', reach: 'now' },
      { key: 'loginTimeoutMs', setting: 'login-timeout', from: '60', to: '2.5', reach: 'new connections' },
      { key: 'redisUrl', setting: 'redis', from: 'not set', to: '"redis://:***@10.0.0.1:6379"', reach: 'restart' },
    ]);
    expect(settingChanges(current, defaultOptions())).toEqual([]);
  });

  it('applies the live ones to the running options (the same object) and leaves the rest', () => {
    const running = defaultOptions();
    const next = { ...defaultOptions(), maxMessageChars: 300, port: 7000, operators: ['alice'] };
    applyLive(running, settingChanges(running, next), next);
    expect(running).toEqual({ ...defaultOptions(), maxMessageChars: 300, operators: ['alice'] });
    next.operators.push('mallory');
    expect(running.operators).toEqual(['alice']);
  });

  it('every live setting is an option of the table', () => {
    const keys = new Set(OPTION_TABLE.map((s) => s.key));
    for (const key of Object.keys(LIVE_SETTINGS)) expect(keys.has(key as never), key).toBe(true);
  });
});

describe('the README on SIGHUP', () => {
  it('names every setting a running server takes on, in the sentence for its reach', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.split('### Changing settings while it runs')[1]!.split('\n### ')[0]!.replace(/\s+/g, ' ');
    const [now, later] = section.split('and for connections that arrive from then on:') as [string, string];
    for (const spec of OPTION_TABLE) {
      const reach = LIVE_SETTINGS[spec.key];
      const name = `\`${spec.flag.split(' ')[0]!.slice(2)}\``;
      if (reach === 'now') expect(now, name).toContain(name);
      if (reach === 'new connections') expect(later.split('.')[0], name).toContain(name);
      if (reach === undefined) expect(section.split('Each change is')[0], name).not.toContain(name);
    }
  });
});
