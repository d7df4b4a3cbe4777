// The WebSocket scenarios (members.ts measures them): what a member on the
// web page's WebSocket costs next to a line-protocol one on TCP, on the
// same server in the same run. A WebSocket member speaks the line protocol,
// one frame a message, so the rooms and the counting are the TCP ones.
//
//   ws-fanout N   one room of N receivers: all line members, all WebSocket
//                 members, half of each, beside the relay. The target: in
//                 a room of 100, WebSocket members get at least half the
//                 line members' delivered lines per second.
//   ws-idle N     server RSS per idle connection in a room of 100,
//                 WebSocket beside line.
//
// Our server echoes TEXT to its sender on both doors; senders count nothing.

import { planMemberScenarios, type Door } from './members.js';
import type { BenchOptions } from './options.js';
import type { BenchTarget, Scenario } from './scenarios.js';
import { GOALS } from './targets.js';

/** Our server's web port, or why there is none. */
function webPortOf(target: BenchTarget): number {
  if (target.webPort === undefined) throw new Error('no web port: the bench opens one (--web-port) only on a server it starts, not on --target');
  return target.webPort;
}

export const WS_DOOR: Door = {
  protocol: 'ws',
  name: 'WebSocket',
  port: webPortOf,
  fanout: 'ws-fanout',
  idle: 'ws-idle',
  fanoutGoal: (receivers) => (receivers === GOALS.wsAt ? { kind: 'min', value: GOALS.wsVsLine, unit: 'float' } : undefined),
  idleWhere: 'in a room',
  idleLogins: 'WebSocket logins + JOIN/s',
};

export function planWsScenarios(options: BenchOptions, maxConnections: number): Scenario[] {
  return planMemberScenarios(WS_DOOR, options, maxConnections, { fanout: options.wsFanout, idle: options.wsIdle });
}
