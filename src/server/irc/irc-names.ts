import os from 'node:os';
import type { ServerOptions } from '../options.js';

/** ISUPPORT's NETWORK: one server, or a cluster of them sharing rooms, is one network. */
export const IRC_NETWORK = 'pipechat';

/** --server-name, or the host name when it is a valid one. */
export function serverName(options: Pick<ServerOptions, 'serverName'>): string {
  if (options.serverName !== '') return options.serverName;
  const host = os.hostname();
  return /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$/.test(host) ? host : 'pipechat.local';
}
