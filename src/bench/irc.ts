// The IRC scenarios (members.ts measures them): what an IRC member costs
// next to a line-protocol one, on the same server in the same run.
//
//   irc-fanout N   one room of N receivers: all line members, all IRC
//                  members, half of each, beside the relay.
//   irc-idle N     server RSS per idle connection in a channel of 100,
//                  IRC beside line.
//
// Our server echoes TEXT to a line sender and not PRIVMSG to an IRC one
// (no echo-message), neither counted.

import { IRC_MESSAGE_BYTES_MAX } from './irc-wire.js';
import { planMemberScenarios, type Door } from './members.js';
import type { BenchOptions } from './options.js';
import type { BenchTarget, Scenario } from './scenarios.js';
import { GOALS } from './targets.js';

/** Our server's IRC port, or why there is none. */
function ircPortOf(target: BenchTarget): number {
  if (target.ircPort === undefined) throw new Error('no IRC port: the bench opens one (--irc-port) only on a server it starts, not on --target');
  return target.ircPort;
}

export const IRC_DOOR: Door = {
  protocol: 'irc',
  name: 'IRC',
  port: ircPortOf,
  fanout: 'irc-fanout',
  idle: 'irc-idle',
  maxMessage: { bytes: IRC_MESSAGE_BYTES_MAX, why: 'the most one IRC line takes whole' },
  idleWhere: 'in a channel',
  idleLogins: 'IRC registrations + JOIN/s',
  // The target: an IRC member costs no more than a line member.
  idleGoals: (count) =>
    count >= GOALS.idleAt ? { perConn: { kind: 'max', value: GOALS.idleKiB, unit: 'kib' }, vsLine: { kind: 'max', value: 1, unit: 'float' } } : undefined,
};

export function planIrcScenarios(options: BenchOptions, maxConnections: number): Scenario[] {
  return planMemberScenarios(IRC_DOOR, options, maxConnections, { fanout: options.ircFanout, idle: options.ircIdle });
}
