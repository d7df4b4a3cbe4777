import { randomBytes } from 'node:crypto';

// IRCv3 msgid for every room and private message: unique across a cluster's
// nodes and across restarts (a random prefix per process, then a counter),
// and cheap enough to make for each message whoever reads it.

const prefix = randomBytes(6).toString('base64url');
let count = 0;

export function nextMessageId(): string {
  count++;
  return `${prefix}${count.toString(36)}`;
}
