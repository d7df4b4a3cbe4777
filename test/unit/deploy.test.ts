// The files of deploy/: the example config is one the server reads, and the
// unit keeps the settings the docs promise (systemd-analyze verify runs on
// it in .ci/run, against an installed chat-server).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/cli/config-file.js';
import { RESERVED_FILE_KEYS, serverFlags } from '../../src/server/options.js';

const read = (name: string): string => readFileSync(new URL(`../../deploy/${name}`, import.meta.url), 'utf8');

/** `Key=value` lines of a unit, by section. */
function unit(text: string): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      section = line;
      continue;
    }
    const at = line.indexOf('=');
    const key = `${section}${line.slice(0, at)}`;
    entries.set(key, [...(entries.get(key) ?? []), line.slice(at + 1)]);
  }
  return entries;
}

describe('deploy/', () => {
  it('chat.toml is a config file the server takes', () => {
    const file = parseConfigText(read('chat.toml'), 'deploy/chat.toml', serverFlags, RESERVED_FILE_KEYS);
    expect(file.values).toMatchObject({ host: '0.0.0.0', port: 65432, 'metrics-port': 9100 });
  });

  it('chat-server.service: its own user and state directory, sandboxed, restarted on failure, reloaded with SIGHUP', () => {
    const u = unit(read('chat-server.service'));
    const one = (key: string): string | undefined => u.get(key)?.[0];
    expect(one('[Service]ExecStart')).toBe('/usr/local/bin/chat-server --config /etc/pipechat/chat.toml');
    expect(one('[Service]ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(u.get('[Service]Environment')).toContain('CHAT_DATA_DIR=/var/lib/pipechat');
    expect(one('[Service]StateDirectory')).toBe('pipechat');
    for (const [key, value] of [
      ['DynamicUser', 'yes'],
      ['StateDirectoryMode', '0700'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['NoNewPrivileges', 'yes'],
      ['PrivateTmp', 'yes'],
      ['Restart', 'on-failure'],
      ['CapabilityBoundingSet', ''],
    ] as const) {
      expect(one(`[Service]${key}`), key).toBe(value);
    }
    // V8 needs writable and executable memory: this one would stop the server at its first JIT.
    expect(u.has('[Service]MemoryDenyWriteExecute')).toBe(false);
    expect(one('[Install]WantedBy')).toBe('multi-user.target');
  });
});
